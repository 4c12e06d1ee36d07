import { ROOT_CONTEXT, context, trace, type Attributes, type Context, type TimeInput } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SentrySpan } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { EVENTS, FEEDBACK_COMMENT, FEEDBACK_ID, INSTRUMENTATION_NAME, TWILIO_CALL_SID } from '../src/signals/attributes.ts';
import type { Redactor } from './redaction.ts';

/**
 * The app records caller feedback as a span event (src/voice/turns.ts, through the OpenTelemetry
 * API only); in Sentry it belongs in User Feedback, attached to the call's trace. Neither bridge
 * does that by itself (Sentry's OTLP intake drops span events), so the event is turned into
 * `Sentry.captureFeedback` the moment it is added, with its span made active so that the
 * feedback carries the span's trace id.
 * https://docs.sentry.io/platforms/javascript/guides/node/user-feedback/
 *
 * The comment is the caller's speech, which is content: it is sent only with
 * TELEMETRY_CAPTURE_CONTENT=true; otherwise the feedback says where to read it.
 */

export interface FeedbackOptions {
  captureContent: boolean;
  redactor: Redactor;
}

/**
 * For the OpenTelemetry tracer provider: wraps `addEvent` on the app's own spans at start. Only
 * the app records feedback, so http, koa, knex and pg spans (most of them) are left alone.
 */
export class SentryFeedbackSpanProcessor implements SpanProcessor {
  constructor(private readonly options: FeedbackOptions) {}

  onStart(span: Span, _parentContext: Context): void {
    if (span.instrumentationScope.name !== INSTRUMENTATION_NAME) return;
    const original = span.addEvent.bind(span);
    const options = this.options;
    span.addEvent = function addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput) {
      // An ended span drops the event, and so does this: feedback is sent once, where it is kept.
      const recording = span.isRecording();
      original(name, attributesOrStartTime, startTime);
      if (name === EVENTS.callerFeedback && recording) {
        const spanOnly = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(span.spanContext()));
        context.with(spanOnly, () => captureFeedback(eventAttributes(attributesOrStartTime), options));
      }
      return span;
    };
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/**
 * For Sentry's tracer provider: the app's spans are `SentrySpan`s, reached through
 * `trace.getActiveSpan()` as well as the tracer, so the prototype's `addEvent` is wrapped.
 */
export function captureFeedbackRecordedOnSentrySpans(options: FeedbackOptions): void {
  const original = SentrySpan.prototype.addEvent;
  SentrySpan.prototype.addEvent = function addEvent(this: SentrySpan, name, attributesOrStartTime, startTime) {
    const recording = this.isRecording();
    const result = original.call(this, name, attributesOrStartTime, startTime);
    if (name === EVENTS.callerFeedback && recording) {
      Sentry.withActiveSpan(this, () => captureFeedback(eventAttributes(attributesOrStartTime), options));
    }
    return result;
  };
}

/** What Sentry is told: the words only with content capture on, otherwise where they are kept. */
export function feedbackMessage(attributes: Attributes, captureContent: boolean): string {
  const comment = attributes[FEEDBACK_COMMENT];
  if (captureContent && typeof comment === 'string' && comment.length > 0) return comment;
  const id = attributes[FEEDBACK_ID];
  return `Caller left feedback (feedback id ${typeof id === 'string' ? id : 'unknown'}; text kept in the database)`;
}

function captureFeedback(attributes: Attributes, { captureContent, redactor }: FeedbackOptions): void {
  const id = attributes[FEEDBACK_ID];
  const callSid = attributes[TWILIO_CALL_SID];
  Sentry.captureFeedback({
    // Feedback events skip `beforeSend`, so the comment is redacted here (phone numbers, secrets).
    message: redactor.text(feedbackMessage(attributes, captureContent)),
    source: 'voice_call',
    tags: {
      ...(typeof id === 'string' ? { [FEEDBACK_ID]: id } : {}),
      ...(typeof callSid === 'string' ? { [TWILIO_CALL_SID]: callSid } : {}),
    },
  });
}

/** `addEvent`'s second argument is either the attributes or a time. */
function eventAttributes(attributesOrStartTime: unknown): Attributes {
  const isTime =
    attributesOrStartTime === undefined ||
    typeof attributesOrStartTime === 'number' ||
    attributesOrStartTime instanceof Date ||
    Array.isArray(attributesOrStartTime);
  return isTime ? {} : (attributesOrStartTime as Attributes);
}
