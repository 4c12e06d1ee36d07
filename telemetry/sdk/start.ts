import type { ContextManager } from '@opentelemetry/api';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TelemetryConfig } from '../config.ts';
import { RedactingLogRecordProcessor } from '../redaction/log-redaction.ts';
import { createRedactor } from '../redaction/redaction.ts';
import { RedactingSpanProcessor } from '../redaction/span-redaction.ts';
import { recordCrash } from './crash.ts';
import { DatabaseSpanProcessor } from './database-spans.ts';
import { otlpLogProcessor, otlpMetricReader, spanProcessors } from './exporters.ts';
import { createInstrumentations } from './instrumentations.ts';
import { baseResource, resourceDetectors } from './resource.ts';

export interface RunningTelemetry {
  /** Flushes and stops every pipeline, OpenTelemetry and Sentry, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
  /** Reports a fatal error through every backend that takes errors. */
  captureFatal(error: unknown): void;
}

/**
 * Starts NodeSDK, which reads the standard OTEL_* variables itself (resource, sampler,
 * propagators, diagnostics, batch queues, endpoints, headers, metrics exporters), with what it
 * lacks added in: the `sentry` backend, redaction before every exporter, knex spans brought to the
 * database conventions, and the app's errors and feedback in Sentry whatever the sampling.
 * Loaded only when telemetry is on (preload.ts imports it dynamically).
 */
export async function startTelemetry(config: TelemetryConfig): Promise<RunningTelemetry> {
  const redactor = createRedactor({
    captureContent: config.captureContent,
    hashKey: config.hashKey,
    knownSecrets: config.knownSecrets,
  });
  // Sentry's SDK takes half a second to load: only when it is used. Its debug logging is left out,
  // as bundlers do: with the flag unset, it builds a log message for every span it starts and ends
  // even when debug is off. https://docs.sentry.io/platforms/javascript/configuration/tree-shaking/
  if (config.sentry) (globalThis as { __SENTRY_DEBUG__?: boolean }).__SENTRY_DEBUG__ = false;
  const sentry = config.sentry ? await import('../sentry/init.ts') : undefined;
  const native = config.tracerProvider === 'sentry';
  // Sentry registers its tracer provider, context manager and propagator first; NodeSDK then
  // leaves those three alone.
  if (native) sentry?.initSentry(config, redactor);

  const logProcessors: LogRecordProcessor[] = [
    ...(config.logs.includes('otlp') ? [otlpLogProcessor()] : []),
    ...(sentry && config.logs.includes('sentry') ? [new sentry.SentryLogForwarder()] : []),
  ];
  const sdk = new NodeSDK({
    resource: baseResource(config),
    resourceDetectors: resourceDetectors(),
    // Names first, then redaction: every exporter after them sees the named, redacted span.
    spanProcessors: native
      ? []
      : [new DatabaseSpanProcessor(), new RedactingSpanProcessor(redactor), ...spanProcessors(config, sentry?.sentryOtlpEndpoint(config.sentry?.dsn))],
    logRecordProcessors: logProcessors.length > 0 ? [new RedactingLogRecordProcessor(redactor), ...logProcessors] : [],
    // `env`: NodeSDK reads OTEL_METRICS_EXPORTER. Otherwise metrics follow the span backends.
    metricReaders: config.metrics === 'env' ? undefined : config.metrics === 'otlp' ? [otlpMetricReader()] : [],
    instrumentations: createInstrumentations({ sendLogs: logProcessors.length > 0, ownBackends: config.backendHosts }),
    // null: NodeSDK registers none, and Sentry's stay (its types omit null; its code reads it so).
    ...(native ? { contextManager: null as unknown as ContextManager, textMapPropagator: null } : {}),
  });
  sdk.start();

  // With OpenTelemetry owning tracing, Sentry starts after it, so it finds the provider in place.
  if (!native) sentry?.initSentry(config, redactor);

  let stopping: Promise<void> | undefined;
  return {
    shutdown(timeoutMs) {
      stopping ??= withinBound(
        Promise.allSettled([sdk.shutdown(), sentry?.closeSentry(timeoutMs)]).then(() => undefined),
        timeoutMs,
      );
      return stopping;
    },
    captureFatal(error) {
      sentry?.captureFatal(error);
      recordCrash(error);
    },
  };
}

function withinBound(work: Promise<void>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`telemetry: flush did not finish within ${timeoutMs} ms; exiting without it\n`);
      resolve();
    }, timeoutMs);
    timer.unref();
    void work.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
