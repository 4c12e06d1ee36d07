import Router from '@koa/router';
import type { Span } from '@opentelemetry/api';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { settleBy } from '../deadline.ts';
import { closeCall, findCall, findCallAndCaller, openCall, updateCallStatus, type CallRow, type SignedInCaller } from '../db/calls.ts';
import { readBy, transactionBy } from '../db/deadline.ts';
import type { Db } from '../db/knex.ts';
import { countRelaySessions, issueRelaySession } from '../db/relay-sessions.ts';
import { latestTurn } from '../db/turns.ts';
import {
  CALLER_PSEUDO_ID,
  ERROR_TYPE,
  RELAY_END_REASON,
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
import type { Turns, TurnReply, WebhookClock } from './turns.ts';
import { APOLOGY, UNSURE } from './turns.ts';
import { HANDOFF, readHandoff } from './relay/messages.ts';
import { askForPin, connectRelay, hangUp, hold, listen, PATHS, transfer, withCallTrace } from './twiml.ts';
import {
  incomingParams,
  parseParams,
  pinParams,
  relayEndedParams,
  resultParams,
  resultQuery,
  statusParams,
  turnParams,
  turnQuery,
} from './webhook-params.ts';

export interface VoiceRoutesOptions {
  db: Db;
  turns: Turns;
  logger: Logger;
  config: Pick<Config, 'transfer' | 'captureContent' | 'voiceMode' | 'twilio'>;
}

const NOT_SIGNED_IN = 'Sorry, this call is not signed in. Please call again and say your PIN. Goodbye.';
const CALL_ENDED = 'This call has ended. Goodbye.';
// Relay sessions a call may be given in all: its first, and reconnections after lost ones.
const MAX_RELAY_SESSIONS = 3;

/**
 * The Twilio webhooks: each parses Twilio's parameters, calls one domain function and answers
 * TwiML, by the deadline taken when the webhook arrived (`ctx.state.clock`, set in app.ts).
 */
export function voiceRoutes({ db, turns, logger, config }: VoiceRoutesOptions): Router {
  // Paths match exactly as written: the signature guard in front covers every path anyway.
  const router = new Router({ sensitive: true, strict: true });

  router.post(PATHS.incoming, async (ctx) => {
    const params = parseParams(incomingParams, ctx.request.body);
    await respond(ctx, params.CallSid, () => hangUp(APOLOGY), () =>
      inWebhookSpan(ctx, 'voice_call.incoming', { callSid: params.CallSid }, async (_span, carrier) => {
        const call = await transactionBy(db, clockOf(ctx).deadline, (trx) =>
          openCall(trx, {
            callSid: params.CallSid,
            from: params.From,
            to: params.To,
            status: params.CallStatus,
            stirVerstat: params.StirVerstat,
            traceContext: carrier,
          }),
        );
        if (call.ended_at) return refuseEnded(ctx);
        ctx.state.outcome = 'greeted';
        return askForPin('Welcome to Convonet. Please say or enter your PIN, then press pound.');
      }),
    );
  });

  router.post(PATHS.pin, async (ctx) => {
    const params = parseParams(pinParams, ctx.request.body);
    await forKnownCall(ctx, params.CallSid, 'voice_call.pin', () => hangUp(APOLOGY), async (call) => {
      const heard = { digits: params.Digits, speech: params.SpeechResult };
      const result = await signIn({ db, logger }, call.call_sid, heard, clockOf(ctx).deadline);
      ctx.state.outcome = `pin_${result.outcome}`;
      switch (result.outcome) {
        case 'accepted':
          if (config.voiceMode === 'relay') return relay(ctx, call.call_sid, `Thanks, ${result.name}. What can I do for you?`);
          return listen(`Thanks, ${result.name}. What can I do for you?`, 1);
        case 'rejected':
          return askForPin(
            `That PIN didn't match. You have ${result.attemptsLeft} ${result.attemptsLeft === 1 ? 'try' : 'tries'} left. Please say or enter your PIN.`,
          );
        case 'locked':
          return hangUp("Sorry, I couldn't verify your PIN. Please call again later. Goodbye.");
        case 'paused':
          return hangUp('Sign-in for this number is paused after too many wrong PINs. Please try again later. Goodbye.');
        case 'ended':
          return refuseEnded(ctx);
      }
    });
  });

  router.post(PATHS.turn, async (ctx) => {
    const params = parseParams(turnParams, ctx.request.body);
    const { seq } = parseParams(turnQuery, ctx.query);
    const heard = understand(params.SpeechResult);
    let turnStarted = false;
    // Past a failure the next <Gather> gets the next number, so a turn made late cannot be confused with it.
    const failed = () => listen(turnStarted ? UNSURE : APOLOGY, seq === undefined ? undefined : seq + 1);
    await forKnownCall(ctx, params.CallSid, 'voice_call.process_audio', failed, async (call, span) => {
      const { caller } = call;
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
        return listen("Sorry, I didn't catch that. What can I do for you?", seq);
      }
      if (heard.kind === 'goodbye') {
        ctx.state.outcome = 'goodbye';
        return hangUp(`Goodbye, ${caller.name}. Talk to you soon.`);
      }
      const reply = await turns.answer({
        callSid: call.call_sid,
        caller: { id: caller.id, name: caller.name, timezone: caller.timezone },
        utterance: heard.text,
        seq,
        idempotencyToken: ctx.get('I-Twilio-Idempotency-Token') || undefined,
        clock: clockOf(ctx),
        onTurn: () => (turnStarted = true),
      });
      return speak(ctx, reply);
    });
  });

  router.post(PATHS.turnResult, async (ctx) => {
    const params = parseParams(resultParams, ctx.request.body);
    const { turn: turnId, seq } = parseParams(resultQuery, ctx.query);
    const failed = () => listen(UNSURE, seq === undefined ? undefined : seq + 1);
    await forKnownCall(ctx, params.CallSid, 'voice_call.collect_answer', failed, async (call) => {
      const reply = call.user_id ? await turns.collect(call.call_sid, turnId, clockOf(ctx)) : null;
      if (!reply) {
        ctx.state.outcome = 'unknown_turn';
        return hangUp(NOT_SIGNED_IN);
      }
      return speak(ctx, reply);
    });
  });

  router.post(PATHS.relayEnded, async (ctx) => {
    const params = parseParams(relayEndedParams, ctx.request.body);
    await forKnownCall(ctx, params.CallSid, 'voice_call.relay_ended', () => hangUp(APOLOGY), async (call, span) => {
      const handoff = readHandoff(params.HandoffData);
      span.setAttribute(RELAY_END_REASON, handoff?.reasonCode ?? 'lost');
      if (handoff?.reasonCode === HANDOFF.transfer) {
        // Only a turn the agent settled as a transfer puts the caller through, whatever the data says.
        const last = await readBy(db, clockOf(ctx).deadline, (read) => latestTurn(read, call.call_sid));
        if (last?.action === 'transfer' && (config.transfer.number || config.transfer.sipUri)) {
          ctx.state.outcome = 'transfer';
          return transfer(undefined, config.transfer);
        }
      }
      if (handoff) {
        ctx.state.outcome = 'goodbye';
        return hangUp();
      }
      // The session was lost (an instance stopped, the connection broke): a new one, on any instance, a few times.
      const sessions = await readBy(db, clockOf(ctx).deadline, (read) => countRelaySessions(read, call.call_sid));
      if (!call.user_id || sessions >= MAX_RELAY_SESSIONS) {
        ctx.state.outcome = 'apologised';
        return hangUp(APOLOGY);
      }
      ctx.state.outcome = 'reconnected';
      return relay(ctx, call.call_sid, 'Sorry, I lost you for a moment. What can I do for you?');
    });
  });

  router.post(PATHS.status, async (ctx) => {
    const params = parseParams(statusParams, ctx.request.body);
    ctx.state.callSid = params.CallSid;
    ctx.state.outcome = params.CallStatus;
    ctx.status = 204;
    const { deadline } = clockOf(ctx);
    try {
      await settleBy(recordStatus(ctx, params, deadline), deadline);
    } catch (error) {
      // Twilio does not retry a status callback, whatever it is answered: the call is closed
      // later instead (settleStaleWork), and the failure is on the trace and in the log.
      recordFailure('voice_call.failure', error);
      errors.add(1, { [ERROR_TYPE]: errorType(error) });
      logger.error({ err: error, [TWILIO_CALL_SID]: params.CallSid, webhook: ctx.path }, 'status callback not recorded');
      ctx.state.outcome = 'not_recorded';
    }
  });

  async function recordStatus(
    ctx: Context,
    params: ReturnType<typeof statusParams.parse>,
    deadline: WebhookClock['deadline'],
  ): Promise<void> {
    const call = await readBy(db, deadline, (read) => findCall(read, params.CallSid));
    if (!call) {
      // A status for a call we never answered: nothing to close, nothing to change.
      ctx.state.outcome = 'unknown_call';
      return;
    }
    await inWebhookSpan(ctx, 'voice_call.status', callTrace(call), async (span) => {
      span.setAttribute(TWILIO_CALL_STATUS, params.CallStatus);
      if (!ENDED.has(params.CallStatus)) {
        return transactionBy(db, deadline, (trx) => updateCallStatus(trx, call.call_sid, params.CallStatus));
      }
      // Counted once, by whichever delivery of the final status closes the call.
      const closed = await transactionBy(db, deadline, (trx) =>
        closeCall(trx, call.call_sid, { status: params.CallStatus, durationSeconds: params.CallDuration }),
      );
      if (closed) calls.add(1, { [TWILIO_CALL_STATUS]: params.CallStatus });
    });
  }

  /** Continues the signed-in call on a ConversationRelay session that only this call can open. */
  async function relay(ctx: Context, callSid: string, greeting: string): Promise<string> {
    const token = await transactionBy(db, clockOf(ctx).deadline, (trx) => issueRelaySession(trx, callSid));
    const base = (config.twilio.publicBaseUrl ?? `${ctx.protocol}://${ctx.host}`).replace(/^http/, 'ws');
    return connectRelay(greeting, `${base}${withCallTrace(`${PATHS.relay}?session=${token}`)}`);
  }

  /**
   * Answers a webhook with TwiML by its deadline, whatever happens. A failure (a database gone
   * or locked, a bug) or the deadline passing is recorded on the trace, and the caller hears
   * `fallback` rather than Twilio's "an application error has occurred".
   */
  async function respond(ctx: Context, callSid: string, fallback: () => string, produce: () => Promise<string>): Promise<void> {
    ctx.state.callSid = callSid;
    let twiml: string;
    try {
      twiml = await settleBy(produce(), clockOf(ctx).deadline);
    } catch (error) {
      // Already on the call's span when it got that far; on a span of its own when it did not.
      recordFailure('voice_call.failure', error);
      errors.add(1, { [ERROR_TYPE]: errorType(error) });
      logger.error({ err: error, [TWILIO_CALL_SID]: callSid, webhook: ctx.path }, 'webhook failed');
      ctx.state.outcome = 'apologised';
      twiml = fallback();
    }
    ctx.type = 'text/xml';
    ctx.body = twiml;
  }

  /**
   * A webhook of a call we know and that has not ended, in that call's trace; an unknown CallSid
   * is told goodbye, and a webhook for an ended call (a replay) is refused; neither reaches anything else.
   */
  function forKnownCall(
    ctx: Context,
    callSid: string,
    name: string,
    fallback: () => string,
    handle: (call: CallRow & { caller: SignedInCaller | null }, span: Span) => Promise<string>,
  ) {
    return respond(ctx, callSid, fallback, async () => {
      const call = await readBy(db, clockOf(ctx).deadline, (read) => findCallAndCaller(read, callSid));
      if (!call) {
        ctx.state.outcome = 'unknown_call';
        return hangUp(NOT_SIGNED_IN);
      }
      if (call.ended_at) return refuseEnded(ctx);
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
        return hold(reply.say, reply.turnId, reply.seq);
      case 'ended':
        return refuseEnded(ctx);
      case 'stale':
        return listen('Sorry, could you say that again?', reply.seq + 1);
      case 'apology':
        return listen(reply.say, nextSeq(reply.seq));
      case 'answer':
        if (reply.action !== 'transfer') return listen(reply.say, nextSeq(reply.seq));
        if (!config.transfer.number && !config.transfer.sipUri) {
          ctx.state.outcome = 'transfer_unavailable';
          return listen("I'd put you through to a person, but no one is set up to take calls yet. Is there anything else?", nextSeq(reply.seq));
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

function nextSeq(seq: number | null): number | undefined {
  return seq === null ? undefined : seq + 1;
}

/** A webhook for a call that has ended (a replay, or a very late retry) changes nothing. */
function refuseEnded(ctx: Context): string {
  ctx.state.outcome = 'call_ended';
  return hangUp(CALL_ENDED);
}

/** The webhook's clock, set when it arrived (app.ts). */
export function clockOf(ctx: Context): WebhookClock {
  return ctx.state.clock as WebhookClock;
}
