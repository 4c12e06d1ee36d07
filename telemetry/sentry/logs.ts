import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import * as Sentry from '@sentry/node';

type SentryLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Forwards the app's log records (pino, through its OpenTelemetry instrumentation) to Sentry
 * logs. It runs synchronously inside the logging call, so the span that is active there is the
 * one Sentry links the log to. Records arrive already redacted (it sits after the redactor).
 */
export class SentryLogForwarder implements LogRecordProcessor {
  onEmit(record: SdkLogRecord, _context?: Context): void {
    const message = typeof record.body === 'string' ? record.body : JSON.stringify(record.body ?? '');
    Sentry.logger[levelOf(record.severityNumber)](message, { ...record.attributes });
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
