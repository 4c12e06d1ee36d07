import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { trace, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { failureReason, type Agent } from '../agent/agent.ts';
import type { Config } from '../config.ts';
import { lockCall } from '../db/calls.ts';
import { recordFeedback } from '../db/feedback.ts';
import type { Db } from '../db/knex.ts';
import { requestCallerThreadReset } from '../db/threads.ts';
import { countRedirect, finishTurn, findTurn, findTurnByKey, insertTurn, latestTurn, type TurnRow } from '../db/turns.ts';
import {
  AGENT_DEADLINE_MS,
  AGENT_ELAPSED_MS,
  ERROR_TYPE,
  EVENTS,
  FEEDBACK_COMMENT,
  FEEDBACK_ID,
  TURN_END_REASON,
  TURN_ID,
  TURN_OUTCOME,
  TWILIO_CALL_SID,
} from '../signals/attributes.ts';
import { recordEvent } from '../signals/events.ts';
import { agentTimeouts, errors, turnDuration } from '../signals/metrics.ts';
import { errorType, failSpan, inSpan } from '../signals/spans.ts';
import type { Caller } from '../tools/tool.ts';

/** The caller waited through every redirect and was told to ask again. */
export class AgentTimeoutError extends Error {
  override name = 'AgentTimeoutError';
}

/** What the caller hears next. */
export type TurnReply =
  | { kind: 'answer'; say: string; action: 'listen' | 'transfer' }
  | { kind: 'hold'; say: string; turnId: string }
  | { kind: 'apology'; say: string };

export const APOLOGY = "Sorry, something went wrong on my side and I couldn't do that. Please try again.";
const TOO_SLOW = "Sorry, that's taking much longer than it should. Please ask me again in a moment.";
const HOLDING = ['One moment, I am working on that.', 'Still working on it, thanks for waiting.', 'Almost there.'];

// A retry of a webhook arrives within Twilio's 15-second timeout, before the caller can speak again.
const RETRY_WINDOW_MS = 15_000;
// Speaking a holding phrase and Twilio's redirect round trip, generously.
const HOLD_ALLOWANCE_MS = 5_000;
// How often an instance that is not running a turn looks for its answer in the database.
const POLL_MS = 200;

export interface TurnsOptions {
  db: Db;
  agent: Agent;
  logger: Logger;
  config: Pick<Config['agent'], 'turnTimeoutMs' | 'maxRedirects'> & {
    /** Whether the caller's words may go on spans and logs (TELEMETRY_CAPTURE_CONTENT). */
    captureContent?: boolean;
  };
}

/**
 * Answers a caller's utterance inside Twilio's webhook deadline. The agent's work is started
 * and raced against `turnTimeoutMs`; if it loses, the caller hears a holding phrase and Twilio is
 * redirected to collect the answer, which the work stores on the turn whenever it finishes,
 * whichever instance serves the redirect. A retried webhook finds its turn and never starts
 * the work twice.
 */
export function createTurns({ db, agent, logger, config }: TurnsOptions) {
  // Work this instance is running, by turn id; other instances read results from the database.
  const running = new Map<string, { done: Promise<void>; abort: AbortController }>();

  async function answer(input: {
    callSid: string;
    caller: Caller;
    utterance: string;
    idempotencyToken?: string;
  }): Promise<TurnReply> {
    const { turn, created } = await findOrStartTurn(input);
    trace.getActiveSpan()?.setAttribute(TURN_ID, turn.id);
    if (created) start(turn, input.caller);
    return replyWithin(turn, config.turnTimeoutMs, 0);
  }

  /** Twilio's redirect back for an answer that was not ready. */
  async function collect(callSid: string, turnId: string): Promise<TurnReply | null> {
    const turn = await findTurn(db, callSid, turnId);
    if (!turn) return null;
    if (turn.status !== 'running') return replyFor(turn);
    const redirects = await countRedirect(db, turn.id);
    return replyWithin(turn, config.turnTimeoutMs, redirects);
  }

  async function findOrStartTurn(input: { callSid: string; utterance: string; idempotencyToken?: string }) {
    const utteranceHash = createHash('sha256').update(input.utterance.toLowerCase()).digest('hex');
    return db.transaction(async (trx) => {
      await lockCall(trx, input.callSid); // one turn decision at a time per call
      const existing = input.idempotencyToken
        ? await findTurnByKey(trx, input.idempotencyToken)
        : await recentRetry(trx, input.callSid, utteranceHash);
      if (existing) return { turn: existing, created: false };
      const key = input.idempotencyToken ?? `${input.callSid}:${utteranceHash}:${Date.now()}`;
      const turn = await insertTurn(trx, { callSid: input.callSid, key, utterance: input.utterance, utteranceHash });
      return { turn, created: true };
    });
  }

  /** Without Twilio's idempotency token, a retry is the call's latest turn repeated within the window. */
  async function recentRetry(trx: Parameters<typeof latestTurn>[0], callSid: string, utteranceHash: string) {
    const latest = await latestTurn(trx, callSid);
    const fresh = latest && Date.now() - latest.created_at.getTime() < RETRY_WINDOW_MS;
    return fresh && latest.utterance_hash === utteranceHash ? latest : null;
  }

  function start(turn: TurnRow, caller: Caller): void {
    const abort = new AbortController();
    // A backstop only: giveUp() stops the work when the caller is told it failed. Each hold
    // costs the caller the holding phrase and Twilio's round trip on top of the wait.
    const budget = (config.turnTimeoutMs + HOLD_ALLOWANCE_MS) * (config.maxRedirects + 1);
    const timer = setTimeout(() => abort.abort(new Error('turn budget exhausted')), budget);
    const done = work(turn, caller, abort.signal).finally(() => {
      clearTimeout(timer);
      running.delete(turn.id);
    });
    running.set(turn.id, { done, abort });
  }

  async function work(turn: TurnRow, caller: Caller, signal: AbortSignal): Promise<void> {
    // The webhook's span: it ends when the webhook answers, which is before this when the turn is slow.
    const webhookSpan = trace.getActiveSpan();
    const started = performance.now();
    try {
      const answer = await agent.answer({
        caller,
        utterance: turn.utterance,
        turnId: turn.id,
        answerBy: Date.now() + config.turnTimeoutMs,
        signal,
      });
      const { endReason } = answer;
      await onOpenSpan(webhookSpan, turn, async (span) => {
        await finishTurn(db, turn.id, {
          status: 'answered',
          answer: answer.say,
          action: answer.action,
          threadId: answer.threadId,
          endReason,
        });
        for (const comment of answer.feedback) {
          const feedbackId = await recordFeedback(db, { callSid: turn.call_sid, userId: caller.id, turnId: turn.id, comment });
          recordEvent(logger, 'info', EVENTS.callerFeedback, {
            [TWILIO_CALL_SID]: turn.call_sid,
            [TURN_ID]: turn.id,
            [FEEDBACK_ID]: feedbackId,
            // The caller's own words: on the trace and in the log only when content capture is on.
            ...(config.captureContent ? { [FEEDBACK_COMMENT]: comment } : {}),
          });
        }
        if (endReason === 'redirected') await requestCallerThreadReset(db, caller.id, 'timeout');
        span?.setAttribute(TURN_END_REASON, endReason);
      });
      turnDuration.record((performance.now() - started) / 1000, { [TURN_OUTCOME]: endReason });
    } catch (error) {
      const endReason = failureReason(error, signal);
      // The caller will hear an apology: the failure goes on an open span, so it is an error on the trace.
      await onOpenSpan(webhookSpan, turn, async (span) => {
        if (span) failSpan(span, error, { [TURN_END_REASON]: endReason });
      });
      errors.add(1, { [ERROR_TYPE]: errorType(error) });
      turnDuration.record((performance.now() - started) / 1000, { [TURN_OUTCOME]: endReason });
      logger.error({ err: error, [TWILIO_CALL_SID]: turn.call_sid, [TURN_ID]: turn.id }, 'turn failed');
      await finishTurn(db, turn.id, { status: 'failed', answer: APOLOGY, action: 'listen', endReason }).catch(
        (storeError: unknown) => logger.error({ err: storeError, turnId: turn.id }, 'could not store failed turn'),
      );
      await requestCallerThreadReset(db, caller.id, endReason === 'timed_out' ? 'timeout' : 'error').catch(
        () => undefined,
      );
    }
  }

  /**
   * Runs `record` on the webhook's span while that webhook still waits for the turn; once it has
   * answered with a hold and ended, on a span of its own in the same trace, because an event,
   * attribute or exception given to an ended span is silently dropped.
   */
  function onOpenSpan<T>(webhookSpan: Span | undefined, turn: TurnRow, record: (span: Span | undefined) => Promise<T>): Promise<T> {
    if (!webhookSpan || webhookSpan.isRecording()) return record(webhookSpan);
    return inSpan('convonet.turn.finish', { attributes: { [TWILIO_CALL_SID]: turn.call_sid, [TURN_ID]: turn.id } }, record);
  }

  /** Waits up to `waitMs` for the turn to finish; past that, holds or gives up honestly. */
  async function replyWithin(turn: TurnRow, waitMs: number, redirects: number): Promise<TurnReply> {
    const finished = await waitForTurn(turn, waitMs);
    if (finished) return replyFor(finished);
    if (redirects === 0) {
      agentTimeouts.add(1);
      recordEvent(logger, 'warn', EVENTS.agentTimeout, {
        [TWILIO_CALL_SID]: turn.call_sid,
        [TURN_ID]: turn.id,
        [AGENT_DEADLINE_MS]: config.turnTimeoutMs,
        [AGENT_ELAPSED_MS]: Date.now() - turn.created_at.getTime(),
      });
    }
    if (redirects >= config.maxRedirects) {
      await giveUp(turn);
      // The caller hears an apology: make it an error on the trace, like any other.
      const span = trace.getActiveSpan();
      const error = new AgentTimeoutError(`no answer after ${redirects} redirects`);
      if (span) failSpan(span, error);
      errors.add(1, { [ERROR_TYPE]: error.name });
      return { kind: 'apology', say: TOO_SLOW };
    }
    return { kind: 'hold', say: HOLDING[Math.min(redirects, HOLDING.length - 1)]!, turnId: turn.id };
  }

  /** Stops the work and settles the turn, so nothing lands after the caller was told it failed. */
  async function giveUp(turn: TurnRow): Promise<void> {
    const local = running.get(turn.id);
    if (local) {
      local.abort.abort(new Error('caller stopped waiting'));
      await local.done;
    }
    // Run elsewhere, or by an instance that is gone: settle it here (a no-op if it finished).
    await finishTurn(db, turn.id, { status: 'failed', answer: TOO_SLOW, action: 'listen', endReason: 'timed_out' });
  }

  async function waitForTurn(turn: TurnRow, waitMs: number): Promise<TurnRow | null> {
    const local = running.get(turn.id);
    if (local) {
      const timeout = delay(waitMs, 'timeout' as const, { ref: false });
      if ((await Promise.race([local.done.then(() => 'done' as const), timeout])) === 'timeout') return null;
      return findTurn(db, turn.call_sid, turn.id);
    }
    // Started by another instance (or before a restart): watch the database.
    const until = Date.now() + waitMs;
    for (;;) {
      const current = await findTurn(db, turn.call_sid, turn.id);
      if (!current || current.status !== 'running') return current;
      if (Date.now() + POLL_MS > until) return null;
      await delay(POLL_MS);
    }
  }

  function replyFor(turn: TurnRow): TurnReply {
    if (turn.status === 'failed') return { kind: 'apology', say: turn.answer ?? APOLOGY };
    return { kind: 'answer', say: turn.answer ?? '', action: turn.action === 'transfer' ? 'transfer' : 'listen' };
  }

  /**
   * For graceful shutdown: lets running turns finish for up to `graceMs`, then stops the rest.
   * A stopped turn is stored as failed, so the redirect, served by another instance, apologises.
   */
  async function drain(graceMs: number): Promise<void> {
    const allDone = () => Promise.allSettled([...running.values()].map((entry) => entry.done));
    const late = await Promise.race([allDone().then(() => false), delay(graceMs, true, { ref: false })]);
    if (!late) return;
    for (const entry of running.values()) entry.abort.abort(new Error('instance shutting down'));
    await allDone();
  }

  return { answer, collect, drain };
}

export type Turns = ReturnType<typeof createTurns>;
