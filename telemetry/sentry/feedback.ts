import * as Sentry from '@sentry/node';
import type { Attributes, Span } from '@opentelemetry/api';
import { FEEDBACK_COMMENT, FEEDBACK_ID, TWILIO_CALL_SID } from '../../src/signals/attributes.ts';
import type { Redactor } from '../redaction/redaction.ts';
import type { WithSpan } from './exceptions.ts';

/**
 * The app records caller feedback as a span event (src/voice/turns.ts, through the OpenTelemetry
 * API only); in Sentry it belongs in User Feedback, attached to the call's trace. Neither bridge
 * does that by itself (Sentry's OTLP intake drops span events), so the event becomes
 * `Sentry.captureFeedback` as it is added, with its span active so that the feedback carries the
 * span's trace id.
 * https://docs.sentry.io/platforms/javascript/guides/node/user-feedback/
 *
 * The comment is the caller's speech, which is content: it is sent only with
 * TELEMETRY_CAPTURE_CONTENT=true; otherwise the feedback says where to read it.
 */
export interface FeedbackOptions {
  captureContent: boolean;
  redactor: Redactor;
}

export function captureSpanFeedback(attributes: Attributes, span: Span, withSpan: WithSpan, { captureContent, redactor }: FeedbackOptions): void {
  const id = attributes[FEEDBACK_ID];
  const callSid = attributes[TWILIO_CALL_SID];
  withSpan(span, () =>
    Sentry.captureFeedback({
      // Feedback events skip `beforeSend`, so the comment is redacted here (phone numbers, secrets).
      message: redactor.text(feedbackMessage(attributes, captureContent)),
      source: 'voice_call',
      tags: {
        ...(typeof id === 'string' ? { [FEEDBACK_ID]: id } : {}),
        ...(typeof callSid === 'string' ? { [TWILIO_CALL_SID]: callSid } : {}),
      },
    }),
  );
}

/** What Sentry is told: the words only with content capture on, otherwise where they are kept. */
function feedbackMessage(attributes: Attributes, captureContent: boolean): string {
  const comment = attributes[FEEDBACK_COMMENT];
  if (captureContent && typeof comment === 'string' && comment.length > 0) return comment;
  const id = attributes[FEEDBACK_ID];
  return `Caller left feedback (feedback id ${typeof id === 'string' ? id : 'unknown'}; text kept in the database)`;
}
