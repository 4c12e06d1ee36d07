import { z } from 'zod';
import {
  createEvent,
  deleteEvent,
  findEvents,
  getEvent,
  listEvents,
  moveEvent,
  type CalendarEvent,
} from '../db/calendar.ts';
import type { Executor } from '../db/knex.ts';
import { dateTime, id } from './arguments.ts';
import { findTarget } from './targets.ts';
import { defineTool, ToolError, type Caller } from './tool.ts';

const HOUR = 60 * 60 * 1000;
const WEEK = 7 * 24 * HOUR;

export function eventView(event: CalendarEvent): Record<string, unknown> {
  return {
    id: event.id,
    title: event.title,
    starts_at: event.starts_at.toISOString(),
    ends_at: event.ends_at.toISOString(),
    ...(event.location ? { location: event.location } : {}),
  };
}

/** How a caller names one of their events: its id, (part of) its title, when it starts, or title and start together. */
const eventTarget = {
  id: id.optional().describe('The event id from an earlier result.'),
  title: z.string().min(1).optional().describe('Part of the event title, as the caller said it, when there is no id.'),
  at: dateTime.optional().describe('When the event starts now, ISO 8601 with offset: "my 3 o\'clock", or to tell two events of one title apart.'),
};

function namesAnEvent(args: { id?: string; title?: string; at?: string }): boolean {
  return args.id !== undefined || args.title !== undefined || args.at !== undefined;
}
const NAME_AN_EVENT = 'Give the event id, its title, or when it starts.';

/** The event the caller means, among their own; the next one to come when a title repeats. */
async function findEvent(db: Executor, caller: Caller, said: { id?: string; title?: string; at?: string }, now: Date): Promise<CalendarEvent> {
  const startsAt = said.at ? new Date(said.at) : undefined;
  if (said.id === undefined && said.title === undefined) {
    const starting = await findEvents(db, caller.id, { startsAt });
    const [only] = starting;
    if (starting.length === 1 && only) return only;
    if (starting.length === 0) throw new ToolError("I couldn't find an event starting then.");
    throw new ToolError(`Several events start then: ${starting.map((e) => e.title).join(', ')}. Which one do you mean?`);
  }
  return findTarget(
    { id: said.id, name: said.title },
    {
      noun: 'event',
      byId: (eventId) => getEvent(db, caller.id, eventId),
      byName: (fragment) => findEvents(db, caller.id, { title: fragment, startsAt }),
      name: (e) => e.title,
      // When a title repeats (a weekly meeting), the next one to come is the one meant.
      preferred: (e) => e.ends_at > now,
      leadingWords: /^(?:the|my)\s+(?:meeting|appointment)\s+/i,
    },
  );
}

export const createCalendarEventTool = defineTool({
  name: 'create_calendar_event',
  description: "Put an event on the caller's calendar. Without an end, it lasts one hour.",
  effect: 'write',
  parameters: z.object({
    title: z.string().trim().min(1).max(200),
    starts_at: dateTime.describe('ISO 8601 with offset.'),
    ends_at: dateTime.optional().describe('ISO 8601 with offset; defaults to one hour after the start.'),
    location: z.string().max(200).optional(),
  }),
  async run(args, { db, caller }) {
    const startsAt = new Date(args.starts_at);
    const endsAt = args.ends_at ? new Date(args.ends_at) : new Date(startsAt.getTime() + HOUR);
    if (endsAt.getTime() <= startsAt.getTime()) throw new ToolError('The event has to end after it starts.');
    const event = await createEvent(db, {
      userId: caller.id,
      title: args.title,
      location: args.location,
      startsAt,
      endsAt,
    });
    return { event: eventView(event) };
  },
});

export const listCalendarEventsTool = defineTool({
  name: 'list_calendar_events',
  description: "List the caller's calendar events overlapping a time range (default: the next seven days).",
  effect: 'read',
  parameters: z.object({
    from: dateTime.optional().describe('Start of the range, ISO 8601 with offset; defaults to now.'),
    to: dateTime.optional().describe('End of the range; defaults to seven days after the start.'),
  }),
  async run(args, { db, caller, now }) {
    const from = args.from ? new Date(args.from) : now;
    const to = args.to ? new Date(args.to) : new Date(from.getTime() + WEEK);
    if (to.getTime() <= from.getTime()) throw new ToolError('The end of the range has to be after its start.');
    const events = await listEvents(db, caller.id, { from, to });
    return { from: from.toISOString(), to: to.toISOString(), count: events.length, events: events.map(eventView) };
  },
});

export const deleteCalendarEventTool = defineTool({
  name: 'delete_calendar_event',
  description: "Cancel an event on the caller's calendar, named by id, by (part of) its title, by when it starts, or both.",
  effect: 'write',
  parameters: z.object(eventTarget).refine(namesAnEvent, NAME_AN_EVENT),
  async run(args, { db, caller, now }) {
    const event = await findEvent(db, caller, args, now);
    if (!(await deleteEvent(db, caller.id, event.id))) throw new ToolError("I couldn't find that event.");
    return { deleted: eventView(event) };
  },
});

export const moveCalendarEventTool = defineTool({
  name: 'move_calendar_event',
  description:
    "Move an event on the caller's calendar to a new time, keeping its length unless a new end is given. Name it by id, (part of) its title, when it starts now, or both.",
  effect: 'write',
  parameters: z
    .object({
      ...eventTarget,
      starts_at: dateTime.describe('The new start, ISO 8601 with offset.'),
      ends_at: dateTime.optional().describe('The new end; defaults to the new start plus the event\'s current length.'),
    })
    .refine(namesAnEvent, NAME_AN_EVENT),
  async run(args, { db, caller, now }) {
    const event = await findEvent(db, caller, { id: args.id, title: args.title, at: args.at }, now);
    const startsAt = new Date(args.starts_at);
    const length = event.ends_at.getTime() - event.starts_at.getTime();
    const endsAt = args.ends_at ? new Date(args.ends_at) : new Date(startsAt.getTime() + length);
    if (endsAt.getTime() <= startsAt.getTime()) throw new ToolError('The event has to end after it starts.');
    const moved = await moveEvent(db, caller.id, event.id, { startsAt, endsAt });
    if (!moved) throw new ToolError("I couldn't find that event.");
    return { event: eventView(moved), moved_from: event.starts_at.toISOString() };
  },
});

export const calendarTools = [createCalendarEventTool, listCalendarEventsTool, deleteCalendarEventTool, moveCalendarEventTool];
