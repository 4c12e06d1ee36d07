import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { isNodeScript, runScript, SCRIPTS, scratchDirectory } from './support/scripts.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

// `npm run <script> -- --help` hands `--help` to the script's command: the node scripts run here
// exactly as package.json has them (test/support/scripts.ts), the others through npm itself.
describe('every npm run script', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let scratch: ReturnType<typeof scratchDirectory>;
  before(async () => {
    database = await createTestDatabase();
    scratch = scratchDirectory();
  });
  after(async () => {
    await database.drop();
    scratch.remove();
  });

  async function help(script: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
    env = { OTEL_SDK_DISABLED: 'true', ...env };
    if (isNodeScript(script)) {
      const run = await runScript(script, ['--help'], { cwd: scratch.path, env });
      expect(run.code, run.stderr.join('\n')).to.equal(0);
      return { stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') };
    }
    return promisify(execFile)('npm', ['run', '--silent', script, '--', '--help'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
  }

  // `npm test -- --help` typechecks the whole project before mocha prints its own help: too slow to repeat here.
  const scripts = Object.keys(SCRIPTS).filter((script) => script !== 'test');
  // Our own commands' usage names the command; the rest is the tool's own (mocha, tsc) or a shell script's.
  const OWN: Record<string, string> = { start: 'npm start', seed: 'npm run seed', users: 'npm run users', call: 'npm run call', 'otel:tail': 'npm run otel:tail', 'eval:offline': 'npm run eval:offline', 'bench:relay': 'npm run bench:relay', 'collector:build': 'npm run collector:build', 'jaeger:build': 'npm run jaeger:build', stack: 'npm run stack' };

  for (const script of scripts) {
    it(`when "npm run ${script} -- --help" runs, then it prints usage and exits 0, with no stack trace`, async () => {
      const { stdout, stderr } = await help(script);
      expect(stdout).to.match(/usage|commands|npm (run|start)/i);
      if (OWN[script]) expect(stdout).to.include(`  ${OWN[script]}`);
      expect(`${stdout}\n${stderr}`).to.not.match(/^\s+at /m);
    });
  }

  it('when "npm run eval:offline -- --part" names no part, then one line says which there are, exit 2, and nothing is played', async () => {
    const run = await runScript('eval:offline', ['--part', 'everything'], { cwd: scratch.path, env: { OTEL_SDK_DISABLED: 'true' } });
    expect([run.code, run.stderr, run.stdout]).to.deep.equal([2, ['--part is development or held-out: see npm run eval:offline -- --help'], []]);
  });

  it('when the port "npm run otel:tail" wants is taken, then one line names it and the fix, exit 1, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = await runScript('otel:tail', ['--port', String(port)], { cwd: scratch.path, env: { OTEL_SDK_DISABLED: 'true' } });
      expect([run.code, run.stderr]).to.deep.equal([1, [`port ${port} on 127.0.0.1 is already in use (a collector, or another otel:tail?): stop it, or pass --port`]]);
    } finally {
      taken.close();
    }
  });

  it('when "npm run seed -- --help" runs, then no database is touched: no demo caller, no embedded directory', async () => {
    await help('seed', { DATABASE_URL: database.url });
    await help('seed', { PGLITE_DATA_DIR: join(scratch.path, 'pglite') });
    expect(await database.db.schema.hasTable('users')).to.equal(true);
    expect(await database.db('users').first()).to.equal(undefined);
    expect(existsSync(join(scratch.path, 'pglite'))).to.equal(false);
  });
});
