import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { closeCall, findCall, openCall, type CallRow } from '../db/calls.ts';
import type { Db } from '../db/knex.ts';
import { findUserById } from '../db/users.ts';
import {
  CALLER_PSEUDO_ID,
  ERROR_TYPE,
  SPEECH_CONFIDENCE,
  TRANSCRIPT,
  TRANSCRIPT_LENGTH,
  TWILIO_CALL_STATUS,
  TWILIO_WEBHOOK,
  WEBHOOK_OUTCOME,
} from '../signals/attributes.ts';
import { calls, errors } from '../signals/metrics.ts';
import { errorType } from '../signals/spans.ts';
import { inCallSpan } from './call-trace.ts';
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
    ctx.state.callSid = params.CallSid;
    await respond(ctx, { callSid: params.CallSid }, 'voice_call.incoming', async (_span, carrier) => {
      await openCall(db, {
        callSid: params.CallSid,
        from: params.From,
        to: params.To,
        status: params.CallStatus,
        traceContext: carrier,
      });
      ctx.state.outcome = 'greeted';
      return askForPin('Welcome to Convonet. Please say or enter your PIN, then press pound.');
    });
  });

  router.post(PATHS.pin, async (ctx) => {
    const params = parseParams(pinParams, ctx.request.body);
    const call = await knownCall(ctx, params.CallSid);
    if (!call) return;
    await respond(ctx, callTrace(call), 'voice_call.pin', async () => {
      const result = await signIn({ db, logger }, { callSid: call.call_sid, digits: params.Digits, speech: params.SpeechResult });
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
        case 'unknown_call':
          return hangUp(NOT_SIGNED_IN);
      }
    });
  });

  router.post(PATHS.turn, async (ctx) => {
    const params = parseParams(turnParams, ctx.request.body);
    const call = await knownCall(ctx, params.CallSid);
    if (!call) return;
    const heard = understand(params.SpeechResult);
    const attributes = {
      [SPEECH_CONFIDENCE]: params.Confidence ?? -1,
      [TRANSCRIPT_LENGTH]: params.SpeechResult?.length ?? 0,
      ...(config.captureContent && params.SpeechResult ? { [TRANSCRIPT]: params.SpeechResult } : {}),
    };
    await respond(ctx, callTrace(call), 'voice_call.process_audio', async (span) => {
      const caller = call.user_id ? await findUserById(db, call.user_id) : null;
      if (!caller) {
        ctx.state.outcome = 'not_signed_in';
        return hangUp(NOT_SIGNED_IN);
      }
      span.setAttributes({ ...attributes, [CALLER_PSEUDO_ID]: caller.id });
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
    const call = await knownCall(ctx, params.CallSid);
    if (!call) return;
    await respond(ctx, callTrace(call), 'voice_call.collect_answer', async () => {
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
    const call = await findCall(db, params.CallSid);
    if (!call) {
      // A status for a call we never answered: nothing to close, nothing to change.
      ctx.state.outcome = 'unknown_call';
      ctx.status = 204;
      return;
    }
    await inCallSpan('voice_call.status', callTrace(call), { [TWILIO_WEBHOOK]: ctx.path }, async (span) => {
      await closeCall(db, call.call_sid, { status: params.CallStatus, durationSeconds: params.CallDuration });
      span.setAttribute(TWILIO_CALL_STATUS, params.CallStatus);
      if (!call.ended_at) calls.add(1, { [TWILIO_CALL_STATUS]: params.CallStatus });
    });
    ctx.state.outcome = params.CallStatus;
    ctx.status = 204;
  });

  /** Loads the call a webhook names; an unknown CallSid is told goodbye and reaches nothing else. */
  async function knownCall(ctx: Context, callSid: string): Promise<CallRow | null> {
    ctx.state.callSid = callSid;
    const call = await findCall(db, callSid);
    if (!call) {
      ctx.state.outcome = 'unknown_call';
      ctx.type = 'text/xml';
      ctx.body = hangUp(NOT_SIGNED_IN);
    }
    return call;
  }

  /**
   * Runs a webhook inside the call's trace and answers with its TwiML. A failure (a database
   * gone, a bug) is recorded on the trace and the caller hears an apology rather than Twilio's
   * "an application error has occurred".
   */
  async function respond(
    ctx: Context,
    call: Parameters<typeof inCallSpan>[1],
    name: string,
    handle: Parameters<typeof inCallSpan<string>>[3],
  ): Promise<void> {
    let twiml: string;
    try {
      twiml = await inCallSpan(name, call, { [TWILIO_WEBHOOK]: ctx.path }, async (span, carrier) => {
        const answer = await handle(span, carrier);
        span.setAttribute(WEBHOOK_OUTCOME, String(ctx.state.outcome ?? 'ok'));
        return answer;
      });
    } catch (error) {
      errors.add(1, { [ERROR_TYPE]: errorType(error) });
      logger.error({ err: error, callSid: call.callSid, webhook: ctx.path }, 'webhook failed');
      ctx.state.outcome = 'apologised';
      twiml = ctx.path === PATHS.incoming || ctx.path === PATHS.pin ? hangUp(APOLOGY) : listen(APOLOGY);
    }
    ctx.type = 'text/xml';
    ctx.body = twiml;
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

function callTrace(call: CallRow) {
  return { callSid: call.call_sid, traceContext: call.trace_context };
}
