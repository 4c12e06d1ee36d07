// The caller every phrasing is spoken by, and what they have: todos, events, reminders and teams,
// placed relative to the phrasing's clock in the caller's time zone. Rebuilt before every
// phrasing, so no phrasing sees what another one did.
import { addDays, localDate, zonedTime } from '../../src/agent/zoned-time.ts';
import { createEvent } from '../../src/db/calendar.ts';
import type { Db } from '../../src/db/knex.ts';
import { hashPin } from '../../src/db/pin-hash.ts';
import { createReminder } from '../../src/db/reminders.ts';
import { addTeamMember, createTeam, type TeamRole } from '../../src/db/teams.ts';
import { completeTodo, createTodo, type Priority } from '../../src/db/todos.ts';
import type { Caller } from '../../src/tools/tool.ts';

export interface People {
  caller: string;
  alice: string;
  bob: string;
  priya: string;
  teams: Record<'design' | 'engineering' | 'marketing', string>;
}

/** The caller, their teammates and three teams: created once per database. */
export async function createPeople(db: Db): Promise<People> {
  const pinHash = await hashPin('1234');
  const person = async (name: string, phone: string): Promise<string> => {
    const [row] = await db('users')
      .insert({ name, email: `${name.split(' ')[0]?.toLowerCase()}@eval.convonet.test`, phone, pin_hash: pinHash })
      .returning<{ id: string }[]>('id');
    if (!row) throw new Error(`could not create ${name}`);
    return row.id;
  };
  const caller = await person('Casey Caller', '+15555550200');
  const alice = await person('Alice Martin', '+15555550201');
  const bob = await person('Bob Stone', '+15555550202');
  const victor = await person('Victor Viewer', '+15555550203');
  const priya = await person('Priya Patel', '+15555550204');
  const design = (await createTeam(db, 'Design')).id;
  const engineering = (await createTeam(db, 'Engineering')).id;
  const marketing = (await createTeam(db, 'Marketing')).id;
  const members: [string, string, TeamRole][] = [
    [design, alice, 'owner'],
    [design, caller, 'member'],
    [design, bob, 'member'],
    [design, victor, 'viewer'],
    [engineering, caller, 'owner'],
    [engineering, bob, 'admin'],
    [engineering, priya, 'member'],
    [marketing, priya, 'owner'],
    [marketing, caller, 'viewer'],
  ];
  for (const [team, user, role] of members) await addTeamMember(db, team, user, role);
  return { caller, alice, bob, priya, teams: { design, engineering, marketing } };
}

/**
 * Clears every todo, event, reminder and thread, then lays the caller's things out again around
 * `now` in `timezone`. One statement at a time, outside a transaction: rows get distinct
 * creation times, so lists come out in the same order every run.
 */
export async function resetWorld(db: Db, people: People, now: Date, timezone: string): Promise<Caller> {
  await db.raw('truncate todos, reminders, calendar_events, threads cascade');
  await db('users').where({ id: people.caller }).update({ timezone });
  const today = localDate(now, timezone);
  const at = (days: number, hour: number, minute = 0): Date => zonedTime(addDays(today, days), { hour, minute }, timezone);
  const { caller, alice, bob, priya, teams } = people;

  const todo = (title: string, dueAt: Date | null, priority: Priority = 'medium', more: { creatorId?: string; teamId?: string; assigneeId?: string } = {}) =>
    createTodo(db, { creatorId: more.creatorId ?? caller, title, dueAt, priority, teamId: more.teamId, assigneeId: more.assigneeId });

  await todo('email Sarah about the budget', at(-1, 12), 'high');
  await todo('pay the electricity bill', at(0, 17));
  await todo('call the dentist', at(1, 9), 'high');
  await todo('call the plumber about the leak', at(3, 10));
  await todo('renew the car insurance', at(5, 17));
  await todo('book flights for the conference', at(9, 12));
  await todo('buy a birthday present for Sam', null, 'low');
  await todo('water the plants', null);
  const report = await todo('submit the expense report', at(-2, 17));
  await completeTodo(db, caller, report.id, at(-1, 16));
  await todo('review the homepage mockups', at(2, 12), 'medium', { creatorId: alice, teamId: teams.design, assigneeId: caller });
  await todo('update the style guide', null, 'medium', { creatorId: alice, teamId: teams.design });
  await todo('prepare the client presentation', at(6, 12), 'high', { creatorId: bob, teamId: teams.design });
  const cards = await todo('order new business cards', null, 'low', { creatorId: alice, teamId: teams.design });
  await completeTodo(db, alice, cards.id, at(-3, 11));
  await todo('upgrade the build server', null, 'medium', { creatorId: bob, teamId: teams.engineering });
  await todo('fix the login bug', at(1, 17), 'urgent', { creatorId: priya, teamId: teams.engineering });
  await todo('plan the spring campaign', at(20, 9), 'medium', { creatorId: priya, teamId: teams.marketing });

  const event = (title: string, startsAt: Date, endsAt: Date, location?: string) =>
    createEvent(db, { userId: caller, title, startsAt, endsAt, location });
  await event('Call with the accountant', at(0, 15), at(0, 15, 30));
  await event('Design review', at(1, 10), at(1, 11), 'Room 4');
  await event('Yoga class', at(1, 18), at(1, 19));
  await event('Lunch with Alice', at(2, 12, 30), at(2, 13, 30));
  await event('Dentist appointment', at(2, 16), at(2, 17));
  await event('Weekly sync with Bob', at(5, 10), at(5, 10, 30));
  await event('Weekly sync with Bob', at(12, 10), at(12, 10, 30));
  await event('Quarterly planning', at(7, 14), at(7, 16));

  const reminder = (message: string, remindAt: Date) => createReminder(db, { userId: caller, message, remindAt });
  await reminder('take the bins out', at(0, 19));
  await reminder('call mom', at(1, 18));
  await reminder('pick up the dry cleaning', at(2, 17));
  await reminder('renew my passport', at(30, 9));

  return { id: caller, name: 'Casey Caller', timezone };
}
