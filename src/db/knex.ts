import { mkdirSync } from 'node:fs';
import Knex from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Config } from '../config.ts';
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
 */
export function createDb(database: Config['database']): Db {
  if ('url' in database) {
    return Knex.knex({
      client: 'pg',
      connection: database.url,
      pool: { min: 0, max: 10 },
      // Waiting longer for a connection than a caller waits for an answer helps nobody.
      acquireConnectionTimeout: 3_000,
      asyncStackTraces: true,
    });
  }
  const connection =
    database.pgliteDir === 'memory'
      ? { database: 'convonet' }
      : { filename: ensureDir(database.pgliteDir), database: 'convonet' };
  return Knex.knex({ client: ClientPgLite, dialect: 'postgres', connection, asyncStackTraces: true });
}

export async function migrate(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
