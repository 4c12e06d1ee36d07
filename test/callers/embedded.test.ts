import { expect } from 'chai';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SOCKET_FILE } from '../../src/callers/command-socket.ts';
import { LOCK_FILE, lockEmbeddedDatabase } from '../../src/db/embedded-lock.ts';
import { playCall } from '../../src/simulator/call.ts';
import { listeningPort, runScript, scratchDirectory, startScript, type Script } from '../support/scripts.ts';

const TOKEN = 'embedded-test-token-0123456789';

// The embedded database as a newcomer uses it: `npm start` and `npm run users` in one project
// directory, on its default .data/pglite, as separate processes.
describe('callers on the embedded database, with and without the app running', function () {
  this.timeout(120_000);
  let project: ReturnType<typeof scratchDirectory>;
  let app: Script | undefined;
  const env = { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', TWILIO_AUTH_TOKEN: TOKEN, OTEL_SDK_DISABLED: 'true' };
  const dataDir = () => join(project.path, '.data/pglite');

  before(() => {
    project = scratchDirectory();
  });
  after(async () => {
    await app?.stop();
    project.remove();
  });

  const users = (...args: string[]) => runScript('users', args, { cwd: project.path, env });
  async function startApp(): Promise<{ app: Script; url: string }> {
    const started = startScript('start', [], { cwd: project.path, env });
    return { app: started, url: `http://127.0.0.1:${await listeningPort(started)}` };
  }
  async function greeting(url: string, from: string, pin: string): Promise<string> {
    const exchanges = await playCall({ url, authToken: TOKEN, from, pin, utterances: ['bye'] });
    return exchanges[1]!.reply;
  }

  it('when the process holding the database takes no commands, then users waits, and goes on once it lets go', async () => {
    mkdirSync(dataDir(), { recursive: true });
    const release = lockEmbeddedDatabase(dataDir());
    const list = startScript('users', ['list'], { cwd: project.path, env });
    try {
      expect(await list.waitForLine(/^waiting for/)).to.match(new RegExp(`^waiting for pid ${process.pid} \\(.*\\), which holds the embedded database in .*pglite…$`));
    } finally {
      release();
    }
    expect(await list.exited, list.stderr.join('\n')).to.equal(0);
    expect(list.stdout[0]).to.match(/^No callers yet/);
  });

  it('when the app starts on an empty embedded database, then it prints the demo caller\'s PIN on stderr, and how to add yourself', async () => {
    const started = await startApp();
    app = started.app;
    const line = await app.waitForLine(/^Demo caller created/);
    const [, phone, pin] = /call from (\+\d+) and give the PIN (\d{4})$/.exec(line) ?? [];
    expect(app.stderr).to.include(line);
    expect(app.stderr).to.include('To call as yourself: npm run users -- add --phone <your number> --name "<your name>" --pin <4 to 8 digits>');
    expect(await greeting(started.url, phone!, pin!)).to.equal('Thanks, Demo Caller. What can I do for you?');
  });

  it('when the app is running, then users add goes through the app, and the caller can call at once', async () => {
    const added = await users('add', '--phone', '+14155550123', '--name', 'Ada Lovelace', '--pin', '2468');
    expect(added.code, added.stderr.join('\n')).to.equal(0);
    const url = `http://127.0.0.1:${await listeningPort(app!)}`;
    expect(await greeting(url, '+14155550123', '2468')).to.equal('Thanks, Ada Lovelace. What can I do for you?');
    // The app ran it: its log has the command, with the number masked.
    const logged = await app!.waitForLine(/"msg":"caller command"/);
    expect(JSON.parse(logged)).to.include({ command: 'add', phone: '+•••••••0123' });
    expect(statSync(join(dataDir(), SOCKET_FILE)).mode & 0o777, 'only its owner may use the socket').to.equal(0o600);
  });

  it('when a second app or a seed opens the same directory, then it exits 1 with one line naming the holder, and the first app keeps its data', async () => {
    for (const name of ['start', 'seed']) {
      const second = await runScript(name, [], { cwd: project.path, env, timeoutMs: 20_000 });
      expect(second.code, name).to.equal(1);
      const lines = second.stderr.filter((line) => !line.startsWith('telemetry:'));
      expect(lines, name).to.have.lengthOf(1);
      expect(lines[0]).to.match(/^the embedded database in .*\.data\/pglite is in use by another process \(pid \d+, .*src\/main\.ts\): stop it first, or set PGLITE_DATA_DIR/);
    }
    const url = `http://127.0.0.1:${await listeningPort(app!)}`;
    expect(await greeting(url, '+14155550123', '2468')).to.equal('Thanks, Ada Lovelace. What can I do for you?');
  });

  it('when the app was killed outright, then users add takes over the lock it left and opens the database itself', async () => {
    await app!.stop('SIGKILL');
    expect(existsSync(join(dataDir(), LOCK_FILE)), 'a crash leaves the lock behind').to.equal(true);
    const added = await users('add', '--phone', '+14155550124', '--name', 'Grace Hopper', '--pin', '1357');
    expect(added.code, added.stderr.join('\n')).to.equal(0);
    expect(existsSync(join(dataDir(), LOCK_FILE)), 'given back at exit').to.equal(false);
  });

  it('when the app starts again, then it takes over the socket the crash left, and every caller can call', async () => {
    expect(existsSync(join(dataDir(), SOCKET_FILE)), 'a crash leaves the socket behind').to.equal(true);
    const restarted = await startApp();
    app = restarted.app;
    expect(await greeting(restarted.url, '+14155550123', '2468')).to.equal('Thanks, Ada Lovelace. What can I do for you?');
    expect(await greeting(restarted.url, '+14155550124', '1357')).to.equal('Thanks, Grace Hopper. What can I do for you?');
    const changed = await users('set-pin', '--phone', '+14155550124', '--pin', '8642');
    expect(changed.code, changed.stderr.join('\n')).to.equal(0);
    expect(await greeting(restarted.url, '+14155550124', '8642')).to.equal('Thanks, Grace Hopper. What can I do for you?');
  });

  it('when the app stops, then it gives back the lock and the socket', async () => {
    expect(await app!.stop()).to.equal(0);
    expect(existsSync(join(dataDir(), LOCK_FILE))).to.equal(false);
    expect(existsSync(join(dataDir(), SOCKET_FILE))).to.equal(false);
  });
});
