import Router from '@koa/router';
import type { Span } from '@opentelemetry/api';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { closeCall, findCall, openCall, updateCallStatus, type CallRow } from '../db/calls.ts';
import type { Db } from '../db/knex.ts';
import { findUserById } from '../db/users.ts';
import {
  CALLER_PSEUDO_ID,
  ERROR_TYPE,
  SPEECH_CONFIDENCE,
  TRANSCRIPT,
  TRANSCRIPT_LENGTH,
  TWILIO_CALL_SID,
  TWILIO_CALL_STATUS,
  TWILIO_WEBHOOK,
  WEBHOOK_OUTCOME,
} from '../signals/attributes.ts';
import { calls, errors } from '../signals/metrics.ts';
import { errorType, recordFailure } from '../signals/spans.ts';
import { inCallSpan, type TraceCarrier } from './call-trace.ts';
import { signIn } from './sign-in.ts';
import { understand } from './speech.ts';
import type { Turns, TurnReply } from './turns.ts';
import { APOLOGY } from './turns.ts';
import { askForPin, hangUp, hold, listen, PATHS, transfer } from './twiml.ts';
import {
  incomingParams,
  parseParams,
  pinParams,
  resultParams,
  resultQuery,
  statusParams,
  turnParams,
} from './webhook-params.ts';

export interface VoiceRoutesOptions {
  db: Db;
  turns: Turns;
  logger: Logger;
  config: Pick<Config, 'transfer' | 'captureContent'>;
}

const NOT_SIGNED_IN = 'Sorry, this call is not signed in. Please call again and say your PIN. Goodbye.';

