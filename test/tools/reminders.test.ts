import { expect } from 'chai';
import { createReminder, getReminder } from '../../src/db/reminders.ts';
import type { User } from '../../src/db/users.ts';
import { createReminderTool, deleteReminderTool, listRemindersTool } from '../../src/tools/reminders.ts';
import type { TestDatabase } from '../support/database.ts';
import { callerAndStranger, call, contextFor, NOW, refusal } from './context.ts';

interface ReminderView {
  id: string;
  message: string;
  remind_at: string;
}

describe('reminder tools', () => {
  let database: TestDatabase;
  let caller: User;
  let stranger: User;

  before(async () => {
    ({ database, caller, stranger } = await callerAndStranger());
  });
  after(() => database.drop());
  beforeEach(async () => {
    await database.db('reminders').delete();
  });

  it('when the caller sets a reminder in the future, then it is stored with its time', async () => {
    const result = await call(
      createReminderTool,
      { message: 'call mom', remind_at: '2026-12-03T15:00:00-05:00' },
      contextFor(database.db, caller),
    );
    const reminder = result.reminder as ReminderView;
    expect(reminder).to.include({ message: 'call mom', remind_at: '2026-12-03T20:00:00.000Z' });
    expect((await getReminder(database.db, caller.id, reminder.id))?.user_id).to.equal(caller.id);
  });

  it('when the reminder time has passed, then it is refused and nothing is stored', async () => {
    const error = await refusal(
      createReminderTool,
      { message: 'call mom', remind_at: '2026-12-01T15:00:00-05:00' },
      contextFor(database.db, caller),
    );
    expect(error.message).to.match(/already passed/);
    expect(await database.db('reminders').count<{ count: string }[]>('*')).to.deep.equal([{ count: '0' }]);
  });

  it('when the caller lists reminders, then only their upcoming ones come back, soonest first', async () => {
    await createReminder(database.db, { userId: caller.id, message: 'later', remindAt: new Date('2026-12-10T15:00:00Z') });
    await createReminder(database.db, { userId: caller.id, message: 'sooner', remindAt: new Date('2026-12-03T15:00:00Z') });
    await createReminder(database.db, { userId: caller.id, message: 'past', remindAt: new Date(NOW.getTime() - 60_000) });
    await createReminder(database.db, { userId: stranger.id, message: 'theirs', remindAt: new Date('2026-12-04T15:00:00Z') });

    const result = await call(listRemindersTool, {}, contextFor(database.db, caller));

    expect((result.reminders as ReminderView[]).map((r) => r.message)).to.deep.equal(['sooner', 'later']);
  });

  it('when the caller deletes a reminder by its message, then it is gone', async () => {
    const reminder = await createReminder(database.db, {
      userId: caller.id,
      message: 'call mom',
      remindAt: new Date('2026-12-03T15:00:00Z'),
    });
    const result = await call(deleteReminderTool, { message: 'to call mom' }, contextFor(database.db, caller));
    expect((result.deleted as ReminderView).id).to.equal(reminder.id);
    expect(await getReminder(database.db, caller.id, reminder.id)).to.equal(null);
  });

  it("when the caller deletes another user's reminder by id or by message, then it is not found and stays", async () => {
    const theirs = await createReminder(database.db, {
      userId: stranger.id,
      message: 'stranger secret',
      remindAt: new Date('2026-12-03T15:00:00Z'),
    });
    const byId = await refusal(deleteReminderTool, { id: theirs.id }, contextFor(database.db, caller));
    const byMessage = await refusal(deleteReminderTool, { message: 'stranger secret' }, contextFor(database.db, caller));
    expect(byId.message).to.equal("I couldn't find that reminder.");
    expect(byMessage.message).to.match(/couldn't find a reminder/);
    expect(await getReminder(database.db, stranger.id, theirs.id)).to.not.equal(null);
  });
});
