import type { Executor } from './knex.ts';

// Ten wrong PINs in a row, over any number of calls, lock the account's PIN for a quarter hour:
// a 4-digit PIN then takes months to guess by redialling instead of minutes.
export const PIN_FAILURES_BEFORE_LOCK = 10;
const LOCK_MINUTES = 15;

export async function isPinLocked(db: Executor, userId: string): Promise<boolean> {
  const row = await db('users').where({ id: userId }).where('pin_locked_until', '>', db.fn.now()).first('id');
  return row !== undefined;
}

/** Counts a wrong PIN against the account; the tenth in a row locks it. */
export async function countAccountPinFailure(db: Executor, userId: string): Promise<void> {
  await db('users')
    .where({ id: userId })
    .update({
      pin_failures: db.raw(`case when pin_failures + 1 >= ? then 0 else pin_failures + 1 end`, [PIN_FAILURES_BEFORE_LOCK]),
      pin_locked_until: db.raw(`case when pin_failures + 1 >= ? then now() + interval '${LOCK_MINUTES} minutes' else pin_locked_until end`, [
        PIN_FAILURES_BEFORE_LOCK,
      ]),
    });
}

export async function clearPinFailures(db: Executor, userId: string): Promise<void> {
  await db('users').where({ id: userId }).update({ pin_failures: 0, pin_locked_until: null });
}
