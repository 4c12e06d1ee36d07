import { SpanStatusCode, trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';

/**
 * A crash as a FATAL log record and an ERROR span, so that it reaches every configured backend
 * (OTLP, the console) and not Sentry alone; the process flushes them before it exits.
 */
export function recordCrash(error: unknown): void {
  const crash = error instanceof Error ? error : new Error(String(error));
  const attributes = {
    'exception.type': crash.name,
    'exception.message': crash.message,
    'exception.stacktrace': crash.stack ?? '',
  };
  logs.getLogger('convonet.process').emit({ severityNumber: SeverityNumber.FATAL, severityText: 'FATAL', body: `crash: ${crash.message}`, attributes });
  const span = trace.getTracer('convonet.process').startSpan('process crash', { attributes: { 'error.type': crash.name } });
  span.recordException(crash);
  span.setStatus({ code: SpanStatusCode.ERROR, message: crash.message });
  span.end();
}
