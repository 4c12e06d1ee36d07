import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ERROR_TYPE, GEN_AI_TOOL_NAME, TWILIO_CALL_SID } from '../../src/signals/attributes.ts';

const SHOWN_ATTRIBUTES = ['http.route', 'http.response.status_code', 'db.operation.name', 'db.query.summary', TWILIO_CALL_SID, GEN_AI_TOOL_NAME, ERROR_TYPE];

/**
 * One short line per span on stderr, for local work: the SDK's ConsoleSpanExporter prints a
 * multi-line object per span, unreadable at a few dozen spans per phone turn.
 */
export class CompactConsoleSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const lines = spans.map((span) => {
      const { traceId, spanId } = span.spanContext();
      const parent = span.parentSpanContext?.spanId ?? '-';
      const status = span.status.code === SpanStatusCode.ERROR ? ` ERROR${span.status.message ? `(${span.status.message})` : ''}` : '';
      const details = SHOWN_ATTRIBUTES.filter((key) => span.attributes[key] !== undefined)
        .map((key) => `${key}=${String(span.attributes[key]).slice(0, 80)}`)
        .join(' ');
      const ms = hrTimeToMilliseconds(span.duration).toFixed(1);
      return `span ${traceId.slice(0, 8)}/${spanId.slice(0, 8)}<${parent.slice(0, 8)} ${ms}ms ${span.name}${status}${details ? ` ${details}` : ''}`;
    });
    process.stderr.write(`${lines.join('\n')}\n`);
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
