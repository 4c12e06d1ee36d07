import type { Executor } from './knex.ts';
import { containing } from './like.ts';

export interface CalendarEvent {
  id: string;
  user_id: string;
  title: string;
  location: string | null;
  starts_at: Date;
  ends_at: Date;
  created_at: Date;
}

export interface NewCalendarEvent {
  userId: string;
  title: string;
  location?: string | null;
  startsAt: Date;
  endsAt: Date;
}

/** The database refuses an event that ends before it starts (calendar_events_end_after_start). */
export async function createEvent(db: Executor, event: NewCalendarEvent): Promise<CalendarEvent> {
  const [row] = await db<CalendarEvent>('calendar_events')
    .insert({
      user_id: event.userId,
      title: event.title,
      location: event.location ?? null,
      starts_at: event.startsAt,
      ends_at: event.endsAt,
    })
    .returning('*');
  if (!row) throw new Error('insert into calendar_events returned no row');
  return row;
}

/** The user's events overlapping [from, to), earliest first. */
export async function listEvents(
  db: Executor,
  userId: string,
  range: { from: Date; to: Date; limit?: number },
): Promise<CalendarEvent[]> {
  const rows = await db<CalendarEvent>('calendar_events')
    .where({ user_id: userId })
    .andWhere('starts_at', '<', range.to)
    .andWhere('ends_at', '>', range.from)
    .orderBy([{ column: 'starts_at' }, { column: 'id' }])
    .limit(range.limit ?? 50);
  return rows;
}

export async function getEvent(db: Executor, userId: string, id: string): Promise<CalendarEvent | null> {
  const row = await db<CalendarEvent>('calendar_events').where({ id, user_id: userId }).first();
  return row ?? null;
}

/**
 * The user's events whose title contains `title` (case-insensitively) and that start at
 * `startsAt`, when given; earliest first.
 */
export async function findEvents(db: Executor, userId: string, said: { title?: string; startsAt?: Date }): Promise<CalendarEvent[]> {
  const query = db<CalendarEvent>('calendar_events').where({ user_id: userId });
  if (said.title !== undefined) query.andWhere('title', 'ilike', containing(said.title));
  if (said.startsAt !== undefined) query.andWhere('starts_at', said.startsAt);
  return query.orderBy('starts_at').limit(20);
}

/** Moves the event when it is the user's; null when it is not. */
export async function moveEvent(db: Executor, userId: string, id: string, to: { startsAt: Date; endsAt: Date }): Promise<CalendarEvent | null> {
  const [row] = await db<CalendarEvent>('calendar_events')
    .where({ id, user_id: userId })
    .update({ starts_at: to.startsAt, ends_at: to.endsAt })
    .returning('*');
  return row ?? null;
}

export async function deleteEvent(db: Executor, userId: string, id: string): Promise<boolean> {
  return (await db('calendar_events').where({ id, user_id: userId }).delete().returning('id')).length > 0;
}
