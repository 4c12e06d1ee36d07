import type { Executor } from './knex.ts';

export type TurnAction = 'listen' | 'transfer';
export type TurnEndReason = 'completed' | 'redirected' | 'timed_out' | 'error';

export interface TurnRow {
  id: string;
  call_sid: string;
  idempotency_key: string;
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

export async function findTurnByKey(db: Executor, key: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ idempotency_key: key }).first()) ?? null;
}

export async function findTurn(db: Executor, callSid: string, turnId: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ id: turnId, call_sid: callSid }).first()) ?? null;
}

export async function latestTurn(db: Executor, callSid: string): Promise<TurnRow | null> {
  return (await db<TurnRow>('turns').where({ call_sid: callSid }).orderBy('created_at', 'desc').first()) ?? null;
}

export async function insertTurn(
  db: Executor,
  turn: { callSid: string; key: string; utterance: string; utteranceHash: string },
): Promise<TurnRow> {
  const [row] = await db<TurnRow>('turns')
    .insert({
      call_sid: turn.callSid,
      idempotency_key: turn.key,
      utterance: turn.utterance,
      utterance_hash: turn.utteranceHash,
    })
    .returning('*');
  return row!;
}

/** Stores a turn's outcome, unless it already has one. */
export async function finishTurn(
  db: Executor,
  turnId: string,
  result: {
    status: 'answered' | 'failed';
    answer: string;
    action: TurnAction;
    threadId?: string;
    endReason: TurnEndReason;
  },
): Promise<void> {
  // First result wins: a late answer never overwrites a turn already given up on.
  await db('turns')
    .where({ id: turnId, status: 'running' })
    .update({
      status: result.status,
      answer: result.answer,
      action: result.action,
      thread_id: result.threadId ?? null,
      end_reason: result.endReason,
      answered_at: db.fn.now(),
    });
}

export async function countRedirect(db: Executor, turnId: string): Promise<number> {
  const [row] = await db('turns')
    .where({ id: turnId })
    .increment('redirects', 1)
    .returning<{ redirects: number }[]>('redirects');
  return row?.redirects ?? 0;
}