/** The Twilio webhooks: each parses Twilio's parameters, calls one domain function and answers TwiML. */
export function voiceRoutes({ db, turns, logger, config }: VoiceRoutesOptions): Router {
  const router = new Router();

  router.post(PATHS.incoming, async (ctx) => {
    const params = parseParams(incomingParams, ctx.request.body);
    await respond(ctx, params.CallSid, () =>
      inWebhookSpan(ctx, 'voice_call.incoming', { callSid: params.CallSid }, async (_span, carrier) => {
        await openCall(db, {
          callSid: params.CallSid,
          from: params.From,
          to: params.To,
          status: params.CallStatus,
          traceContext: carrier,
        });
        ctx.state.outcome = 'greeted';
        return askForPin('Welcome to Convonet. Please say or enter your PIN, then press pound.');
      }),
    );
  });

  router.post(PATHS.pin, async (ctx) => {
    const params = parseParams(pinParams, ctx.request.body);
    await forKnownCall(ctx, params.CallSid, 'voice_call.pin', async (call) => {
      const result = await signIn({ db, logger }, call, { digits: params.Digits, speech: params.SpeechResult });
      ctx.state.outcome = `pin_${result.outcome}`;
      switch (result.outcome) {
        case 'accepted':
          return listen(`Thanks, ${result.name}. What can I do for you?`);
        case 'rejected':
          return askForPin(
            `That PIN didn't match. You have ${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'try' : 'tries'} left. Please say or enter your PIN.`,
          );
        case 'locked':
          return hangUp("Sorry, I couldn't verify your PIN. Please call again later. Goodbye.");
      }
    });
  });

  router.post(PATHS.turn, async (ctx) => {
    const params = parseParams(turnParams, ctx.request.body);
    const heard = understand(params.SpeechResult);
    await forKnownCall(ctx, params.CallSid, 'voice_call.process_audio', async (call, span) => {
      const caller = call.user_id ? await findUserById(db, call.user_id) : null;
      if (!caller) {
        ctx.state.outcome = 'not_signed_in';
        return hangUp(NOT_SIGNED_IN);
      }
      span.setAttributes({
        [CALLER_PSEUDO_ID]: caller.id,
        [SPEECH_CONFIDENCE]: params.Confidence ?? -1,
        [TRANSCRIPT_LENGTH]: params.SpeechResult?.length ?? 0,
        ...(config.captureContent && params.SpeechResult ? { [TRANSCRIPT]: params.SpeechResult } : {}),
      });
      if (heard.kind === 'empty') {
        ctx.state.outcome = 'reprompted';
        return listen("Sorry, I didn't catch that. What can I do for you?");
      }
      if (heard.kind === 'goodbye') {
        ctx.state.outcome = 'goodbye';
        return hangUp(`Goodbye, ${caller.name}. Talk to you soon.`);
      }
      const reply = await turns.answer({
        callSid: call.call_sid,
        caller: { id: caller.id, name: caller.name, timezone: caller.timezone },
        utterance: heard.text,
        idempotencyToken: ctx.get('I-Twilio-Idempotency-Token') || undefined,
      });
      return speak(ctx, reply);
    });
  });

  router.post(PATHS.turnResult, async (ctx) => {
    const params = parseParams(resultParams, ctx.request.body);
    const { turn: turnId } = parseParams(resultQuery, ctx.query);
    await forKnownCall(ctx, params.CallSid, 'voice_call.collect_answer', async (call) => {
      const reply = call.user_id ? await turns.collect(call.call_sid, turnId) : null;
      if (!reply) {
        ctx.state.outcome = 'unknown_turn';
        return hangUp(NOT_SIGNED_IN);
      }
      return speak(ctx, reply);
    });
  });

  router.post(PATHS.status, async (ctx) => {
    const params = parseParams(statusParams, ctx.request.body);
    ctx.state.callSid = params.CallSid;
    ctx.state.outcome = params.CallStatus;
    ctx.status = 204;
    const call = await findCall(db, params.CallSid);
    if (!call) {
      // A status for a call we never answered: nothing to close, nothing to change.
      ctx.state.outcome = 'unknown_call';
      return;
    }
    await inWebhookSpan(ctx, 'voice_call.status', callTrace(call), async (span) => {
      span.setAttribute(TWILIO_CALL_STATUS, params.CallStatus);
      if (!ENDED.has(params.CallStatus)) return updateCallStatus(db, call.call_sid, params.CallStatus);
      // Counted once, by whichever delivery of the final status closes the call.
      const closed = await closeCall(db, call.call_sid, { status: params.CallStatus, durationSeconds: params.CallDuration });
      if (closed) calls.add(1, { [TWILIO_CALL_STATUS]: params.CallStatus });
    });
  });

  /**
   * Answers a webhook with TwiML whatever happens. A failure (a database gone, a bug) is
   * recorded on the trace and the caller hears an apology rather than Twilio's "an application
   * error has occurred".
   */
  async function respond(ctx: Context, callSid: string, produce: () => Promise<string>): Promise<void> {
    ctx.state.callSid = callSid;
    let twiml: string;
    try {
      twiml = await produce();
    } catch (error) {
      // Already on the call's span when it got that far; on a span of its own when it did not.
      recordFailure('voice_call.failure', error);
      errors.add(1, { [ERROR_TYPE]: errorType(error) });
      logger.error({ err: error, [TWILIO_CALL_SID]: callSid, webhook: ctx.path }, 'webhook failed');
      ctx.state.outcome = 'apologised';
      twiml = ctx.path === PATHS.incoming || ctx.path === PATHS.pin ? hangUp(APOLOGY) : listen(APOLOGY);
    }
    ctx.type = 'text/xml';
    ctx.body = twiml;
  }

  /** A webhook of a call we know, in that call's trace; an unknown CallSid is told goodbye and reaches nothing else. */
  function forKnownCall(ctx: Context, callSid: string, name: string, handle: (call: CallRow, span: Span) => Promise<string>) {
    return respond(ctx, callSid, async () => {
      const call = await findCall(db, callSid);
      if (!call) {
        ctx.state.outcome = 'unknown_call';
        return hangUp(NOT_SIGNED_IN);
      }
      return inWebhookSpan(ctx, name, callTrace(call), (span) => handle(call, span));
    });
  }

  /** The webhook's span in the call's trace, carrying what came of it. */
  function inWebhookSpan<T>(
    ctx: Context,
    name: string,
    call: { callSid: string; traceContext?: TraceCarrier | null },
    handle: (span: Span, carrier: TraceCarrier) => Promise<T>,
  ): Promise<T> {
    return inCallSpan(name, call, { [TWILIO_WEBHOOK]: ctx.path }, async (span, carrier) => {
      ctx.state.span = span; // the webhook's log line is written in this span's context
      const answer = await handle(span, carrier);
      span.setAttribute(WEBHOOK_OUTCOME, String(ctx.state.outcome ?? 'ok'));
      return answer;
    });
  }

  function speak(ctx: Context, reply: TurnReply): string {
    ctx.state.outcome = reply.kind === 'answer' ? (reply.action === 'transfer' ? 'transfer' : 'answered') : reply.kind;
    switch (reply.kind) {
      case 'hold':
        return hold(reply.say, reply.turnId);
      case 'apology':
        return listen(reply.say);
      case 'answer':
        if (reply.action !== 'transfer') return listen(reply.say);
        if (!config.transfer.number && !config.transfer.sipUri) {
          ctx.state.outcome = 'transfer_unavailable';
          return listen("I'd put you through to a person, but no one is set up to take calls yet. Is there anything else?");
        }
        return transfer(reply.say, config.transfer);
    }
  }

  return router;
}

// Twilio's final call statuses; the others (queued, ringing, in-progress) leave the call open.
const ENDED = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

function callTrace(call: CallRow) {
  return { callSid: call.call_sid, traceContext: call.trace_context };
}
