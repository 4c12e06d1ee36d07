import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { createDb, migrate } from '../src/db/knex.ts';
import { createUser } from '../src/db/users.ts';
import { explainFailure } from '../src/start-failures.ts';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from './support/database.ts';
import { listeningPort, runScript, scratchDirectory, startScript } from './support/scripts.ts';

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function databaseUrl(changes: { database?: string; port?: number }): string {
  const url = new URL(TEST_SERVER_URL);
  if (changes.database) url.pathname = `/${changes.database}`;
  if (changes.port) url.port = String(changes.port);
  return url.href;
}

// `npm start` as a user runs it, in a directory of its own: whatever they got wrong, stderr says
// what and how to fix it in one line (after telemetry's own status line), and the exit code is 1.
describe('starting the app when something is wrong', function () {
  this.timeout(60_000);
  let cwd: ReturnType<typeof scratchDirectory>;
  let database: TestDatabase;
  before(async () => {
    cwd = scratchDirectory();
    database = await createTestDatabase();
  });
  after(async () => {
    cwd.remove();
    await database.drop();
  });

  const base = { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', TWILIO_AUTH_TOKEN: 'start-test-token' };
  async function failedStart(env: Record<string, string>): Promise<string[]> {
    const run = await runScript('start', [], { cwd: cwd.path, env: { ...base, ...env } });
    expect(run.code, run.stderr.join('\n')).to.equal(1);
    expect(run.stdout).to.deep.equal([]);
    expect(run.stderr[0]).to.equal('telemetry: off');
    return run.stderr.slice(1);
  }

  it('when configuration is invalid, then every wrong variable is named on one line', async () => {
    const lines = await failedStart({ PORT: 'eighty', DATABASE_URL: 'mysql://db/convonet' });
    expect(lines).to.deep.equal([
      'invalid configuration: PORT: must be a port number; DATABASE_URL: must be a postgres:// URL, or unset for the embedded database (fix it in the environment or in .env)',
    ]);
  });

  it('when the database does not exist, then the line names it and how to create it', async () => {
    const lines = await failedStart({ DATABASE_URL: databaseUrl({ database: 'convonet_absent_db' }) });
    expect(lines).to.have.lengthOf(1);
    expect(lines[0]).to.match(/^the database "convonet_absent_db" does not exist on 127\.0\.0\.1:5432: create it \(createdb .* convonet_absent_db\), or fix DATABASE_URL$/);
  });

  it('when PostgreSQL is not running, then the line says so, with the address, and never the password', async () => {
    const port = await closedPort();
    const lines = await failedStart({ DATABASE_URL: databaseUrl({ port }) });
    expect(lines).to.deep.equal([
      `PostgreSQL is not running at 127.0.0.1:${port} (connection refused): start it (npm run db:up on Debian or Ubuntu), fix DATABASE_URL, or unset DATABASE_URL for the embedded database`,
    ]);
    expect(lines.join()).to.not.include(new URL(TEST_SERVER_URL).password);
  });

  it('when the port is taken, then the line names the port and the fix', async () => {
    const taken: Server = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    try {
      const lines = await failedStart({ DATABASE_URL: database.url, PORT: String(port) });
      expect(lines).to.deep.equal([`port ${port} is already in use (another npm start?): stop what listens there, or set PORT to a free port`]);
    } finally {
      taken.close();
    }
  });

  it('when npm run users meets the same problem, then it says the same one line', async () => {
    const port = await closedPort();
    const run = await runScript('users', ['list'], { cwd: cwd.path, env: { DATABASE_URL: databaseUrl({ port }) } });
    expect([run.code, run.stderr]).to.deep.equal([
      1,
      [`PostgreSQL is not running at 127.0.0.1:${port} (connection refused): start it (npm run db:up on Debian or Ubuntu), fix DATABASE_URL, or unset DATABASE_URL for the embedded database`],
    ]);
  });

  it('when telemetry is misconfigured, then its own line says which variable, before the app loads', async () => {
    const run = await runScript('start', [], { cwd: cwd.path, env: { ...base, OTEL_TRACES_EXPORTER: 'bogus' } });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.have.lengthOf(1);
    expect(run.stderr[0]).to.match(/^telemetry: invalid configuration: OTEL_TRACES_EXPORTER: unknown exporter "bogus"/);
  });
});

describe('the line for a failure', () => {
  /** The line for whatever opening and migrating this database throws. */
  async function lineFor(env: Record<string, string>): Promise<string | null> {
    const config = loadConfig(env);
    try {
      const db = createDb(config.database);
      try {
        await migrate(db);
      } finally {
        await db.destroy();
      }
    } catch (error) {
      return explainFailure(error, config);
    }
    throw new Error('it did not fail');
  }

  it('when the password is wrong, then the line says so, and shows no password', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.password = 'wrong-password';
    const line = await lineFor({ DATABASE_URL: url.href });
    expect(line).to.equal(`PostgreSQL at ${url.hostname}:${url.port} refused the password for user "${url.username}": fix the password in DATABASE_URL`);
  });

  it('when the host does not exist, then the line names it', async () => {
    expect(await lineFor({ DATABASE_URL: 'postgres://convonet:secret@no-such-host.invalid/convonet' })).to.equal(
      'the host no-such-host.invalid in DATABASE_URL cannot be found: fix DATABASE_URL',
    );
  });

  it('when the embedded data directory cannot be made, then the line names it', async () => {
    const scratch = scratchDirectory();
    try {
      writeFileSync(join(scratch.path, 'a-file'), '');
      const dir = join(scratch.path, 'a-file', 'pglite');
      // With a token set, so that the database, not the development token, is the first to need the directory.
      expect(await lineFor({ PGLITE_DATA_DIR: dir, TWILIO_AUTH_TOKEN: 'start-test-token' })).to.match(new RegExp(`^cannot use PGLITE_DATA_DIR=${dir} \\(ENOTDIR on .*\\): set it to a directory you can write$`));
    } finally {
      scratch.remove();
    }
  });

  it('when the role may not create tables, then the line says so, without the SQL', () => {
    const refusal = Object.assign(new pg.DatabaseError('create table "knex_migrations" (...) - permission denied for schema public', 0, 'error'), { code: '42501' });
    const config = loadConfig({ DATABASE_URL: 'postgres://app:secret@db.example:5433/convonet' });
    expect(explainFailure(refusal, config)).to.equal(
      'user "app" may not create the tables in database "convonet" on db.example:5433 (permission denied for schema public): grant it, or use a database it owns',
    );
  });

  it('when the failure is not one a user causes, then there is no line, and the stack trace stays', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:secret@db.example/convonet' });
    expect(explainFailure(new TypeError('undefined is not a function'), config)).to.equal(null);
    expect(explainFailure(Object.assign(new pg.DatabaseError('syntax error at or near "selec"', 0, 'error'), { code: '42601' }), config)).to.equal(null);
  });
});

