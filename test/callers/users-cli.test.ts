import { expect } from 'chai';
import { createUser } from '../../src/db/users.ts';
import { playCall, CallStopped, type Exchange } from '../../src/simulator/call.ts';
import { startTestApp, AUTH_TOKEN, type TestApp } from '../support/app.ts';
import { runScript, scratchDirectory } from '../support/scripts.ts';

describe('npm run users, on PostgreSQL', function () {
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

  const users = (...args: string[]) => runScript('users', args, { cwd: cwd.path, env: { DATABASE_URL: app.database.url } });
  const countUsers = async () => Number((await app.db('users').count<{ count: string }[]>('* as count'))[0]?.count);

  /** Signs in as `from` with `pin`; what the app said after the PIN. */
  async function signIn(from: string, pin: string): Promise<Exchange> {
    const exchanges = await playCall({ url: app.url, authToken: AUTH_TOKEN, from, pin, utterances: ['bye'] });
    return exchanges[1]!;
  }
  async function refusedPin(from: string, pin: string): Promise<boolean> {
    try {
      await signIn(from, pin);
      return false;
    } catch (error) {
      return error instanceof CallStopped && error.reason === 'pin_rejected';
    }
  }

  it('when a caller is added, then they call from that number with that PIN and are greeted by name', async () => {
    const added = await users('add', '--phone', '+1 (415) 555-0123', '--name', 'Ada Lovelace', '--pin', '2468', '--timezone', 'Europe/London');
    expect(added.code, added.stderr.join('\n')).to.equal(0);
    expect(added.stdout.join('\n')).to.include('Added Ada Lovelace (+14155550123), time zone Europe/London');

    const greeting = await signIn('+14155550123', '2468');
    expect(greeting.reply).to.equal('Thanks, Ada Lovelace. What can I do for you?');
    const user = await app.db('users').where({ phone: '+14155550123' }).first();
    expect(user).to.include({ name: 'Ada Lovelace', timezone: 'Europe/London', email: null });
    expect(user.pin_hash).to.match(/^scrypt\$/);
  });

  it('when the input is wrong, then one line names the option, the exit code is 2, and nothing is written', async () => {
    const before = await countUsers();
    // A bad value and a mistyped option; test/callers/commands.test.ts goes through every rule.
    const cases: [string[], RegExp][] = [
      [['add', '--phone', '4155550199', '--name', 'Bo', '--pin', '2468'], /^--phone must be an E\.164 number/],
      [['add', '--phone', '+14155550199', '--nmae', 'Bo'], /^Unknown option '--nmae': see npm run users -- --help$/],
    ];
    for (const [args, line] of cases) {
      const run = await users(...args);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr, args.join(' ')).to.have.lengthOf(1);
      expect(run.stderr[0], args.join(' ')).to.match(line);
    }
    expect(await countUsers()).to.equal(before);
  });

  it('when the number is taken or unknown, then one line says so and the exit code is 1', async () => {
    const taken = await users('add', '--phone', app.demo.phone, '--name', 'Someone', '--pin', '1111');
    expect([taken.code, taken.stderr]).to.deep.equal([1, [`${app.demo.phone} is already a caller (Demo Caller): change their PIN with set-pin, or remove them first`]]);
    const unknown = await users('remove', '--phone', '+14155550100');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.deep.equal(['no caller has the number +14155550100 (npm run users -- list shows who does)']);
  });

  it('when listing, then every caller shows with number, name, zone and any PIN lock, and no PIN or hash', async () => {
    const locked = await createUser(app.db, { name: 'Grace Hopper', phone: '+14155550124', pin: '1111' });
    await app.db('pin_lockouts').insert({ user_id: locked.id, bucket: 'unattested', level: 1, locked_until: app.db.raw(`now() + interval '10 minutes'`) });
    const list = await users('list');
    expect(list.code).to.equal(0);
    const text = list.stdout.join('\n');
    expect(list.stdout[0]).to.match(/^phone\s+name\s+time zone\s+sign-in$/);
    expect(text).to.match(/\+15555550100\s+Demo Caller\s+UTC\s+ok/);
    expect(text).to.match(/\+14155550124\s+Grace Hopper\s+UTC\s+PIN locked until 20\d\d-/);
    expect(text).to.not.match(/scrypt|4321|1111/);
  });

  it('when set-pin runs, then the old PIN is refused, the new one works, and the PIN lock is lifted', async () => {
    const changed = await users('set-pin', '--phone', '+14155550124', '--pin', '97531');
    expect(changed.code, changed.stderr.join('\n')).to.equal(0);
    expect(await refusedPin('+14155550124', '1111')).to.equal(true);
    expect((await signIn('+14155550124', '97531')).reply).to.equal('Thanks, Grace Hopper. What can I do for you?');
  });

  it('when a caller is removed, then they can no longer sign in, and their todos are gone with them', async () => {
    const user = await createUser(app.db, { name: 'Alan Turing', phone: '+14155550125', pin: '3141' });
    await app.db('todos').insert({ title: 'break a code', creator_id: user.id });

    const removed = await users('remove', '--phone', '+14155550125');
    expect([removed.code, removed.stdout]).to.deep.equal([0, ['Removed Alan Turing (+14155550125) with their todos, reminders, events and conversations.']]);
    expect(await refusedPin('+14155550125', '3141')).to.equal(true);
    expect(await app.db('todos').where({ creator_id: user.id }).first()).to.equal(undefined);
  });
});
