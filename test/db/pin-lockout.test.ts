import { expect } from 'chai';
import { acceptPin, PIN_FAILURES_PER_LOCK, takeAccountPinAttempt, type AccountAttempt } from '../../src/db/pin-lockout.ts';
import { addUser } from '../tools/context.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('PIN lockout bucket', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  async function fill(userId: string): Promise<AccountAttempt[]> {
    const attempts: AccountAttempt[] = [];
    for (let i = 0; i < PIN_FAILURES_PER_LOCK; i++) attempts.push(await takeAccountPinAttempt(database.db, userId, 'unattested'));
    return attempts;
  }
  const lockOf = async (userId: string) =>
    (await database.db('pin_lockouts').where({ user_id: userId, bucket: 'unattested' }).first()).locked_until as Date | null;

  it('when the last allowed attempt is taken, then the lock is already set, and no further attempt is allowed', async () => {
    const user = await addUser(database.db, 'Lena Last');
    const attempts = await fill(user.id);
    expect(attempts.slice(0, -1).every((attempt) => attempt.allowed && attempt.lock === undefined)).to.equal(true);
    expect(attempts.at(-1)).to.have.nested.property('lock.level', 1);
    expect(await takeAccountPinAttempt(database.db, user.id, 'unattested')).to.deep.equal({ allowed: false });
  });

  it('when the attempt that set the lock proves right, then its own lock is lifted', async () => {
    const user = await addUser(database.db, 'Olga Own');
    const attempts = await fill(user.id);
    await acceptPin(database.db, user.id, 'unattested', attempts.at(-1)!);
    expect(await lockOf(user.id)).to.equal(null);
  });

  it('when every attempt of a full bucket proves right, whatever order they finish in, then no lock is left', async () => {
    const user = await addUser(database.db, 'Sam Simultaneous');
    const attempts = await fill(user.id);
    for (const attempt of [attempts[0]!, attempts.at(-1)!, ...attempts.slice(1, -1)]) await acceptPin(database.db, user.id, 'unattested', attempt);
    expect(await lockOf(user.id)).to.equal(null);
    expect(await takeAccountPinAttempt(database.db, user.id, 'unattested')).to.deep.equal({ allowed: true });
  });

  it('when an earlier attempt proves right after others locked the bucket, then their lock stays', async () => {
    const user = await addUser(database.db, 'Ed Earlier');
    const attempts = await fill(user.id);
    await acceptPin(database.db, user.id, 'unattested', attempts[1]!);
    expect(await lockOf(user.id)).to.be.instanceOf(Date);
    expect(await takeAccountPinAttempt(database.db, user.id, 'unattested')).to.deep.equal({ allowed: false });
  });
});
