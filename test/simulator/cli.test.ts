import { expect } from 'chai';
import { startTestApp, AUTH_TOKEN, type TestApp } from '../support/app.ts';
import { runScript, scratchDirectory } from '../support/scripts.ts';

describe('npm run call against a running app', function () {
  this.timeout(60_000);
  let app: TestApp;
  let cwd: ReturnType<typeof scratchDirectory>;
  before(async () => {
    app = await startTestApp();
    cwd = scratchDirectory();
  });
  after(async () => {
    await app.close();
    cwd.remove();
  });

  const call = (...args: string[]) => runScript('call', ['--url', app.url, ...args], { cwd: cwd.path });

  it('when the token and PIN are right, then the transcript plays and the exit code is 0', async () => {
    const run = await call('--token', AUTH_TOKEN, '--pin', app.demo.pin, 'what are my todos');
    expect(run.code, run.stderr.join('\n')).to.equal(0);
    expect(run.stdout[2]).to.equal('  app  › Thanks, Demo Caller. What can I do for you?');
    expect(run.stderr).to.deep.equal([]);
  });

  it('when the app refuses the signature, then the simulator says so in its own words and exits 3', async () => {
    const run = await call('--token', 'not-the-apps-token', '--pin', app.demo.pin);
    expect(run.code).to.equal(3);
    expect(run.stdout.join('\n')).to.not.include('app  ›');
    expect(run.stderr).to.deep.equal([
      'simulator: the app refused /voice/incoming with 403: its Twilio auth token, or the URL it expects (PUBLIC_BASE_URL), is not the one signed with; pass the app\'s token with --token, and with PUBLIC_BASE_URL set, call that URL',
    ]);
  });

  it('when the PIN is wrong, then the app\'s words are shown as the app\'s, the simulator says what failed, and exits 4', async () => {
    const run = await call('--token', AUTH_TOKEN, '--pin', '0000', 'what are my todos');
    expect(run.code).to.equal(4);
    expect(run.stdout).to.include('  app  › That PIN didn\'t match. You have 2 tries left. Please say or enter your PIN.');
    expect(run.stdout.join('\n')).to.not.include('what are my todos');
    expect(run.stderr).to.deep.equal([
      `simulator: the app did not accept the PIN for ${app.demo.phone}: check --from and --pin (npm run users -- list shows the callers, set-pin gives one a new PIN)`,
    ]);
  });

  it('when nothing listens at --url, then it says so and exits 1', async () => {
    const run = await runScript('call', ['--url', 'http://127.0.0.1:9', '--pin', '1234'], { cwd: cwd.path });
    expect([run.code, run.stderr]).to.deep.equal([1, ['simulator: could not reach http://127.0.0.1:9: is the app running there (npm start)?']]);
  });
});

describe('npm run call -- --relay against a running app', function () {
  this.timeout(60_000);
  let app: TestApp;
  let cwd: ReturnType<typeof scratchDirectory>;
  before(async () => {
    app = await startTestApp({ VOICE_MODE: 'relay', TRANSFER_NUMBER: '+15555550142' });
    cwd = scratchDirectory();
  });
  after(async () => {
    await app.close();
    cwd.remove();
  });

  const call = (...args: string[]) => runScript('call', ['--url', app.url, '--token', AUTH_TOKEN, '--pin', app.demo.pin, '--relay', ...args], { cwd: cwd.path });

  it('when the call plays on ConversationRelay, then each reply is printed as it streams, with its timings, and a transfer ends it', async () => {
    const run = await call('what are my todos', 'put me through to a person', 'this is never said');
    expect(run.code, run.stderr.join('\n')).to.equal(0);
    const todos = run.stdout.indexOf('caller › what are my todos');
    // The offline agent's list is several clauses: more than one token, each with its milliseconds.
    const tokens = run.stdout.slice(todos + 1).filter((line) => /^ {2}app {2}› +\+\d+ ms {2}\S/.test(line));
    expect(tokens.length).to.be.greaterThan(2);
    expect(run.stdout).to.satisfy((lines: string[]) => lines.some((line) => /^ {8}\(first words after \d+ ms, whole reply after \d+ ms\)$/.test(line)));
    expect(run.stdout).to.include('        (the app ended the session: {"reasonCode":"live-agent-handoff"})');
    expect(run.stdout).to.include('  app  ›   [dial +15555550142]', run.stdout.join('\n'));
    expect(run.stdout.join('\n')).to.not.include('this is never said');
  });

  it('when the app runs the Gather mode, then --relay says so and exits 3', async () => {
    const gather = await startTestApp();
    try {
      const run = await runScript('call', ['--url', gather.url, '--token', AUTH_TOKEN, '--pin', gather.demo.pin, '--relay'], { cwd: cwd.path });
      expect(run.code).to.equal(3);
      expect(run.stderr[0]).to.match(/^simulator: the app answered the PIN with <Gather>, not <Connect><ConversationRelay>/);
    } finally {
      await gather.close();
    }
  });
});
