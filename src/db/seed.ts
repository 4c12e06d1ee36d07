import { randomInt } from 'node:crypto';
import { addDays, localDate, zonedTime } from '../agent/zoned-time.ts';
import { createEvent } from './calendar.ts';
import type { Db, Executor } from './knex.ts';
import { createReminder } from './reminders.ts';
import { addTeamMember, createTeam, findTeamByName, type Team } from './teams.ts';
import { createTodo } from './todos.ts';
import { createUser, findUserByPhone, setUserPin, type User } from './users.ts';

export const DEMO_PHONE = '+15555550100';

/** Printed wherever the demo caller is: the next step is calling as yourself. */
export const ADD_YOURSELF = 'To call as yourself: npm run users -- add --phone <your number> --name "<your name>" --pin <4 to 8 digits>';

export interface SeedOptions {
  /** The demo caller's PIN; a random four digits when absent. */
  pin?: string;
  /** The clock the sample dates are placed against. */
  now?: Date;
  timezone?: string;
}

export interface Seeded {
  user: User;
  pin: string;
  phone: string;
}

// Teammates exist so that team questions have answers; they never call, so their PINs are random.
const TEAMMATES = [
  { name: 'Alice Martin', email: 'alice@demo.convonet.test', phone: '+15555550101' },
  { name: 'Bob Stone', email: 'bob@demo.convonet.test', phone: '+15555550102' },
  { name: 'Victor Viewer', email: 'victor@demo.convonet.test', phone: '+15555550103' },
] as const;

/**
 * The demo caller with a few todos, two events, a reminder and two teams. Safe to run again: an
 * existing demo caller keeps their data and only gets the new PIN.
 */
export async function seedDemo(db: Db, options: SeedOptions = {}): Promise<Seeded> {
  const pin = options.pin ?? randomPin();
  const timezone = options.timezone ?? 'UTC';
  const now = options.now ?? new Date();
  return db.transaction(async (trx) => {
    const existing = await findUserByPhone(trx, DEMO_PHONE);
    if (existing) {
      await setUserPin(trx, existing.id, pin);
      return { user: existing, pin, phone: DEMO_PHONE };
    }
    const user = await createUser(trx, {
      name: 'Demo Caller',
      email: 'demo@demo.convonet.test',
      phone: DEMO_PHONE,
      pin,
      timezone,
    });
    // One at a time: a transaction is one connection, and pg refuses overlapping queries on it.
    const mates: User[] = [];
    for (const mate of TEAMMATES) {
      mates.push((await findUserByPhone(trx, mate.phone)) ?? (await createUser(trx, { ...mate, pin: randomPin(), timezone })));
    }
    const [alice, bob, victor] = mates;
    if (!alice || !bob || !victor) throw new Error('teammates were not created');

    const design = await ensureTeam(trx, 'Design');
    const engineering = await ensureTeam(trx, 'Engineering');
    await addTeamMember(trx, design.id, alice.id, 'owner');
    await addTeamMember(trx, design.id, user.id, 'member');
    await addTeamMember(trx, design.id, bob.id, 'member');
    await addTeamMember(trx, design.id, victor.id, 'viewer');
    await addTeamMember(trx, engineering.id, user.id, 'owner');
    await addTeamMember(trx, engineering.id, bob.id, 'admin');
    await addTeamMember(trx, engineering.id, victor.id, 'viewer');

    const today = localDate(now, timezone);
    const at = (days: number, hour: number, minute = 0): Date =>
      zonedTime(addDays(today, days), { hour, minute }, timezone);

    await createTodo(trx, { creatorId: user.id, title: 'call the dentist', dueAt: at(1, 9), priority: 'high' });
    await createTodo(trx, { creatorId: user.id, title: 'renew the car insurance', dueAt: at(5, 17) });
    await createTodo(trx, { creatorId: user.id, title: 'buy a birthday present for Sam', priority: 'low' });
    await createTodo(trx, {
      creatorId: alice.id,
      teamId: design.id,
      assigneeId: user.id,
      title: 'review the homepage mockups',
      dueAt: at(2, 12),
    });
    await createTodo(trx, { creatorId: bob.id, teamId: engineering.id, title: 'upgrade the build server' });

    await createEvent(trx, { userId: user.id, title: 'Design review', startsAt: at(1, 10), endsAt: at(1, 11), location: 'Room 4' });
    await createEvent(trx, { userId: user.id, title: 'Lunch with Alice', startsAt: at(2, 12, 30), endsAt: at(2, 13, 30) });
    await createReminder(trx, { userId: user.id, message: 'call mom', remindAt: at(1, 18) });
    return { user, pin, phone: DEMO_PHONE };
  });
}

function randomPin(): string {
  return String(randomInt(0, 10_000)).padStart(4, '0');
}

async function ensureTeam(db: Executor, name: string): Promise<Team> {
  return (await findTeamByName(db, name)) ?? createTeam(db, name);
}

/** Seeds the demo caller into a database that has no users yet; null when it has some. */
export async function seedDemoIfEmpty(db: Db, options: SeedOptions = {}): Promise<Seeded | null> {
  const [row] = await db('users').count<{ count: string | number }[]>('* as count');
  return Number(row?.count ?? 0) === 0 ? seedDemo(db, options) : null;
}
