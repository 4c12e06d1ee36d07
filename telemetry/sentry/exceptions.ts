import * as Sentry from '@sentry/node';
import type { Span } from '@opentelemetry/api';
import type { ErrorEvent, EventHint } from '@sentry/core';

const MECHANISM = { type: 'auto.opentelemetry.span', handled: true } as const;

/** Error objects already sent, so that no error becomes two issues. */
const captured = new WeakSet<object>();

/** Runs `capture` with `span` as the span Sentry attaches the event to (bridge-specific). */
export type WithSpan = (span: Span, capture: () => void) => void;

/**
 * An exception the app recorded on one of its spans becomes one Sentry issue with that span's
 * trace and span ids. The same error object travels up through several spans (each `inSpan`
 * records and rethrows it), so it is captured once, at the first span that records it: the
 * innermost. Sentry's OTLP intake drops span events, and neither bridge makes issues of them.
 */
export function captureSpanException(exception: unknown, span: Span, withSpan: WithSpan): void {
  if (typeof exception === 'string') return; // no stack, no object to tell apart
  const error = toError(exception);
  if (captured.has(error)) return;
  captured.add(error);
  withSpan(span, () => Sentry.captureException(error, { mechanism: MECHANISM }));
}

/**
 * Sentry names an exception by `error.name`, which many libraries leave generic: "Error" for every
 * OpenAI SDK error, "error" for every PostgreSQL one. The class it was thrown as says more, as the
 * app's logs already show.
 */
export function nameExceptionByClass(event: ErrorEvent, hint: EventHint): ErrorEvent {
  const error = hint.originalException;
  const exception = event.exception?.values?.at(-1);
  const className = error instanceof Error ? error.constructor.name : '';
  if (exception?.type?.toLowerCase() === 'error' && className && className !== 'Error') exception.type = className;
  return event;
}

function toError(exception: unknown): Error {
  if (exception instanceof Error) return exception;
  if (exception && typeof exception === 'object') {
    const { name, message, stack } = exception as { name?: unknown; message?: unknown; stack?: unknown };
    const error = new Error(String(message ?? ''));
    error.name = String(name ?? 'Error');
    if (typeof stack === 'string' && stack.length > 0) error.stack = stack;
    return error;
  }
  return new Error(String(exception));
}
