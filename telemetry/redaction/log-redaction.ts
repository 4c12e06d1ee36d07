import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { Redactor } from './redaction.ts';

/** First log processor: the OTLP and Sentry log pipelines behind it only see redacted records. */
export class RedactingLogRecordProcessor implements LogRecordProcessor {
  constructor(private readonly redactor: Redactor) {}

  onEmit(record: SdkLogRecord, _context?: Context): void {
    this.redactor.attributes(record.attributes as Record<string, unknown>);
    if (record.body !== undefined) record.setBody(this.redactor.deep(record.body));
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
