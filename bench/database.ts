import { addDays, localDate, zonedTime } from '../src/agent/zoned-time.ts';
import { createEvent } from '../src/db/calendar.ts';
import { migrate } from '../src/db/knex.ts';
import { createReminder } from '../src/db/reminders.ts';
import { seedDemo } from '../src/db/seed.ts';
import { addTeamMember, findTeamByName } from '../src/db/teams.ts';
import { createTodo } from '../src/db/todos.ts';
import { createUser } from '../src/db/users.ts';
import { createScratchDatabase } from '../test/support/database.ts';
import type { BenchCaller } from './calls.ts';

export const SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://convonet:convonet-test@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  callers: BenchCaller[];
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database with `count` callers who each have what the demo caller has (todos,
 * events, a reminder, the Design team), so every caller's turns cost the same.
 */
export async function createBenchDatabase(count: number): Promise<BenchDatabase> {
  const scratch = await createScratchDatabase(SERVER_URL, 'convonet_bench');
  const { db } = scratch;
  try {
    await migrate(db);
    const pin = '2468';
    const demo = await seedDemo(db, { pin });
    const callers: BenchCaller[] = [{ phone: demo.phone, pin }];
    const design = await findTeamByName(db, 'Design');
    const today = localDate(new Date(), 'UTC');
    const at = (days: number, hour: number) => zonedTime(addDays(today, days), { hour, minute: 0 }, 'UTC');
    for (let index = 1; index < count; index++) {
      const phone = `+1555555${String(2000 + index).padStart(4, '0')}`;
      const user = await createUser(db, { name: `Caller ${index}`, email: `caller${index}@bench.convonet.test`, phone, pin });
      if (design) await addTeamMember(db, design.id, user.id, 'member');
      await createTodo(db, { creatorId: user.id, title: 'call the dentist', dueAt: at(1, 9), priority: 'high' });
      await createTodo(db, { creatorId: user.id, title: 'renew the car insurance', dueAt: at(5, 17) });
      await createTodo(db, { creatorId: user.id, title: 'buy a birthday present for Sam', priority: 'low' });
      await createEvent(db, { userId: user.id, title: 'Design review', startsAt: at(1, 10), endsAt: at(1, 11) });
      await createEvent(db, { userId: user.id, title: 'Lunch with Alice', startsAt: at(2, 12), endsAt: at(2, 13) });
      await createReminder(db, { userId: user.id, message: 'call mom', remindAt: at(1, 18) });
      callers.push({ phone, pin });
    }
    // The apps get their own connections; this one has done its work.
    await db.destroy();
    return { url: scratch.url, callers, drop: () => scratch.drop() };
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}
