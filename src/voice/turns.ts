import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { trace, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { failureReason, type Agent, type AgentAnswer } from '../agent/agent.ts';
import { CallerInterrupted } from '../agent/interrupted.ts';
import type { Config } from '../config.ts';
import { deadlineAt, earliest, settleBy, timeLeft, type Deadline } from '../deadline.ts';
import { closeAbandonedCalls, lockCall } from '../db/calls.ts';
import { readBy, transactionBy } from '../db/deadline.ts';
import { recordFeedback } from '../db/feedback.ts';
import type { Db, Executor } from '../db/knex.ts';
import { requestCallerThreadReset } from '../db/threads.ts';
import {
  countRedirect,
  failTurn,
  findTurn,
  findTurnByKey,
  findTurnBySeq,
  insertTurn,
  lastSeq,
  latestTurn,
  settleTurn,
  staleTurns,
  type TurnEndReason,
  type TurnRow,
} from '../db/turns.ts';
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
import { errorType, failSpan, inSpan, Stopped } from '../signals/spans.ts';
import type { Caller } from '../tools/tool.ts';

/** The caller waited through every redirect and was told to ask again. */
export class AgentTimeoutError extends Error {
  override name = 'AgentTimeoutError';
}

/** What the caller hears next; `seq` is the turn's <Gather> number, so the next one is `seq + 1`. */
export type TurnReply =
  | { kind: 'answer'; say: string; action: 'listen' | 'transfer'; seq: number | null; turn?: TurnRow }
  | { kind: 'hold'; say: string; turnId: string; seq: number | null }
  | { kind: 'apology'; say: string; seq: number | null }
  /** The call ended: nothing more is done for it. */
  | { kind: 'ended' }
  /** A <Gather> answered long ago whose request never made a turn: nothing is done, the caller is asked again. */
  | { kind: 'stale'; seq: number };

// What a caller hears when a turn did not produce an answer, chosen from what committed (failTurn).
export const APOLOGY = "Sorry, something went wrong on my side and I couldn't do that. Please try again.";
const TOO_SLOW = "Sorry, that's taking much longer than it should, so I stopped, and nothing was changed. Please ask me again in a moment.";
const PARTLY_DONE =
  "Sorry, something went wrong before I could finish, but part of it was already done. Please ask me what's there before trying again.";
/** When not even that could be checked: it claims nothing either way. */
export const UNSURE =
  "Sorry, something went wrong on my side and I can't tell whether that was done. Please ask me to check before trying again.";
export const HOLDING = ['One moment, I am working on that.', 'Still working on it, thanks for waiting.', 'Almost there.'];

/** What to tell the caller about a turn that failed, given how many of its effects committed. */
export function failureMessage(endReason: TurnEndReason): (committedEffects: number) => string {
  return (effects) => (effects > 0 ? PARTLY_DONE : endReason === 'timed_out' ? TOO_SLOW : APOLOGY);
}

// A retry of a webhook arrives within Twilio's 15-second timeout, before the caller can speak again.
const RETRY_WINDOW_MS = 15_000;
// Speaking a holding phrase and Twilio's redirect round trip, generously.
const HOLD_ALLOWANCE_MS = 5_000;
// How often an instance that is not running a turn looks for its answer in the database.
const POLL_MS = 200;
// For settling a turn outside any webhook (its work failed, the instance stops).
const SETTLE_MS = 3_000;

export interface TurnsOptions {
  /** The webhook bookkeeping pool; the agent has its own. */
  db: Db;
  agent: Agent;
  logger: Logger;
  config: Pick<Config['agent'], 'turnTimeoutMs' | 'maxRedirects' | 'toolTimeoutMs'> & {
    /** Whether the caller's words may go on spans and logs (TELEMETRY_CAPTURE_CONTENT). */
    captureContent?: boolean;
  };
}

/** A webhook's clock: when it arrived and when it must have answered. */
export interface WebhookClock {
  arrivedAt: number;
  deadline: Deadline;
}

/** How long a turn's work may run at most: every hold and redirect the caller can sit through. */
export function turnBudgetMs(config: Pick<Config['agent'], 'turnTimeoutMs' | 'maxRedirects'>): number {
  return (config.turnTimeoutMs + HOLD_ALLOWANCE_MS) * (config.maxRedirects + 1);
}

/**
 * Answers a caller's utterance inside Twilio's webhook deadline. The agent's work is started
 * and raced against `turnTimeoutMs` from the webhook's arrival; if it loses, the caller hears a
 * holding phrase and Twilio is redirected to collect the answer, which the work stores on the
 * turn whenever it finishes, whichever instance serves the redirect. After the last redirect
 * the turn is given up on, in the database, and the work (wherever it runs) commits nothing
 * more. A retried or replayed webhook finds its turn and never starts the work twice.
 */
export function createTurns({ db, agent, logger, config }: TurnsOptions) {
  // Work this instance is running, by turn id; other instances read results from the database.
  // `done` resolves with the turn as the work settled it, or null when it could not be stored.
  const running = new Map<string, { done: Promise<TurnRow | null>; abort: AbortController }>();

  async function answer(input: {
    callSid: string;
    caller: Caller;
    utterance: string;
    /** The <Gather> number from the signed URL; absent for URLs older versions wrote. */
    seq?: number;
    idempotencyToken?: string;
    clock: WebhookClock;
    /** Told once the turn exists: from then on a failure may leave effects behind. */
    onTurn?: (turn: TurnRow) => void;
  }): Promise<TurnReply> {
    const found = await findOrStartTurn(input);
    if ('kind' in found) return found;
    const { turn, created } = found;
    trace.getActiveSpan()?.setAttribute(TURN_ID, turn.id);
    input.onTurn?.(turn);
    if (created) start(turn, input.caller, input.clock.arrivedAt);
    return replyWithin(turn, input.clock, 0);
  }

  /** Twilio's redirect back for an answer that was not ready. */
  async function collect(callSid: string, turnId: string, clock: WebhookClock): Promise<TurnReply | null> {
    const found = await transactionBy(db, clock.deadline, async (trx) => {
      const turn = await findTurn(trx, callSid, turnId);
      if (!turn || turn.status !== 'running') return turn && { turn, redirects: turn.redirects };
      return { turn, redirects: await countRedirect(trx, turn.id) };
    });
    if (!found) return null;
    if (found.turn.status !== 'running') return replyFor(found.turn);
    return replyWithin(found.turn, clock, found.redirects);
  }

  function findOrStartTurn(input: Parameters<typeof answer>[0]) {
    const utteranceHash = createHash('sha256').update(input.utterance.toLowerCase()).digest('hex');
    return transactionBy(db, input.clock.deadline, async (trx): Promise<TurnReply | { turn: TurnRow; created: boolean }> => {
      // One turn decision at a time per call, and none once the call has ended.
      const call = await lockCall(trx, input.callSid);
      if (!call || call.ended_at) return { kind: 'ended' };
      const last = await lastSeq(trx, input.callSid);
      if (input.seq !== undefined && input.seq <= last) {
        // A number already answered is a retry or a replay of its turn. Numbers only go up, so an
        // old signed request cannot make a turn in the past. Above the last, no turn has it yet.
        const existing = await findTurnBySeq(trx, input.callSid, input.seq);
        return existing ? { turn: existing, created: false } : { kind: 'stale', seq: last };
      }
      if (input.seq === undefined) {
        const existing = input.idempotencyToken
          ? await findTurnByKey(trx, input.callSid, `token:${input.idempotencyToken}`)
          : await recentRetry(trx, input.callSid, utteranceHash);
        if (existing) return { turn: existing, created: false };
      }
      const seq = input.seq ?? last + 1;
      const key =
        input.seq !== undefined
          ? `seq:${seq}`
          : input.idempotencyToken
            ? `token:${input.idempotencyToken}`
            : `said:${utteranceHash}:${Date.now()}`;
      const turn = await insertTurn(trx, { callSid: input.callSid, key, seq, utterance: input.utterance, utteranceHash });
      return { turn, created: true };
    });
  }

  /** Without a number or Twilio's token, a retry is the call's latest turn repeated within the window. */
  async function recentRetry(trx: Executor, callSid: string, utteranceHash: string) {
    const latest = await latestTurn(trx, callSid);
    const fresh = latest && Date.now() - latest.created_at.getTime() < RETRY_WINDOW_MS;
    return fresh && latest.utterance_hash === utteranceHash ? latest : null;
  }

  function start(turn: TurnRow, caller: Caller, arrivedAt: number): void {
    const abort = new AbortController();
    // A backstop only: giving up stops the work sooner, through the database.
    const deadline = deadlineAt(arrivedAt + turnBudgetMs(config));
    const onDeadline = () => abort.abort(new Stopped('turn budget exhausted'));
    deadline.signal.addEventListener('abort', onDeadline, { once: true });
    const done = work(turn, caller, { answerBy: arrivedAt + config.turnTimeoutMs, deadline, signal: abort.signal }).finally(() => {
      deadline.signal.removeEventListener('abort', onDeadline);
      running.delete(turn.id);
    });
    running.set(turn.id, { done, abort });
  }

  /**
   * A turn of a ConversationRelay session: no webhook to answer, so no redirect (the session
   * says the holding phrase itself); the answer goes to `onText` as it is generated, and the turn
   * ends when the work does (within the same budget a Gather caller could wait through all its
   * holds), or when `signal` stops it (a barge-in, a hang-up). The same turn rows, tool claims and settlement as a Gather turn: tool
   * effects commit exactly once and only while the turn is wanted, on whichever instance.
   */
  async function stream(input: {
    callSid: string;
    caller: Caller;
    utterance: string;
    /** Unique within the call: the relay session and the prompt's number in it. */
    key: string;
    signal: AbortSignal;
    onText: (chunk: string) => void;
  }): Promise<TurnReply> {
    const utteranceHash = createHash('sha256').update(input.utterance.toLowerCase()).digest('hex');
    const turn = await transactionBy(db, deadlineAt(Date.now() + SETTLE_MS), async (trx) => {
      const call = await lockCall(trx, input.callSid);
      if (!call || call.ended_at) return null;
      const seq = (await lastSeq(trx, input.callSid)) + 1;
      return insertTurn(trx, { callSid: input.callSid, key: input.key, seq, utterance: input.utterance, utteranceHash });
    });
    if (!turn) return { kind: 'ended' };
    trace.getActiveSpan()?.setAttribute(TURN_ID, turn.id);
    const abort = new AbortController();
    const deadline = deadlineAt(Date.now() + turnBudgetMs(config));
    const stop = () => abort.abort(input.signal.aborted ? input.signal.reason : new Stopped('turn budget exhausted'));
    input.signal.addEventListener('abort', stop, { once: true });
    deadline.signal.addEventListener('abort', stop, { once: true });
    const done = work(turn, input.caller, { deadline, signal: abort.signal, onText: input.onText }).finally(() => {
      input.signal.removeEventListener('abort', stop);
      deadline.signal.removeEventListener('abort', stop);
      running.delete(turn.id);
    });
    running.set(turn.id, { done, abort });
    const settled = await done;
    return settled ? replyFor(settled) : { kind: 'apology', say: UNSURE, seq: turn.seq };
  }

  async function work(
    turn: TurnRow,
    caller: Caller,
    run: { answerBy?: number; deadline: Deadline; signal: AbortSignal; onText?: (chunk: string) => void },
  ): Promise<TurnRow | null> {
    // The webhook's span: it ends when the webhook answers, which is before this when the turn is slow.
    const webhookSpan = trace.getActiveSpan();
    const started = performance.now();
    let settled: TurnRow | null = null;
    let feedback: { id: string; comment: string }[] = [];
    // Inside the agent's transaction: the answer, its feedback and the thread's history land together.
    const settle = async (trx: Executor, answer: AgentAnswer): Promise<boolean> => {
      settled = await settleTurn(trx, turn.id, {
        status: 'answered',
        answer: answer.say,
        action: answer.action,
        threadId: answer.threadId,
        endReason: answer.endReason,
      });
      if (!settled) return false;
      feedback = [];
      for (const comment of answer.feedback) {
        feedback.push({ id: await recordFeedback(trx, { callSid: turn.call_sid, userId: caller.id, turnId: turn.id, comment }), comment });
      }
      if (answer.endReason === 'redirected') await requestCallerThreadReset(trx, caller.id, 'timeout');
      return true;
    };
    try {
      const answer = await agent.answer({ caller, utterance: turn.utterance, ...run, turn: { id: turn.id, settle } });
      await onOpenSpan(webhookSpan, turn, async (span) => {
        for (const { id, comment } of feedback) {
          recordEvent(logger, 'info', EVENTS.callerFeedback, {
            [TWILIO_CALL_SID]: turn.call_sid,
            [TURN_ID]: turn.id,
            [FEEDBACK_ID]: id,
            // The caller's own words: on the trace and in the log only when content capture is on.
            ...(config.captureContent ? { [FEEDBACK_COMMENT]: comment } : {}),
          });
        }
        span?.setAttribute(TURN_END_REASON, answer.endReason);
      });
      turnDuration.record((performance.now() - started) / 1000, { [TURN_OUTCOME]: answer.endReason });
      return settled;
    } catch (error) {
      // Cut in on before the agent had a thread to keep what was heard in: nothing to keep, nothing to reset.
      const endReason: TurnEndReason = error instanceof CallerInterrupted ? 'interrupted' : failureReason(error, run.signal);
      // A failure the caller will hear an apology for goes on an open span, so it is an error on
      // the trace; a turn given up on is recorded where the caller is told (AgentTimeoutError).
      await onOpenSpan(webhookSpan, turn, async (span) => {
        if (!span) return;
        if (endReason === 'error') failSpan(span, error, { [TURN_END_REASON]: endReason });
        else span.setAttribute(TURN_END_REASON, endReason);
      });
      if (endReason === 'error') errors.add(1, { [ERROR_TYPE]: errorType(error) });
      turnDuration.record((performance.now() - started) / 1000, { [TURN_OUTCOME]: endReason });
      logger[endReason === 'error' ? 'error' : 'warn']({ err: error, [TWILIO_CALL_SID]: turn.call_sid, [TURN_ID]: turn.id }, 'turn failed');
      if (endReason !== 'interrupted') {
        await requestCallerThreadReset(db, caller.id, endReason === 'timed_out' ? 'timeout' : 'error').catch(() => undefined);
      }
      return failTurn(db, turn.id, { endReason, say: failureMessage(endReason), deadline: deadlineAt(Date.now() + SETTLE_MS) }).catch(
        (storeError: unknown) => {
          logger.error({ err: storeError, [TURN_ID]: turn.id }, 'could not store failed turn');
          return null;
        },
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

  /** Waits for the turn until the hold time; past that, holds or gives up honestly. */
  async function replyWithin(turn: TurnRow, clock: WebhookClock, redirects: number): Promise<TurnReply> {
    const holdAt = earliest(deadlineAt(clock.arrivedAt + config.turnTimeoutMs), clock.deadline);
    const finished = await waitForTurn(turn, holdAt);
    if (finished && finished !== 'lost') return replyFor(finished);
    if (finished === 'lost') return giveUp(turn, 'error', clock.deadline);
    if (redirects === 0) {
      agentTimeouts.add(1);
      recordEvent(logger, 'warn', EVENTS.agentTimeout, {
        [TWILIO_CALL_SID]: turn.call_sid,
        [TURN_ID]: turn.id,
        [AGENT_DEADLINE_MS]: config.turnTimeoutMs,
        // How long the caller has waited: since the webhook arrived.
        [AGENT_ELAPSED_MS]: Date.now() - clock.arrivedAt,
      });
    }
    if (redirects >= config.maxRedirects) {
      // The caller hears an apology: make it an error on the trace, like any other.
      const error = new AgentTimeoutError(`no answer after ${redirects} redirects`);
      const span = trace.getActiveSpan();
      if (span) failSpan(span, error);
      errors.add(1, { [ERROR_TYPE]: error.name });
      return giveUp(turn, 'timed_out', clock.deadline);
    }
    return { kind: 'hold', say: HOLDING[Math.min(redirects, HOLDING.length - 1)]!, turnId: turn.id, seq: turn.seq };
  }

  /**
   * Gives up on the turn in the database, which the work honours on whichever instance runs it,
   * and says what is true: what failTurn chose from the effects that committed, or, when even
   * that cannot be stored, that it is not known.
   */
  async function giveUp(turn: TurnRow, endReason: TurnEndReason, deadline: Deadline): Promise<TurnReply> {
    running.get(turn.id)?.abort.abort(new Stopped('caller stopped waiting'));
    try {
      const settled = await failTurn(db, turn.id, { endReason, say: failureMessage(endReason), deadline });
      if (settled) return replyFor(settled);
    } catch (error) {
      logger.error({ err: error, callSid: turn.call_sid, turnId: turn.id }, 'could not give up on turn');
    }
    return { kind: 'apology', say: UNSURE, seq: turn.seq };
  }

  /** The turn once settled; null at the deadline; 'lost' when its work here ended without storing an outcome. */
  async function waitForTurn(turn: TurnRow, until: Deadline): Promise<TurnRow | null | 'lost'> {
    const local = running.get(turn.id);
    if (local) {
      const settled = await settleBy(local.done, until).catch(() => undefined);
      return settled === undefined ? null : (settled ?? 'lost');
    }
    // Started by another instance (or before a restart): watch the database.
    for (;;) {
      const current = await readBy(db, until, (read) => findTurn(read, turn.call_sid, turn.id)).catch(() => undefined);
      if (current && current.status !== 'running') return current;
      if (timeLeft(until) < POLL_MS) return null;
      await delay(POLL_MS);
    }
  }

  function replyFor(turn: TurnRow): TurnReply {
    if (turn.status === 'failed') return { kind: 'apology', say: turn.answer || UNSURE, seq: turn.seq };
    return { kind: 'answer', say: turn.answer || UNSURE, action: turn.action === 'transfer' ? 'transfer' : 'listen', seq: turn.seq, turn };
  }

  /**
   * For graceful shutdown: lets running turns finish for up to `graceMs`, then gives up on the
   * rest, in the database, so the redirect, served by another instance, tells the caller so.
   */
  async function drain(graceMs: number): Promise<void> {
    const allDone = () => Promise.allSettled([...running.values()].map((entry) => entry.done));
    const late = await Promise.race([allDone().then(() => false), delay(graceMs, true, { ref: false })]);
    if (!late) return;
    const settling = [...running.entries()].map(([turnId, entry]) => {
      entry.abort.abort(new Stopped('instance shutting down'));
      return failTurn(db, turnId, { endReason: 'timed_out', say: failureMessage('timed_out'), deadline: deadlineAt(Date.now() + SETTLE_MS) });
    });
    await Promise.allSettled(settling);
    // Stopped work rolls back within its tool's statement and lock limits.
    await Promise.race([allDone(), delay(config.toolTimeoutMs + SETTLE_MS, undefined, { ref: false })]);
  }

  return { answer, collect, stream, drain };
}

export type Turns = ReturnType<typeof createTurns>;

/**
 * Settles what a crashed or hung instance left behind; any instance may run it, at any time,
 * as often as it likes. A turn running longer than any work may run is given up on (its work,
 * if it still runs somewhere, commits nothing after that), with what its committed effects
 * warrant; a call whose final status never arrived is closed once older than any call can be.
 */
export async function settleStaleWork(
  db: Db,
  limits: { turnBudgetMs: number; callMaxMs: number },
): Promise<{ turns: number; calls: number }> {
  const deadline = deadlineAt(Date.now() + SETTLE_MS);
  const stale = await transactionBy(db, deadline, (trx) => staleTurns(trx, limits.turnBudgetMs));
  for (const turnId of stale) {
    await failTurn(db, turnId, { endReason: 'timed_out', say: failureMessage('timed_out'), deadline });
  }
  const calls = await transactionBy(db, deadline, (trx) => closeAbandonedCalls(trx, limits.callMaxMs));
  return { turns: stale.length, calls };
}
