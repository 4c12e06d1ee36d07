import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import * as Sentry from '@sentry/node';

type SentryLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Forwards the app's log records (pino, through its OpenTelemetry instrumentation) to Sentry
 * logs. It runs synchronously inside the logging call, so Sentry links the log to the trace
 * active there; the span it was written under is passed along, as Sentry would find it itself
 * only for spans of its own. Records arrive already redacted (it sits after the redactor).
 */
export class SentryLogForwarder implements LogRecordProcessor {
  onEmit(record: SdkLogRecord, _context?: Context): void {
    const message = typeof record.body === 'string' ? record.body : JSON.stringify(record.body ?? '');
    const spanId = record.spanContext?.spanId;
    Sentry.logger[levelOf(record.severityNumber)](message, {
      ...record.attributes,
      ...(spanId ? { 'sentry.trace.parent_span_id': spanId } : {}),
    });
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

function levelOf(severity: number | undefined): SentryLevel {
  if (severity === undefined) return 'info';
  if (severity <= 4) return 'trace';
  if (severity <= 8) return 'debug';
  if (severity <= 12) return 'info';
  if (severity <= 16) return 'warn';
  if (severity <= 20) return 'error';
  return 'fatal';
}