describe('a .env file in the project root', function () {
  this.timeout(60_000);
  let project: ReturnType<typeof scratchDirectory>;
  let database: TestDatabase;
  before(async () => {
    project = scratchDirectory();
    database = await createTestDatabase();
  });
  after(async () => {
    project.remove();
    await database.drop();
  });

  it('when present, then it is read before telemetry starts', async () => {
    writeFileSync(join(project.path, '.env'), 'OTEL_TRACES_EXPORTER=bogus\n');
    const run = await runScript('start', [], { cwd: project.path, env: { LOG_LEVEL: 'silent' } });
    expect(run.code).to.equal(1);
    expect(run.stderr[0]).to.match(/^telemetry: invalid configuration: OTEL_TRACES_EXPORTER: unknown exporter "bogus"/);
  });

  it('when a variable is also in the environment, then the environment wins, even set empty', async () => {
    writeFileSync(join(project.path, '.env'), `OTEL_TRACES_EXPORTER=bogus\nPORT=eighty\nDATABASE_URL=${database.url}\nLOG_LEVEL=info\n`);
    const app = startScript('start', [], { cwd: project.path, env: { OTEL_TRACES_EXPORTER: '', PORT: '0', HOST: '127.0.0.1' } });
    try {
      // Listening at all shows the environment's PORT and OTEL_TRACES_EXPORTER won; the database is the file's.
      expect(await listeningPort(app)).to.be.above(0);
      expect(app.stderr[0]).to.equal('telemetry: off');
      expect(app.stdout.join('\n')).to.include('"database":"postgres"');
    } finally {
      await app.stop();
    }
  });

  it('when the other commands run, then they read it too', async () => {
    await createUser(database.db, { name: 'Ada Lovelace', phone: '+14155550123', pin: '2468' });
    writeFileSync(join(project.path, '.env'), `DATABASE_URL=${database.url}\n`);
    const list = await runScript('users', ['list'], { cwd: project.path });
    expect(list.code, list.stderr.join('\n')).to.equal(0);
    expect(list.stdout[1]).to.match(/^\+14155550123\s+Ada Lovelace/);
  });
});
