import type { Executor } from './knex.ts';

export interface CallRow {
  id: string;
  call_sid: string;
  from_number: string | null;
  to_number: string | null;
  user_id: string | null;
  status: string;
  pin_attempts: number;
  /** Twilio's STIR/SHAKEN verdict on the caller ID, e.g. "TN-Validation-Passed-A". */
  stir_verstat: string | null;
  trace_context: Record<string, string> | null;
  started_at: Date;
  authenticated_at: Date | null;
  ended_at: Date | null;
  duration_seconds: number | null;
}

/** Creates the call on its first webhook; a retried webhook finds the same row. */
export async function openCall(
  db: Executor,
  call: {
    callSid: string;
    from?: string;
    to?: string;
    status: string;
    stirVerstat?: string;
    traceContext?: Record<string, string>;
  },
): Promise<CallRow> {
  await db('calls')
    .insert({
      call_sid: call.callSid,
      from_number: call.from ?? null,
      to_number: call.to ?? null,
      status: call.status,
      stir_verstat: call.stirVerstat ?? null,
      trace_context: call.traceContext ?? null,
    })
    .onConflict('call_sid')
    .ignore();
  return (await findCall(db, call.callSid))!;
}

export async function findCall(db: Executor, callSid: string): Promise<CallRow | null> {
  return (await db<CallRow>('calls').where({ call_sid: callSid }).first()) ?? null;
}

/** Who a call is signed in as: null before sign-in, or once their account is gone. */
export interface SignedInCaller {
  id: string;
  name: string;
  timezone: string;
}

/** The call and who it is signed in as, in one round trip: a turn needs both. */
export async function findCallAndCaller(db: Executor, callSid: string): Promise<(CallRow & { caller: SignedInCaller | null }) | null> {
  const row = await db('calls')
    .leftJoin('users', 'users.id', 'calls.user_id')
    .where('calls.call_sid', callSid)
    .first<(CallRow & { caller_id: string | null; caller_name: string | null; caller_timezone: string | null }) | undefined>(
      'calls.*',
      'users.id as caller_id',
      'users.name as caller_name',
      'users.timezone as caller_timezone',
    );
  if (!row) return null;
  const { caller_id: id, caller_name: name, caller_timezone: timezone, ...call } = row;
  return { ...call, caller: id && name !== null && timezone !== null ? { id, name, timezone } : null };
}

/**
 * Locks the call row so that concurrent webhooks of one call are served one at a time (and its
 * final status waits for them); rows that merely reference the call are not held back.
 */
export async function lockCall(db: Executor, callSid: string): Promise<CallRow | null> {
  return (await db<CallRow>('calls').where({ call_sid: callSid }).forNoKeyUpdate().first()) ?? null;
}

/** Signs the call in as the user; false when it had ended meanwhile. */
export async function bindCaller(db: Executor, callSid: string, userId: string): Promise<boolean> {
  const bound = await db('calls')
    .where({ call_sid: callSid })
    .whereNull('ended_at')
    .update({ user_id: userId, authenticated_at: db.fn.now() })
    .returning('id');
  return bound.length > 0;
}

/**
 * Takes one of the call's PIN attempts, in one statement, so that simultaneous guesses cannot
 * share one: the call row after it, or null when the call has none left, is signed in or ended.
 */
export async function takePinAttempt(db: Executor, callSid: string, maxAttempts: number): Promise<CallRow | null> {
  const [row] = await db<CallRow>('calls')
    .where({ call_sid: callSid })
    .whereNull('user_id')
    .whereNull('ended_at')
    .where('pin_attempts', '<', maxAttempts)
    .increment('pin_attempts', 1)
    .returning('*');
  return row ?? null;
}

/**
 * Closes calls whose final status never arrived (a status callback lost while the database was
 * down) once they are older than any call can be; their later webhooks are then refused.
 */
export async function closeAbandonedCalls(db: Executor, olderThanMs: number): Promise<number> {
  const closed = await db('calls')
    .whereNull('ended_at')
    .where('started_at', '<', db.raw(`now() - make_interval(secs => ?)`, [olderThanMs / 1000]))
    .update({ status: 'abandoned', ended_at: db.fn.now() })
    .returning('id');
  return closed.length;
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
