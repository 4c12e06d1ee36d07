import type { Executor } from './knex.ts';

/**
 * Wrong PINs are counted per account and per bucket: calls whose caller ID the carrier vouched
 * for (STIR/SHAKEN full attestation, "A") in one, every other call in the other. Caller ID can
 * be spoofed, but not with full attestation, so a spoofer can only ever lock the unattested
 * bucket, and the owner calling from their own line keeps getting in. docs/operations.md, "PIN and lockout".
 */
export type PinBucket = 'attested' | 'unattested';

export function pinBucket(stirVerstat: string | null | undefined): PinBucket {
  return stirVerstat === 'TN-Validation-Passed-A' ? 'attested' : 'unattested';
}

/** Wrong PINs in a row that lock a bucket. */
export const PIN_FAILURES_PER_LOCK = 5;
/** How long each lock in a row lasts: the fourth and later last a day. */
export const LOCK_MINUTES = [15, 60, 240, 1440] as const;
/** A bucket that saw no wrong PIN for this long starts again from the shortest lock. */
export const FORGET_AFTER_DAYS = 7;

export type AccountAttempt =
  | { allowed: false }
  /**
   * `lock` is set when this attempt was the last one allowed, and so has already locked the
   * bucket: `id` names that lock exactly (the end time to the microsecond), `level` counts it.
   */
  | { allowed: true; lock?: { id: string; level: number } };

/**
 * Takes one attempt against the bucket, in one statement, counted as wrong until the PIN proves
 * right: simultaneous guesses queue on the row, and none can be checked once the bucket is locked.
 * The attempt that fills the bucket sets the lock itself, so there is no moment between the last
 * allowed guess and the lock.
 */
export async function takeAccountPinAttempt(db: Executor, userId: string, bucket: PinBucket): Promise<AccountAttempt> {
  await db.raw('insert into pin_lockouts (user_id, bucket) values (?, ?) on conflict do nothing', [userId, bucket]);
  const stale = `last_failure_at < now() - interval '${FORGET_AFTER_DAYS} days'`;
  const failures = `(case when ${stale} then 0 else failures end)`;
  const level = `(case when ${stale} then 0 else level end)`;
  const fills = `${failures} + 1 >= ${PIN_FAILURES_PER_LOCK}`;
  const minutes = `(array[${LOCK_MINUTES.join(',')}])[least(${level}, ${LOCK_MINUTES.length - 1}) + 1]`;
  const { rows } = await db.raw<{ rows: { lock_id: string | null; level: number }[] }>(
    `update pin_lockouts set
       failures = case when ${fills} then 0 else ${failures} + 1 end,
       level = case when ${fills} then ${level} + 1 else ${level} end,
       locked_until = case when ${fills} then now() + make_interval(mins => ${minutes}) else null end,
       last_failure_at = now()
     where user_id = ? and bucket = ? and (locked_until is null or locked_until <= now())
     returning ${LOCK_ID} as lock_id, level`,
    [userId, bucket],
  );
  const row = rows[0];
  if (!row) return { allowed: false };
  return row.lock_id ? { allowed: true, lock: { id: row.lock_id, level: row.level } } : { allowed: true };
}

// A lock's identity: its end, to the microsecond, as text (a JS Date would round it to the millisecond).
const LOCK_ID = 'extract(epoch from locked_until)::text';

/**
 * The PIN was right: the wrong guesses in a row start over. A lock this very attempt set (it was
 * the last one allowed) is lifted; a lock that other, wrong, guesses set meanwhile stays, and so
 * does how long the next one will last.
 */
export async function acceptPin(db: Executor, userId: string, bucket: PinBucket, attempt: AccountAttempt): Promise<void> {
  const ownLock = (attempt.allowed && attempt.lock?.id) || '';
  const othersLock = `(locked_until > now() and ${LOCK_ID} <> ?)`;
  await db.raw(
    `update pin_lockouts set
       failures = 0,
       level = case when ${othersLock} then level else 0 end,
       last_failure_at = case when ${othersLock} then last_failure_at else null end,
       locked_until = case when ${othersLock} then locked_until else null end
     where user_id = ? and bucket = ?`,
    [ownLock, ownLock, ownLock, userId, bucket],
  );
}

/** An operator's reset (a new PIN): every bucket of the account starts over, unlocked. */
export async function clearPinLockouts(db: Executor, userId: string): Promise<void> {
  await db('pin_lockouts').where({ user_id: userId }).delete();
}

/** When the account's PIN is locked until, for calls of either bucket: the later of its active locks. */
export function pinLockedUntil(db: Executor, userColumn: string) {
  return db('pin_lockouts')
    .max('locked_until')
    .whereRaw(`user_id = ${userColumn}`)
    .where('locked_until', '>', db.fn.now());
}
