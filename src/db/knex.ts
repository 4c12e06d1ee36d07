import { mkdirSync } from 'node:fs';
import Knex from 'knex';
import ClientPgLite from 'knex-pglite';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Logger } from '../log.ts';
import { lockEmbeddedDatabase } from './embedded-lock.ts';
import { migrationSource } from './migrations.ts';

// Data access counts changed rows with `.returning('id')`, never the number update() or delete()
// resolve to: PGlite's knex dialect resolves those to a result object, not a count.
export type Db = Knex.Knex;
export type Executor = Knex.Knex | Knex.Knex.Transaction;

/**
 * Ceilings for every connection, whatever runs on it: nothing the app does needs longer, and a
 * connection stuck past them is worth more back in the pool. Work bound by a deadline sets
 * tighter limits on its own transactions (./deadline.ts); a migration that needs longer raises
 * them with `set local`.
 */
export const SESSION_LIMITS = {
  statement_timeout: 10_000,
  lock_timeout: 5_000,
  // A transaction left open this long belongs to a process that hung or died: the server ends it.
  idle_in_transaction_session_timeout: 15_000,
} as const;

// Webhook bookkeeping (calls, sign-in, turns, status) gets a small pool of its own, so slow
// agent and tool work, holding every connection of the other, never starves it.
const WEBHOOK_POOL_MAX = 4;

export type PoolRole = 'webhooks' | 'work';

/** Where the data is: Config['database'], or a bare URL (tests, scripts). */
export type DatabaseLocation = ({ url: string } | { pgliteDir: string }) & { poolMax?: number };

/**
 * A knex instance on PostgreSQL (DATABASE_URL) or on embedded PGlite: the same migrations and
 * the same SQL either way. PGlite gets a database name because the knex instrumentation names
 * spans after it, and an unnamed span makes the OTLP protobuf exporter drop its whole batch.
 * `asyncStackTraces`: a failed query's error carries the stack of the code that built the query
 * (the app's frames) instead of the driver's alone; one stack capture per query, read only when
 * the query fails.
 * The URL is parsed once, here, as pg would parse it: given a connectionString, the knex
 * instrumentation parses it again for the database, host and port of every query span.
 * An embedded directory is locked to this process until `destroy()` (or exit): see embedded-lock.ts.
 * On PostgreSQL an instance opens two pools, one per role; PGlite is one connection, shared.
 */
export function createDb(database: DatabaseLocation, options: { logger?: Logger; role?: PoolRole } = {}): Db {
  const common = { asyncStackTraces: true, log: knexLog(options.logger) };
  const role = options.role ?? 'webhooks';
  if ('url' in database) {
    return Knex.knex({
      client: 'pg',
      connection: { ...connectionOf(database.url), ...SESSION_LIMITS, connectionTimeoutMillis: 3_000, keepAlive: true },
      pool: { min: 0, max: role === 'webhooks' ? WEBHOOK_POOL_MAX : (database.poolMax ?? 10) },
      // A backstop: waits on the webhook path are bounded by the webhook's own deadline first.
      acquireConnectionTimeout: 3_000,
      ...common,
    });
  }
  const dir = embeddedDirectory(database);
  if (dir === null) return Knex.knex({ client: ClientPgLite, dialect: 'postgres', connection: { database: 'convonet' }, ...common });
  const release = lockEmbeddedDatabase(ensureDir(dir));
  const db = Knex.knex({ client: ClientPgLite, dialect: 'postgres', connection: { filename: dir, database: 'convonet' }, ...common });
  const close = db.destroy.bind(db);
  Object.defineProperty(db, 'destroy', { value: () => close().finally(release) });
  return db;
}

/** What pg makes of a DATABASE_URL (a URL sets no custom type parsers, the one field whose types differ). */
function connectionOf(url: string): Knex.Knex.PgConnectionConfig {
  return parseIntoClientConfig(url) as Knex.Knex.PgConnectionConfig;
}

// knex prints its warnings with console.log, on the stdout that carries the JSON log. A failed
// connection is thrown to whoever asked for it as well, so knex's own copy (with a stack) is noise.
function knexLog(logger?: Logger): Knex.Knex.Config['log'] {
  const warn = (message: unknown): void => {
    if (String(message).startsWith('Acquire connection error')) logger?.debug({ knex: String(message) }, 'knex: connection failed');
    else if (logger) logger.warn({ knex: String(message) }, 'knex warning');
    else console.error(String(message));
  };
  return { warn, error: warn, deprecate: warn };
}

/** The directory of an embedded database kept on disk; null for PostgreSQL or an in-memory one. */
export function embeddedDirectory(database: DatabaseLocation): string | null {
  return 'pgliteDir' in database && database.pgliteDir !== 'memory' ? database.pgliteDir : null;
}

/** The pool for agent and tool work: its own on PostgreSQL, the one connection on PGlite. */
export function createWorkDb(database: DatabaseLocation, webhooks: Db, logger?: Logger): Db {
  return 'url' in database ? createDb(database, { logger, role: 'work' }) : webhooks;
}

export async function migrate(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
