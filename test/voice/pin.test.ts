import { expect } from 'chai';
import { LOCK_MINUTES, PIN_FAILURES_PER_LOCK } from '../../src/db/pin-lockout.ts';
import { newCallSid } from '../../src/simulator/call.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const ATTESTED = 'TN-Validation-Passed-A';

describe('PIN attempts and lockout', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());
  beforeEach(() => app.db('pin_lockouts').delete());

  const ring = async (stirVerstat?: string) => {
    const callSid = newCallSid();
    await app.post('/voice/incoming', {
      CallSid: callSid,
      From: app.demo.phone,
      To: '+15555550199',
      CallStatus: 'ringing',
      ...(stirVerstat ? { StirVerstat: stirVerstat } : {}),
    });
    return callSid;
  };
  const pin = (callSid: string, digits: string) => app.post('/voice/pin', { CallSid: callSid, Digits: digits });
  const wrong = (callSid: string) => pin(callSid, '0000');
  const bucket = async (name: 'attested' | 'unattested') =>
    app.db('pin_lockouts').where({ user_id: app.demo.userId, bucket: name }).first();
  /** PINs actually checked for a call: each rejected one writes one "pin rejected" log record. */
  const checked = (callSid: string) => app.logs.filter((line) => line.event === 'pin rejected' && line['twilio.call_sid'] === callSid).length;
  /** Wrong PINs from as many unattested calls as it takes, three per call. */
  async function wrongGuesses(count: number, stirVerstat?: string) {
    let callSid = await ring(stirVerstat);
    for (let guess = 0; guess < count; guess++) {
      if (guess > 0 && guess % 3 === 0) callSid = await ring(stirVerstat);
      await wrong(callSid);
    }
  }

  it(`when ${PIN_FAILURES_PER_LOCK} wrong PINs come in a row over calls, then the account locks: the right PIN is not even checked, and the caller is told it is paused`, async () => {
    await wrongGuesses(PIN_FAILURES_PER_LOCK);
    const lock = await bucket('unattested');
    expect(lock).to.include({ level: 1, failures: 0 });
    const minutes = (lock.locked_until.getTime() - Date.now()) / 60_000;
    expect(minutes).to.be.within(LOCK_MINUTES[0] - 1, LOCK_MINUTES[0]);
    expect(app.logs.some((line) => line.event === 'pin lockout' && line['convonet.pin.lock_level'] === 1)).to.equal(true);

    const callSid = await ring();
    const { heard, reply } = await pin(callSid, app.demo.pin);
    expect(reply).to.match(/paused after too many wrong PINs/);
    expect(heard?.hangup).to.equal(true);
    expect((await app.db('calls').where({ call_sid: callSid }).first()).user_id).to.equal(null);
    expect(checked(callSid)).to.equal(0);
  });

  it('when the lock has passed and the guessing goes on, then each lock lasts longer', async () => {
    await wrongGuesses(PIN_FAILURES_PER_LOCK);
    for (const [index, minutes] of [...LOCK_MINUTES.entries(), [LOCK_MINUTES.length, LOCK_MINUTES.at(-1)!] as const]) {
      // As if the last lock had run its course and the guesser had come back for four more.
      await app.db('pin_lockouts')
        .where({ user_id: app.demo.userId })
        .update({ failures: PIN_FAILURES_PER_LOCK - 1, level: index, locked_until: app.db.raw(`now() - interval '1 second'`) });
      await wrongGuesses(1);
      const lock = await bucket('unattested');
      expect(lock.level).to.equal(index + 1);
      expect((lock.locked_until.getTime() - Date.now()) / 60_000).to.be.within(minutes - 1, minutes);
    }
  });

  it('when a week passes without a wrong PIN, then the bucket starts over from the shortest lock', async () => {
    await app.db('pin_lockouts').insert({
      user_id: app.demo.userId,
      bucket: 'unattested',
      failures: 3,
      level: 3,
      locked_until: app.db.raw(`now() - interval '8 days'`),
      last_failure_at: app.db.raw(`now() - interval '8 days'`),
    });
    await wrongGuesses(PIN_FAILURES_PER_LOCK - 1);
    expect(await bucket('unattested')).to.include({ failures: PIN_FAILURES_PER_LOCK - 1, level: 0, locked_until: null });
    await wrongGuesses(1);
    expect((await bucket('unattested')).level).to.equal(1);
  });

  it('when the right PIN follows a few wrong ones, then the caller is in and the count starts over', async () => {
    await wrongGuesses(PIN_FAILURES_PER_LOCK - 1);
    const callSid = await ring();
    const { heard } = await pin(callSid, app.demo.pin);
    expect(heard?.gather?.action).to.equal('/voice/turn?seq=1');
    expect(await bucket('unattested')).to.include({ failures: 0, level: 0, locked_until: null });
  });

  it('when a spoofer has locked the number, then its owner calling with a carrier-attested caller ID still gets in', async () => {
    await wrongGuesses(PIN_FAILURES_PER_LOCK);
    expect((await bucket('unattested')).locked_until).to.be.instanceOf(Date);

    const owner = await ring(ATTESTED);
    const { heard } = await pin(owner, app.demo.pin);
    expect(heard?.gather?.action).to.equal('/voice/turn?seq=1');
    expect((await app.db('calls').where({ call_sid: owner }).first()).user_id).to.equal(app.demo.userId);
    // And the spoofer's lock stands.
    const spoofer = await ring();
    expect((await pin(spoofer, app.demo.pin)).reply).to.match(/paused/);
  });

  it('when attested calls guess wrong, then they lock only the attested bucket', async () => {
    await wrongGuesses(PIN_FAILURES_PER_LOCK, ATTESTED);
    expect((await bucket('attested')).level).to.equal(1);
    expect(await bucket('unattested')).to.equal(undefined);
    const other = await ring();
    expect((await pin(other, app.demo.pin)).heard?.gather?.action).to.equal('/voice/turn?seq=1');
  });

  it('when twelve guesses arrive at once on one call, then only three are checked', async () => {
    const callSid = await ring();
    const answers = await Promise.all(Array.from({ length: 12 }, () => wrong(callSid)));
    expect(answers.every((answer) => answer.status === 200)).to.equal(true);
    expect(checked(callSid)).to.equal(3);
    expect((await app.db('calls').where({ call_sid: callSid }).first()).pin_attempts).to.equal(3);
  });

  it('when thirty guesses arrive at once over ten calls, then only as many as one lock allows are checked, and the lock holds', async () => {
    const calls = await Promise.all(Array.from({ length: 10 }, () => ring()));
    await Promise.all(calls.flatMap((callSid) => [wrong(callSid), wrong(callSid), wrong(callSid)]));
    const total = calls.reduce((sum, callSid) => sum + checked(callSid), 0);
    expect(total).to.equal(PIN_FAILURES_PER_LOCK);
    expect((await bucket('unattested')).level).to.equal(1);
    const late = await ring();
    expect((await pin(late, app.demo.pin)).reply).to.match(/paused/);
  });
});
