import type { Executor } from './knex.ts';
import { containing } from './like.ts';

export interface Reminder {
  id: string;
  user_id: string;
  message: string;
  remind_at: Date;
  created_at: Date;
}

export interface ReminderFilter {
  from?: Date;
  to?: Date;
  limit?: number;
}

export async function createReminder(
  db: Executor,
  reminder: { userId: string; message: string; remindAt: Date },
): Promise<Reminder> {
  const [row] = await db<Reminder>('reminders')
    .insert({ user_id: reminder.userId, message: reminder.message, remind_at: reminder.remindAt })
    .returning('*');
  if (!row) throw new Error('insert into reminders returned no row');
  return row;
}

export async function listReminders(db: Executor, userId: string, filter: ReminderFilter = {}): Promise<Reminder[]> {
  const query = db<Reminder>('reminders').where({ user_id: userId });
  if (filter.from) query.where('remind_at', '>=', filter.from);
  if (filter.to) query.where('remind_at', '<', filter.to);
  const rows = await query.orderBy([{ column: 'remind_at' }, { column: 'id' }]).limit(filter.limit ?? 50);
  return rows;
}

export async function getReminder(db: Executor, userId: string, id: string): Promise<Reminder | null> {
  const row = await db<Reminder>('reminders').where({ id, user_id: userId }).first();
  return row ?? null;
}

/** The user's reminders whose message contains `fragment`, case-insensitively. */
export async function findRemindersByMessage(db: Executor, userId: string, fragment: string): Promise<Reminder[]> {
  const rows = await db<Reminder>('reminders')
    .where({ user_id: userId })
    .andWhere('message', 'ilike', containing(fragment))
    .orderBy('remind_at')
    .limit(20);
  return rows;
}

export async function deleteReminder(db: Executor, userId: string, id: string): Promise<boolean> {
  return (await db('reminders').where({ id, user_id: userId }).delete().returning('id')).length > 0;
}
