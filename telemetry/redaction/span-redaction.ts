import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Redactor } from './redaction.ts';

/**
 * First in the tracer provider's processor list, so every later processor (exporters, the
 * Sentry exception capture) only ever sees the redacted span. The span is ended and no longer
 * written to, so its attribute and event records are edited in place rather than copied.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly redactor: Redactor) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    this.redactor.attributes(span.attributes);
    for (const event of span.events) {
      if (event.attributes) this.redactor.attributes(event.attributes);
    }
    for (const link of span.links) {
      if (link.attributes) this.redactor.attributes(link.attributes);
    }
    if (span.status.message) {
      (span.status as { message?: string }).message = this.redactor.text(span.status.message);
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
