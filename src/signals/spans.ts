import { SpanStatusCode, trace, type Attributes, type Span, type SpanOptions } from '@opentelemetry/api';
import { ERROR_TYPE, INSTRUMENTATION_NAME } from './attributes.ts';

export const tracer = trace.getTracer(INSTRUMENTATION_NAME);

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
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export function failSpan(span: Span, error: unknown, attributes?: Attributes): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  span.setAttributes({ [ERROR_TYPE]: errorType(err), ...attributes });
}

/** A low-cardinality name for an error, for `error.type` and metric attributes. */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : error.name;
  }
  return 'unknown';
}
