import { ROOT_CONTEXT, SpanStatusCode, context, trace, type Context, type SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SentrySpan } from '@sentry/core';
import * as Sentry from '@sentry/node';

/**
 * An exception recorded on a span (`recordException` + ERROR status) becomes one Sentry issue,
 * carrying that span's trace and span ids. The app only speaks the OpenTelemetry API, and
 * neither Sentry bridge turns recorded exceptions into issues by itself: Sentry's OTLP intake
 * drops span events, and a native Sentry span's `recordException` does nothing.
 *
 * The same error object usually travels up through several spans (each `inSpan` records and
 * rethrows it; Koa's instrumentation records it again on its middleware span, which in this app
 * belongs to another trace than the call's), so each error object is captured once, at the
 * first span that records it: the innermost. Exceptions recorded as bare strings are left on
 * the span only: they have no stack, and the pg instrumentation records one (a sanitised
 * summary) for the very error that knex and the app then record as an object.
 */

const MECHANISM = { type: 'auto.opentelemetry.span', handled: true } as const;

/** Error objects already sent, so that no error becomes two issues. */
const captured = new WeakSet<object>();

/**
 * For the OpenTelemetry tracer provider. The span event only keeps the error as text, so the
 * error object itself is kept from `recordException` (wrapped per span at start) until the span
 * ends: only then is its status known.
 */
export class SentryExceptionSpanProcessor implements SpanProcessor {
  private readonly recorded = new WeakMap<object, Error[]>();

  onStart(span: Span, _parentContext: Context): void {
    const original = span.recordException.bind(span);
    span.recordException = (exception, time) => {
      original(exception, time);
      if (typeof exception === 'string') return;
      const errors = this.recorded.get(span) ?? [];
      errors.push(toError(exception));
      this.recorded.set(span, errors);
    };
  }

  onEnd(span: ReadableSpan): void {
    const errors = this.recorded.get(span);
    if (!errors || span.status.code !== SpanStatusCode.ERROR) return;
    for (const error of errors) {
      if (captured.has(error)) continue;
      captured.add(error);
      captureOnSpan(error, span.spanContext());
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/**
 * For Sentry's tracer provider: its spans are `SentrySpan`s whose `recordException` is a no-op
 * (@sentry/core 11), so the method is given a body. Patched on the prototype rather than by
 * wrapping the provider, because app code also reaches spans through `trace.getActiveSpan()`.
 */
export function captureExceptionsRecordedOnSentrySpans(): void {
  const original = SentrySpan.prototype.recordException;
  SentrySpan.prototype.recordException = function recordException(this: SentrySpan, exception, time) {
    original.call(this, exception, time);
    if (typeof exception === 'string') return;
    const error = toError(exception);
    if (captured.has(error)) return;
    captured.add(error);
    Sentry.withActiveSpan(this, () => Sentry.captureException(error, { mechanism: MECHANISM }));
  };
}

function captureOnSpan(error: Error, spanContext: SpanContext): void {
  // Sentry's openTelemetryIntegration takes trace and span ids from the active OpenTelemetry
  // span, so the span is made active (as a non-recording wrapper) for the capture.
  const spanOnly = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(spanContext));
  context.with(spanOnly, () => Sentry.captureException(error, { mechanism: MECHANISM }));
}

function rebuildError(type: string, message: string, stack: unknown): Error {
  const error = new Error(message);
  error.name = type;
  error.stack = typeof stack === 'string' && stack.length > 0 ? stack : `${type}: ${message}`;
  return error;
}

function toError(exception: unknown): Error {
  if (exception instanceof Error) return exception;
  if (typeof exception === 'string') return new Error(exception);
  if (exception && typeof exception === 'object') {
    const { name, message, stack } = exception as { name?: unknown; message?: unknown; stack?: unknown };
    return rebuildError(String(name ?? 'Error'), String(message ?? ''), stack);
  }
  return new Error(String(exception));
}
