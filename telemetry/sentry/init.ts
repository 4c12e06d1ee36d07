import * as Sentry from '@sentry/node';
import type { Integration, Transport } from '@sentry/core';
import type { TelemetryConfig } from './config.ts';
import { OutageLog } from './export-outages.ts';
import type { Redactor } from './redaction.ts';
import { sentrySampleRate } from './sampler.ts';
import { captureExceptionsRecordedOnSentrySpans } from './sentry-exceptions.ts';
import { captureFeedbackRecordedOnSentrySpans } from './sentry-feedback.ts';

/**
 * Sentry for errors and logs (and, with the native bridge, spans). Two ways to run, per
 * TELEMETRY_TRACER_PROVIDER:
 * - `opentelemetry`: called after the OpenTelemetry SDK has started; Sentry does no tracing of
 *   its own (`enableOpenTelemetrySetup: false`, no `tracesSampleRate`) and
 *   `openTelemetryIntegration` links its events to the active OpenTelemetry span. Spans reach
 *   Sentry over OTLP (exporters.ts).
 * - `sentry`: Sentry registers `SentryTracerProvider`, its context manager and propagator, so
 *   the OpenTelemetry instrumentations and the app's API spans become native Sentry spans.
 * https://docs.sentry.io/platforms/javascript/guides/node/opentelemetry/custom-setup/
 */
export { SentryExceptionSpanProcessor } from './sentry-exceptions.ts';
export { SentryFeedbackSpanProcessor } from './sentry-feedback.ts';
export { SentryLogForwarder } from './sentry-logs.ts';

export function sentryOtlpEndpoint(dsn: string | undefined): { url: string; headers: Record<string, string> } | undefined {
  return dsn ? Sentry.getOtlpTracesEndpoint(dsn) : undefined;
}

export function initSentry(config: TelemetryConfig, redactor: Redactor): void {
  const native = config.tracerProvider === 'sentry';
  const outages = new OutageLog('sentry');

  Sentry.init({
    dsn: config.sentry?.dsn,
    environment: config.environment,
    release: config.release,
    enableOpenTelemetrySetup: native,
    tracesSampleRate: native ? sentrySampleRate(config.sampler) : undefined,
    // Sentry's own load-time module patching is not needed: OpenTelemetry instruments.
    enableRuntimeChannelInjection: false,
    // Nothing about the caller beyond what redaction lets through: no IPs, headers, bodies, locals.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      genAI: { inputs: config.captureContent, outputs: config.captureContent },
      databaseQueryData: false,
      stackFrameVariables: false,
    },
    includeLocalVariables: false,
    spotlight: native && config.sentry?.spotlight ? true : undefined,
    defaultIntegrations: defaultIntegrations(),
    integrations: native ? [] : [Sentry.openTelemetryIntegration()],
    transport: (options) => reportTransportOutages(Sentry.makeNodeTransport(options), outages),
    beforeSend: (event) => redactor.deep(event),
    // Spans are streamed (Sentry 11's default trace lifecycle), so beforeSendSpan, not beforeSendTransaction.
    beforeSendSpan: (span) => {
      span.name = redactor.text(span.name);
      redactor.attributes(span.attributes as Record<string, unknown>);
      return span;
    },
    beforeSendLog: (log) => redactor.deep(log),
    beforeBreadcrumb: (breadcrumb) => redactor.deep(breadcrumb),
  });

  // User feedback skips `beforeSend`: its event (message, tags, breadcrumbs) is redacted here.
  Sentry.addEventProcessor((event) => (event.type === 'feedback' ? redactor.deep(event) : event));

  if (native) {
    captureExceptionsRecordedOnSentrySpans();
    captureFeedbackRecordedOnSentrySpans({ captureContent: config.captureContent, redactor });
  }
}

/** Flushes Sentry's queue within the bound; resolves false when it could not. */
export async function closeSentry(timeoutMs: number): Promise<boolean> {
  return Sentry.close(timeoutMs);
}

export function captureFatal(error: unknown): void {
  Sentry.withScope((scope) => {
    scope.setLevel('fatal');
    Sentry.captureException(error, { mechanism: { type: 'auto.node.onuncaughtexception', handled: false } });
  });
}

/**
 * Sentry's defaults, minus what OpenTelemetry does here: no http/fetch spans or trace headers
 * of Sentry's own (OpenTelemetry's http and undici instrumentations make those), and no
 * process-exit handlers (shutdown.ts captures, flushes every pipeline, then exits).
 */
function defaultIntegrations(): Integration[] {
  const replaced = new Set(['Http', 'NodeFetch', 'OnUncaughtException', 'OnUnhandledRejection', 'LocalVariables']);
  return [
    ...Sentry.getDefaultIntegrationsWithoutPerformance().filter((integration) => !replaced.has(integration.name)),
    Sentry.httpIntegration({ spans: false, tracePropagation: false }),
    Sentry.nativeNodeFetchIntegration({ spans: false, tracePropagation: false }),
  ];
}

function reportTransportOutages(transport: Transport, outages: OutageLog): Transport {
  return {
    ...transport,
    send: async (envelope) => {
      try {
        const response = await transport.send(envelope);
        const status = response.statusCode;
        outages.record({ ok: status === undefined || status < 400, error: `HTTP ${status}` });
        return response;
      } catch (error) {
        outages.record({ ok: false, error });
        throw error;
      }
    },
  };
}
