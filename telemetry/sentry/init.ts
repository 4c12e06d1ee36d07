import { context, propagation, ROOT_CONTEXT, trace, type Context, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import * as Sentry from '@sentry/node';
import type { Integration, Span as SentrySpan } from '@sentry/core';
import { SentryPropagator } from '@sentry/opentelemetry';
import { EVENTS } from '../../src/signals/attributes.ts';
import type { TelemetryConfig } from '../config.ts';
import type { Redactor } from '../redaction/redaction.ts';
import { watchAppSpans } from './app-spans.ts';
import { captureSpanException, nameExceptionByClass, type WithSpan } from './exceptions.ts';
import { captureSpanFeedback } from './feedback.ts';
import { makeTransport } from './transport.ts';

/**
 * Sentry for errors, feedback and logs (and, with the native bridge, spans). Two ways to run, per
 * TELEMETRY_TRACER_PROVIDER:
 * - `opentelemetry`: called after NodeSDK has started; Sentry does no tracing of its own
 *   (`enableOpenTelemetrySetup: false`, no `tracesSampleRate`) and `openTelemetryIntegration`
 *   links its events to the active OpenTelemetry span. Spans reach Sentry over OTLP.
 * - `sentry`: Sentry registers `SentryTracerProvider`, its context manager and propagator, so
 *   the instrumentations and the app's API spans become native Sentry spans.
 * https://docs.sentry.io/platforms/javascript/guides/node/opentelemetry/custom-setup/
 */
export { SentryLogForwarder } from './logs.ts';

export function sentryOtlpEndpoint(dsn: string | undefined): { url: string; headers: Record<string, string> } | undefined {
  return dsn ? Sentry.getOtlpTracesEndpoint(dsn) : undefined;
}

export function initSentry(config: TelemetryConfig, redactor: Redactor): void {
  const native = config.tracerProvider === 'sentry';

  Sentry.init({
    dsn: config.sentry?.dsn,
    environment: config.environment,
    release: config.release,
    enableOpenTelemetrySetup: native,
    tracesSampleRate: native ? config.sentrySampleRate : undefined,
    // W3C `traceparent` beside `sentry-trace`, so services that speak only W3C follow the trace.
    propagateTraceparent: native,
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
    transport: makeTransport(config.sentryTimeoutMs),
    beforeSend: (event, hint) => redactor.deep(nameExceptionByClass(event, hint)),
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

  if (native) injectFromAnyContext();
  const withSpan: WithSpan = native
    ? (span, capture) => Sentry.withActiveSpan(span as unknown as SentrySpan, capture)
    : // openTelemetryIntegration takes the ids from the active OpenTelemetry span.
      (span, capture) => context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(span.spanContext())), capture);
  watchAppSpans({
    exception: (exception, span) => captureSpanException(exception, span, withSpan),
    event: (name, attributes, span) => {
      if (name === EVENTS.callerFeedback) captureSpanFeedback(attributes, span, withSpan, { captureContent: config.captureContent, redactor });
    },
  });
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
 * of Sentry's own (OpenTelemetry's http and undici instrumentations make those), no
 * process-exit handlers (shutdown.ts captures, flushes every pipeline, then exits), and no
 * ConversationId, which reads both scopes at every span start to copy an id onto GenAI spans
 * from a scope field nothing here sets: the app's GenAI spans carry gen_ai.conversation.id.
 */
function defaultIntegrations(): Integration[] {
  const replaced = new Set(['Http', 'NodeFetch', 'OnUncaughtException', 'OnUnhandledRejection', 'LocalVariables', 'LocalVariablesAsync', 'ConversationId']);
  return [
    ...Sentry.getDefaultIntegrationsWithoutPerformance().filter((integration) => !replaced.has(integration.name)),
    Sentry.httpIntegration({ spans: false, tracePropagation: false }),
    Sentry.nativeNodeFetchIntegration({ spans: false, tracePropagation: false }),
  ];
}

/**
 * SentryPropagator injects only the active context: given any other, it prints a warning and
 * sends nothing. The http and undici instrumentations inject their client span's context, which
 * is never the active one, so with the native bridge every outgoing request went without trace
 * headers (and a warning on stderr). Made active for the injection, the context is injected.
 */
function injectFromAnyContext(): void {
  const sentryPropagator = new SentryPropagator();
  const adapter: TextMapPropagator = {
    inject: (ctx: Context, carrier: unknown, setter: TextMapSetter) =>
      ctx === context.active() ? sentryPropagator.inject(ctx, carrier, setter) : context.with(ctx, () => sentryPropagator.inject(context.active(), carrier, setter)),
    extract: (ctx, carrier, getter) => sentryPropagator.extract(ctx, carrier, getter),
    fields: () => sentryPropagator.fields(),
  };
  propagation.disable();
  propagation.setGlobalPropagator(adapter);
}
