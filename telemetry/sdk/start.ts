import { DiagConsoleLogger, DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TelemetryConfig } from './config.ts';
import { createOtlpLogProcessor, createOtlpMetricReader, createSpanProcessors } from './exporters.ts';
import { createInstrumentations } from './instrumentations.ts';
import { RedactingLogRecordProcessor } from './log-redaction.ts';
import { createRedactor } from './redaction.ts';
import { buildResource } from './resource.ts';
import { buildSampler } from './sampler.ts';
import { RedactingSpanProcessor } from './span-redaction.ts';

export interface RunningTelemetry {
  /** Flushes and stops every pipeline, OpenTelemetry and Sentry, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
  /** Reports a fatal error to Sentry when it is on (always to stderr by the caller). */
  captureFatal(error: unknown): void;
}

/**
 * Builds and registers the pipelines. Loaded only when telemetry is on (preload.ts imports it
 * dynamically), so with telemetry off none of these packages is ever read from disk.
 */
export async function startTelemetry(config: TelemetryConfig): Promise<RunningTelemetry> {
  if (config.diagLogLevel) {
    diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[config.diagLogLevel.toUpperCase() as keyof typeof DiagLogLevel]);
  }
  const redactor = createRedactor({
    captureContent: config.captureContent,
    hashKey: config.hashKey,
    knownSecrets: config.knownSecrets,
  });
  const resource = buildResource(config);
  const sentryOn = config.exporters.includes('sentry');
  // Sentry's SDK takes half a second to load: only when it is used.
  const sentry = sentryOn ? await import('./sentry.ts') : undefined;

  let tracerProvider: NodeTracerProvider | undefined;
  if (config.tracerProvider === 'opentelemetry') {
    tracerProvider = new NodeTracerProvider({
      resource,
      sampler: buildSampler(config.sampler),
      // Redaction first: every processor after it, exporters and Sentry capture, sees the redacted span.
      spanProcessors: [
        new RedactingSpanProcessor(redactor),
        ...(sentry
          ? [
              new sentry.SentryExceptionSpanProcessor(),
              new sentry.SentryFeedbackSpanProcessor({ captureContent: config.captureContent, redactor }),
            ]
          : []),
        ...createSpanProcessors(config, sentry?.sentryOtlpEndpoint(config.sentry?.dsn)),
      ],
    });
    // Async-local-storage context, W3C trace context and baggage propagation.
    tracerProvider.register();
  } else {
    // Sentry registers its own tracer provider, context manager and propagator.
    sentry?.initSentry(config, redactor);
  }

  const logProcessors: LogRecordProcessor[] = [
    ...(config.otlpLogs ? [createOtlpLogProcessor(config)] : []),
    ...(sentry && config.sentryLogs ? [new sentry.SentryLogForwarder()] : []),
  ];
  // Set explicitly, even when empty: a logger provider left to defaults would start an OTLP exporter.
  const loggerProvider =
    logProcessors.length > 0
      ? new LoggerProvider({ resource, processors: [new RedactingLogRecordProcessor(redactor), ...logProcessors] })
      : undefined;
  if (loggerProvider) logs.setGlobalLoggerProvider(loggerProvider);

  const meterProvider = config.otlpMetrics
    ? new MeterProvider({ resource, readers: [createOtlpMetricReader(config)] })
    : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  registerInstrumentations({
    instrumentations: createInstrumentations({ sendLogs: loggerProvider !== undefined, ownBackends: config.backendHosts }),
  });

  // With OpenTelemetry owning tracing, Sentry starts after it, so it finds the provider in place.
  if (config.tracerProvider === 'opentelemetry') sentry?.initSentry(config, redactor);

  let stopping: Promise<void> | undefined;
  return {
    shutdown(timeoutMs) {
      stopping ??= withinBound(
        Promise.allSettled([
          tracerProvider?.shutdown(),
          loggerProvider?.shutdown(),
          meterProvider?.shutdown(),
          sentry?.closeSentry(timeoutMs),
        ]).then(() => undefined),
        timeoutMs,
      );
      return stopping;
    },
    captureFatal(error) {
      sentry?.captureFatal(error);
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
