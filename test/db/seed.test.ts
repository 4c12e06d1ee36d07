import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { verifyPin } from '../../src/db/pin-hash.ts';
import { findUserByPhone } from '../../src/db/users.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { runScript, scratchDirectory } from '../support/scripts.ts';

describe('demo seed', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  async function count(table: string): Promise<number> {
    const [row] = await database.db(table).count<{ count: string }[]>('*');
    return Number(row?.count);
  }

  it('when seeded, then the demo caller has todos, two events, a reminder and two teams', async () => {
    const seeded = await seedDemo(database.db, { pin: '4321', timezone: 'America/New_York' });
    expect(seeded.phone).to.equal('+15555550100');
    expect(seeded.user.name).to.equal('Demo Caller');
    expect(await database.db('todos').where({ creator_id: seeded.user.id }).count<{ count: string }[]>('*')).to.deep.equal([{ count: '3' }]);
    expect(await database.db('calendar_events').where({ user_id: seeded.user.id }).count<{ count: string }[]>('*')).to.deep.equal([{ count: '2' }]);
    expect(await count('reminders')).to.equal(1);
    const teams = await database.db('teams').orderBy('name').pluck('name');
    expect(teams).to.deep.equal(['Design', 'Engineering']);
    const designOwner = await database.db('team_members as m')
      .join('teams as t', 't.id', 'm.team_id')
      .join('users as u', 'u.id', 'm.user_id')
      .where({ 't.name': 'Design', 'm.role': 'owner' })
      .first('u.name');
    expect(designOwner?.name).to.match(/^Alice/);
  });

  it('when seeded again, then nothing is duplicated and the new PIN replaces the old one', async () => {
    const before = { users: await count('users'), todos: await count('todos'), members: await count('team_members') };
    const again = await seedDemo(database.db, {});
    expect(again.pin).to.match(/^\d{4}$/);
    expect({ users: await count('users'), todos: await count('todos'), members: await count('team_members') }).to.deep.equal(before);
    const user = await findUserByPhone(database.db, again.phone);
    expect(await verifyPin(again.pin, user?.pin_hash ?? '')).to.equal(true);
  });

  it('when npm run seed runs, then it prints the demo PIN that works, and how to call as yourself', async function () {
    this.timeout(30_000);
    const cwd = scratchDirectory();
    try {
      const run = await runScript('seed', [], { cwd: cwd.path, env: { DATABASE_URL: database.url } });
      expect(run.code, run.stderr.join('\n')).to.equal(0);
      const [, pin] = /^Seeded Demo Caller: call from \+15555550100 and give the PIN (\d{4})$/.exec(run.stdout[0] ?? '') ?? [];
      expect(run.stdout[1]).to.equal('To call as yourself: npm run users -- add --phone <your number> --name "<your name>" --pin <4 to 8 digits>');
      const user = await findUserByPhone(database.db, '+15555550100');
      expect(await verifyPin(pin ?? '', user?.pin_hash ?? '')).to.equal(true);
    } finally {
      cwd.remove();
    }
  });
});
