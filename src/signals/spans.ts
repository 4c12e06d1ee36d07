import { SpanStatusCode, trace, type Attributes, type Span, type SpanOptions } from '@opentelemetry/api';
import { ERROR_TYPE, INSTRUMENTATION_NAME } from './attributes.ts';

export const tracer = trace.getTracer(INSTRUMENTATION_NAME);

/**
 * Work stopped on purpose: the caller was told the turn failed (that is the error, recorded
 * where they are told), or the instance is stopping. Spans it ends say so (`error.type` is the
 * stop's name), without an ERROR status: a stop is not one more failure to chase.
 */
export class Stopped extends Error {
  override name = 'Stopped';
}

/**
 * Runs `work` inside an active span: an exception is recorded on the span with ERROR status and
 * `error.type` (so it becomes a red span and an error issue) and rethrown; the span always ends.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      if (error instanceof Stopped) span.setAttribute(ERROR_TYPE, error.name);
      else failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

// Failures already on one of the app's spans, so that one caught again higher up is not recorded twice.
const recorded = new WeakSet<Error>();

export function failSpan(span: Span, error: unknown, attributes?: Attributes): void {
  const err = error instanceof Error ? error : new Error(String(error));
  recorded.add(err);
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  span.setAttributes({ [ERROR_TYPE]: errorType(err), ...attributes });
}

/**
 * A failure caught where none of the app's spans may hold it (a webhook that failed before its
 * call's span started, say on a database that is down): recorded on a span of its own under the
 * active one, so that it is an error on the trace and in the error backend like every other.
 * Already recorded on one of the app's spans: nothing more.
 */
export function recordFailure(name: string, error: unknown): void {
  if (error instanceof Error && recorded.has(error)) return;
  const span = tracer.startSpan(name);
  failSpan(span, error);
  span.end();
}

/**
 * A low-cardinality name for an error, for `error.type` and metric attributes: a code such as a
 * PostgreSQL SQLSTATE (`42P01`) or a Node system error (`ECONNREFUSED`) when it has one, else its
 * class. Many libraries leave `name` generic ("Error" for all of the OpenAI SDK's errors), so the
 * class is then read from the constructor: `AuthenticationError`, `RateLimitError`...
 */
export function errorType(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  return error.name.toLowerCase() === 'error' && error.constructor.name ? error.constructor.name : error.name;
}
