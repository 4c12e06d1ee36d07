import { DeadlineExceededError, settleBy, timeLeft, type Deadline } from '../deadline.ts';
import type { Db, Executor } from './knex.ts';

// Less than this left, and a transaction would only start to be cut off: it is not begun at all.
const TOO_LATE_MS = 50;
// Every idle connection of a pool may have died at once (a server restart): one more than a pool holds.
const FRESH_CONNECTION_ATTEMPTS = 5;

/**
 * Runs `work` in a transaction that cannot outlast `deadline`, and stops waiting for it at the
 * deadline whatever happens (a pool wait, a lock, a server that stopped answering). For work
 * whose caller must answer by then: a webhook.
 */
export function transactionBy<T>(db: Db, deadline: Deadline, work: (trx: Executor) => Promise<T>): Promise<T> {
  return settleBy(boundedTransaction(db, deadline, work), deadline);
}

/**
 * One read for work that must answer by `deadline` (a webhook's lookup of its call or turn): a
 * single statement needs no transaction, whose begin, limits and commit were three more round
 * trips on every webhook. It is waited for no longer than the deadline; the statement itself is
 * bounded by the connection's ceilings (`statement_timeout`, `lock_timeout`, set in knex.ts).
 * A connection that died idle is replaced, as for transactions: a read can always run again.
 */
export function readBy<T>(db: Db, deadline: Deadline, read: (db: Executor) => Promise<T>): Promise<T> {
  if (timeLeft(deadline) < TOO_LATE_MS) return Promise.reject(new DeadlineExceededError('no time left to begin'));
  const attempt = async (attempts: number): Promise<T> => {
    try {
      return await read(db);
    } catch (error) {
      if (attempts >= FRESH_CONNECTION_ATTEMPTS || !connectionLost(error) || timeLeft(deadline) < TOO_LATE_MS) throw error;
      return attempt(attempts + 1);
    }
  };
  return settleBy(attempt(1), deadline);
}

/** The connection, not the statement, failed: no SQLSTATE, a connection class (08), or a terminated backend (57P01). */
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || /^(?:08|57P0)/.test(code);
}

/**
 * Runs `work` in a transaction bounded by `deadline`, and resolves only once it has committed or
 * rolled back, for callers that must report what happened (a tool). It begins only if time is
 * left once it has a connection, bounds every statement and lock wait in it by the time left,
 * and rolls back rather than commit late. A connection that died while idle in the pool (the
 * server restarted, an operator killed it) fails before anything is done: the transaction is
 * then begun again, on another connection.
 */
export async function boundedTransaction<T>(db: Db, deadline: Deadline, work: (trx: Executor) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let began = false;
    try {
      return await db.transaction(async (trx) => {
        await limitTransaction(trx, timeLeft(deadline));
        began = true;
        const result = await work(trx);
        if (timeLeft(deadline) <= 0) throw new DeadlineExceededError('finished after its deadline: rolled back');
        return result;
      });
    } catch (error) {
      if (began || attempt >= FRESH_CONNECTION_ATTEMPTS || error instanceof DeadlineExceededError) throw error;
    }
  }
}

/** Bounds each statement and lock wait of the current transaction to `ms`; refuses when that is too little. */
export async function limitTransaction(trx: Executor, ms: number): Promise<void> {
  if (ms < TOO_LATE_MS) throw new DeadlineExceededError('no time left to begin');
  const limit = String(Math.ceil(ms));
  await trx.raw(`select set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)`, [limit, limit]);
}
