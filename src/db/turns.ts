import type { Deadline } from '../deadline.ts';
import { Stopped } from '../signals/spans.ts';
import { transactionBy } from './deadline.ts';
import type { Db, Executor } from './knex.ts';

export type TurnAction = 'listen' | 'transfer';
export type TurnEndReason = 'completed' | 'redirected' | 'interrupted' | 'timed_out' | 'error';

export interface TurnRow {
  id: string;
  call_sid: string;
  idempotency_key: string;
  /** The <Gather> it answers, from the signed URL; null for requests without one. */
  seq: number | null;
  thread_id: string | null;
  utterance: string;
  utterance_hash: string;
  status: 'running' | 'answered' | 'failed';
  answer: string | null;
  action: TurnAction | null;
  end_reason: TurnEndReason | null;
  redirects: number;
  created_at: Date;
  answered_at: Date | null;
}

export interface TurnOutcome {
  status: 'answered' | 'failed';
  answer: string;
  action: TurnAction;
  threadId?: string;
  endReason: TurnEndReason;
}

export async function findTurnByKey(db: Executor, callSid: string, key: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ call_sid: callSid, idempotency_key: key }).first()) ?? null;
}

export async function findTurnBySeq(db: Executor, callSid: string, seq: number): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ call_sid: callSid, seq }).first()) ?? null;
}

export async function findTurn(db: Executor, callSid: string, turnId: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ id: turnId, call_sid: callSid }).first()) ?? null;
}

export async function latestTurn(db: Executor, callSid: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ call_sid: callSid }).orderBy('created_at', 'desc').first()) ?? null;
}

/** The highest <Gather> number the call's turns have answered, 0 before the first. */
export async function lastSeq(db: Executor, callSid: string): Promise<number> {
  const row = await db('turns').where({ call_sid: callSid }).max<{ seq: number | null }>('seq as seq').first();
  return row?.seq ?? 0;
}

export async function insertTurn(
  db: Executor,
  turn: { callSid: string; key: string; seq: number; utterance: string; utteranceHash: string },
): Promise<TurnRow> {
  const [row] = await db<TurnRow>('turns')
    .insert({
      call_sid: turn.callSid,
      idempotency_key: turn.key,
      seq: turn.seq,
      utterance: turn.utterance,
      utterance_hash: turn.utteranceHash,
    })
    .returning('*');
  return row!;
}

/**
 * Stores a turn's outcome if it is still running: the row as stored, or null when the turn was
 * settled first (given up on), in which case the caller must roll back whatever it meant to
 * commit along with the answer.
 */
export async function settleTurn(db: Executor, turnId: string, outcome: TurnOutcome): Promise<TurnRow | null> {
  const [row] = await db<TurnRow>('turns')
    .where({ id: turnId, status: 'running' })
    .update({
      status: outcome.status,
      answer: outcome.answer,
      action: outcome.action,
      thread_id: outcome.threadId ?? null,
      end_reason: outcome.endReason,
      answered_at: db.fn.now() as unknown as Date,
    })
    .returning('*');
  return row ?? null;
}

/** The turn was given up on (by this instance or another): its work must stop and commit nothing. */
export class TurnGivenUpError extends Stopped {
  override name = 'TurnGivenUpError';
}

/**
 * Whether the turn is still wanted. Inside a transaction, `hold` keeps it so (a share lock)
 * until that transaction ends: whoever gives up on the turn waits for the commit, and then
 * counts what it committed.
 */
export async function turnIsRunning(db: Executor, turnId: string, options: { hold?: boolean } = {}): Promise<boolean> {
  const query = db('turns').where({ id: turnId }).first<{ status: string } | undefined>('status');
  const row = await (options.hold ? query.forShare() : query);
  return row?.status === 'running';
}

/** Throws TurnGivenUpError unless the turn is still running; `hold` as for turnIsRunning. */
export async function assertTurnRunning(db: Executor, turnId: string, options: { hold?: boolean } = {}): Promise<void> {
  if (!(await turnIsRunning(db, turnId, options))) throw new TurnGivenUpError('the turn was given up on');
}

/**
 * Gives up on a running turn, as a fact every instance honours: the work, wherever it runs,
 * commits nothing after this (it checks the turn in the transaction of each effect, and between
 * model rounds). What the caller is told is chosen here, in the same transaction, from the
 * effects that did commit, so it is true whichever way the race went. Returns the turn as
 * settled, by this call or earlier.
 */
export function failTurn(
  db: Db,
  turnId: string,
  failure: { endReason: TurnEndReason; say: (committedEffects: number) => string; deadline: Deadline },
): Promise<TurnRow | null> {
  return transactionBy(db, failure.deadline, async (trx) => {
    // Not FOR UPDATE: a tool's claim references the turn (a key-share lock) for its whole
    // transaction; only the share lock it takes just before committing must hold this back.
    const turn = await trx<TurnRow>('turns').where({ id: turnId }).forNoKeyUpdate().first();
    if (!turn || turn.status !== 'running') return turn ?? null;
    const effects = await committedEffects(trx, turnId);
    return settleTurn(trx, turnId, { status: 'failed', answer: failure.say(effects), action: 'listen', endReason: failure.endReason });
  });
}

/** Write tools of the turn that committed an effect. */
async function committedEffects(db: Executor, turnId: string): Promise<number> {
  const row = await db('tool_executions').where({ turn_id: turnId, status: 'succeeded' }).count<{ n: string }>('* as n').first();
  return Number(row?.n ?? 0);
}

/** Turns still running after `olderThanMs`: their instance died or hung, since no work may run that long. */
export async function staleTurns(db: Executor, olderThanMs: number): Promise<string[]> {
  const rows = await db('turns')
    .where({ status: 'running' })
    .where('created_at', '<', db.raw(`now() - make_interval(secs => ?)`, [olderThanMs / 1000]))
    .orderBy('created_at')
    .limit(100)
    .pluck<string[]>('id');
  return rows;
}

export async function countRedirect(db: Executor, turnId: string): Promise<number> {
  const [row] = await db('turns')
    .where({ id: turnId })
    .increment('redirects', 1)
    .returning<{ redirects: number }[]>('redirects');
  return row?.redirects ?? 0;
}
