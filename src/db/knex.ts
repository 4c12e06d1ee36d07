import { mkdirSync } from 'node:fs';
import Knex from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { lockEmbeddedDatabase } from './embedded-lock.ts';
import { migrationSource } from './migrations.ts';

// Data access counts changed rows with `.returning('id')`, never the number update() or delete()
// resolve to: PGlite's knex dialect resolves those to a result object, not a count.
export type Db = Knex.Knex;
export type Executor = Knex.Knex | Knex.Knex.Transaction;

/**
 * A knex instance on PostgreSQL (DATABASE_URL) or on embedded PGlite: the same migrations and
 * the same SQL either way. PGlite gets a database name because the knex instrumentation names
 * spans after it, and an unnamed span makes the OTLP protobuf exporter drop its whole batch.
 * `asyncStackTraces`: a failed query's error carries the stack of the code that built the query
 * (the app's frames) instead of the driver's alone; one stack capture per query, read only when
 * the query fails.
 * An embedded directory is locked to this process until `destroy()` (or exit): see embedded-lock.ts.
 */
export function createDb(database: Config['database'], logger?: Logger): Db {
  const common = { asyncStackTraces: true, log: knexLog(logger) };
  if ('url' in database) {
    return Knex.knex({
      client: 'pg',
      connection: database.url,
      pool: { min: 0, max: 10 },
      // Waiting longer for a connection than a caller waits for an answer helps nobody.
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
export function embeddedDirectory(database: Config['database']): string | null {
  return 'pgliteDir' in database && database.pgliteDir !== 'memory' ? database.pgliteDir : null;
}

export async function migrate(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
