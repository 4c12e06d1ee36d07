import type { Executor } from './knex.ts';

export interface CallRow {
  id: string;
  call_sid: string;
  from_number: string | null;
  to_number: string | null;
  user_id: string | null;
  status: string;
  pin_attempts: number;
  trace_context: Record<string, string> | null;
  started_at: Date;
  authenticated_at: Date | null;
  ended_at: Date | null;
  duration_seconds: number | null;
}

/** Creates the call on its first webhook; a retried webhook finds the same row. */
export async function openCall(
  db: Executor,
  call: { callSid: string; from?: string; to?: string; status: string; traceContext?: Record<string, string> },
): Promise<CallRow> {
  await db('calls')
    .insert({
      call_sid: call.callSid,
      from_number: call.from ?? null,
      to_number: call.to ?? null,
      status: call.status,
      trace_context: call.traceContext ?? null,
    })
    .onConflict('call_sid')
    .ignore();
  return (await findCall(db, call.callSid))!;
}

export async function findCall(db: Executor, callSid: string): Promise<CallRow | null> {
  return (await db<CallRow>('calls').where({ call_sid: callSid }).first()) ?? null;
}

/** Locks the call row so that concurrent webhooks of one call are served one at a time. */
export async function lockCall(db: Executor, callSid: string): Promise<CallRow | null> {
  return (await db<CallRow>('calls').where({ call_sid: callSid }).forUpdate().first()) ?? null;
}

export async function bindCaller(db: Executor, callSid: string, userId: string): Promise<void> {
  await db('calls').where({ call_sid: callSid }).update({ user_id: userId, authenticated_at: db.fn.now() });
}

/** Counts a failed PIN attempt atomically and returns how many there have been. */
export async function countPinFailure(db: Executor, callSid: string): Promise<number> {
  const [row] = await db('calls')
    .where({ call_sid: callSid })
    .increment('pin_attempts', 1)
    .returning<{ pin_attempts: number }[]>('pin_attempts');
  return row?.pin_attempts ?? 0;
}

export async function updateCallStatus(db: Executor, callSid: string, status: string): Promise<void> {
  await db('calls').where({ call_sid: callSid }).whereNull('ended_at').update({ status });
}

/** Ends the call with its final status; null when it had already ended (a repeated callback). */
export async function closeCall(
  db: Executor,
  callSid: string,
  outcome: { status: string; durationSeconds?: number },
): Promise<CallRow | null> {
  const [row] = await db<CallRow>('calls')
    .where({ call_sid: callSid })
    .whereNull('ended_at')
    .update({
      status: outcome.status,
      ended_at: db.fn.now() as unknown as Date,
      // Twilio's CallDuration when it sent one, else what we saw ourselves.
      duration_seconds: db.raw('coalesce(?::int, ceil(extract(epoch from now() - started_at))::int)', [
        outcome.durationSeconds ?? null,
      ]) as unknown as number,
    })
    .returning('*');
  return row ?? null;
}
