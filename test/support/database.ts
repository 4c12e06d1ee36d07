import { randomBytes } from 'node:crypto';
import Knex from 'knex';
import { createDb, migrate, type Db } from '../../src/db/knex.ts';

/** The shared PostgreSQL server; CI starts it, a developer may point elsewhere. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://convonet:convonet-test@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database on a PostgreSQL server, made for one run and dropped after it: the
 * tests, the benchmarks and the offline eval each work in their own, never in one a user named.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = Knex.knex({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb({ url: url.href });
  return {
    db,
    url: url.href,
    async drop() {
      await db.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

/** A fresh, migrated database on the shared server, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(TEST_SERVER_URL, 'convonet_test');
  await migrate(scratch.db);
  return scratch;
}
