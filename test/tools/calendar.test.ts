import { expect } from 'chai';
import { createEvent, getEvent } from '../../src/db/calendar.ts';
import type { User } from '../../src/db/users.ts';
import {
  createCalendarEventTool,
  deleteCalendarEventTool,
  listCalendarEventsTool,
  moveCalendarEventTool,
} from '../../src/tools/calendar.ts';
import type { TestDatabase } from '../support/database.ts';
import { callerAndStranger, call, contextFor, refusal } from './context.ts';

interface EventView {
  id: string;
  title: string;
  starts_at: string;
  ends_at: string;
}

describe('calendar tools', () => {
  let database: TestDatabase;
  let caller: User;
  let stranger: User;

  before(async () => {
    ({ database, caller, stranger } = await callerAndStranger());
  });
  after(() => database.drop());
  beforeEach(async () => {
    await database.db('calendar_events').delete();
  });

  it('when the caller schedules an event without an end, then it lasts one hour', async () => {
    const result = await call(
      createCalendarEventTool,
      { title: 'meeting with Bob', starts_at: '2026-12-07T10:00:00-05:00' },
      contextFor(database.db, caller),
    );
    expect(result.event).to.include({
      title: 'meeting with Bob',
      starts_at: '2026-12-07T15:00:00.000Z',
      ends_at: '2026-12-07T16:00:00.000Z',
    });
  });

  it('when the end is before the start, then the event is refused and nothing is stored', async () => {
    const error = await refusal(
      createCalendarEventTool,
      { title: 'backwards', starts_at: '2026-12-07T10:00:00-05:00', ends_at: '2026-12-07T09:00:00-05:00' },
      contextFor(database.db, caller),
    );
    expect(error.message).to.equal('The event has to end after it starts.');
    expect(await database.db('calendar_events').count<{ count: string }[]>('*')).to.deep.equal([{ count: '0' }]);
  });

  it('when the database is given an end before the start directly, then its constraint refuses it', async () => {
    let failure: unknown;
    try {
      await createEvent(database.db, {
        userId: caller.id,
        title: 'backwards',
        startsAt: new Date('2026-12-07T15:00:00Z'),
        endsAt: new Date('2026-12-07T14:00:00Z'),
      });
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/calendar_events_end_after_start/);
  });

  it('when the caller lists a day, then only their events overlapping that day come back', async () => {
    const friday = { from: '2026-12-04T00:00:00-05:00', to: '2026-12-05T00:00:00-05:00' };
    await createEvent(database.db, { userId: caller.id, title: 'design review', startsAt: new Date('2026-12-04T15:00:00Z'), endsAt: new Date('2026-12-04T16:00:00Z') });
    await createEvent(database.db, { userId: caller.id, title: 'saturday brunch', startsAt: new Date('2026-12-05T15:00:00Z'), endsAt: new Date('2026-12-05T16:00:00Z') });
    await createEvent(database.db, { userId: stranger.id, title: 'their meeting', startsAt: new Date('2026-12-04T15:00:00Z'), endsAt: new Date('2026-12-04T16:00:00Z') });

    const result = await call(listCalendarEventsTool, friday, contextFor(database.db, caller));

    expect((result.events as EventView[]).map((e) => e.title)).to.deep.equal(['design review']);
  });

  it('when the caller deletes an event by title, then it is gone', async () => {
    const event = await createEvent(database.db, { userId: caller.id, title: 'Meeting with Bob', startsAt: new Date('2026-12-07T15:00:00Z'), endsAt: new Date('2026-12-07T16:00:00Z') });
    const result = await call(deleteCalendarEventTool, { title: 'meeting with bob' }, contextFor(database.db, caller));
    expect((result.deleted as EventView).id).to.equal(event.id);
    expect(await getEvent(database.db, caller.id, event.id)).to.equal(null);
  });

  it("when the caller deletes another user's event by id or by title, then it is not found and stays", async () => {
    const theirs = await createEvent(database.db, { userId: stranger.id, title: 'their meeting', startsAt: new Date('2026-12-07T15:00:00Z'), endsAt: new Date('2026-12-07T16:00:00Z') });
    const byId = await refusal(deleteCalendarEventTool, { id: theirs.id }, contextFor(database.db, caller));
    const byTitle = await refusal(deleteCalendarEventTool, { title: 'their meeting' }, contextFor(database.db, caller));
    expect(byId.message).to.equal("I couldn't find that event.");
    expect(byTitle.message).to.match(/couldn't find an? event/);
    expect(await getEvent(database.db, stranger.id, theirs.id)).to.not.equal(null);
  });

  it('when the caller cancels "my 3 o\'clock", then the event starting then is gone and the others stay', async () => {
    const three = await createEvent(database.db, { userId: caller.id, title: 'call with the accountant', startsAt: new Date('2026-12-02T20:00:00Z'), endsAt: new Date('2026-12-02T20:30:00Z') });
    const other = await createEvent(database.db, { userId: caller.id, title: 'yoga', startsAt: new Date('2026-12-02T23:00:00Z'), endsAt: new Date('2026-12-03T00:00:00Z') });
    await createEvent(database.db, { userId: stranger.id, title: 'their call', startsAt: new Date('2026-12-02T20:00:00Z'), endsAt: new Date('2026-12-02T21:00:00Z') });

    const result = await call(deleteCalendarEventTool, { at: '2026-12-02T15:00:00-05:00' }, contextFor(database.db, caller));

    expect((result.deleted as EventView).id).to.equal(three.id);
    expect(await getEvent(database.db, caller.id, other.id)).to.not.equal(null);
    const none = await refusal(deleteCalendarEventTool, { at: '2026-12-02T15:00:00-05:00' }, contextFor(database.db, caller));
    expect(none.message).to.equal("I couldn't find an event starting then.");
  });

  it('when a title repeats, then the time said picks the one meant', async () => {
    const first = await createEvent(database.db, { userId: caller.id, title: 'weekly sync', startsAt: new Date('2026-12-07T15:00:00Z'), endsAt: new Date('2026-12-07T15:30:00Z') });
    const second = await createEvent(database.db, { userId: caller.id, title: 'weekly sync', startsAt: new Date('2026-12-14T15:00:00Z'), endsAt: new Date('2026-12-14T15:30:00Z') });

    const result = await call(deleteCalendarEventTool, { title: 'sync', at: '2026-12-14T10:00:00-05:00' }, contextFor(database.db, caller));

    expect((result.deleted as EventView).id).to.equal(second.id);
    expect(await getEvent(database.db, caller.id, first.id)).to.not.equal(null);
  });

  it('when the caller moves an event by name, then it starts at the new time and keeps its length', async () => {
    const review = await createEvent(database.db, { userId: caller.id, title: 'Design review', startsAt: new Date('2026-12-03T15:00:00Z'), endsAt: new Date('2026-12-03T16:30:00Z') });

    const result = await call(moveCalendarEventTool, { title: 'design review', starts_at: '2026-12-04T14:00:00-05:00' }, contextFor(database.db, caller));

    expect(result.event).to.include({ id: review.id, starts_at: '2026-12-04T19:00:00.000Z', ends_at: '2026-12-04T20:30:00.000Z' });
    const stored = await getEvent(database.db, caller.id, review.id);
    expect(stored?.starts_at.toISOString()).to.equal('2026-12-04T19:00:00.000Z');
  });

  it("when the caller moves another user's event or names no event, then nothing moves", async () => {
    const theirs = await createEvent(database.db, { userId: stranger.id, title: 'their review', startsAt: new Date('2026-12-03T15:00:00Z'), endsAt: new Date('2026-12-03T16:00:00Z') });
    const error = await refusal(moveCalendarEventTool, { id: theirs.id, starts_at: '2026-12-04T14:00:00-05:00' }, contextFor(database.db, caller));
    expect(error.message).to.equal("I couldn't find that event.");
    expect(moveCalendarEventTool.parameters.safeParse({ starts_at: '2026-12-04T14:00:00-05:00' }).success).to.equal(false);
    expect((await getEvent(database.db, stranger.id, theirs.id))?.starts_at.toISOString()).to.equal('2026-12-03T15:00:00.000Z');
  });
});
