import { z } from 'zod';
import {
  createEvent,
  deleteEvent,
  findEventsByTitle,
  getEvent,
  listEvents,
  type CalendarEvent,
} from '../db/calendar.ts';
import { dateTime, idOrName } from './arguments.ts';
import { findTarget } from './targets.ts';
import { defineTool, ToolError } from './tool.ts';

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
  description: "Remove an event from the caller's calendar, by id or by (part of) its title.",
  effect: 'write',
  parameters: idOrName({ noun: 'event', name: 'title', description: 'Part of the event title, when there is no id.' }),
  async run(args, { db, caller, now }) {
    const event = await findTarget(
      { id: args.id, name: args.title },
      {
        noun: 'event',
        byId: (eventId) => getEvent(db, caller.id, eventId),
        byName: (fragment) => findEventsByTitle(db, caller.id, fragment),
        name: (e) => e.title,
        // When a title repeats (a weekly meeting), the next one to come is the one meant.
        preferred: (e) => e.ends_at > now,
        leadingWords: /^(?:the|my)\s+(?:meeting|appointment)\s+/i,
      },
    );
    if (!(await deleteEvent(db, caller.id, event.id))) throw new ToolError("I couldn't find that event.");
    return { deleted: eventView(event) };
  },
});

export const calendarTools = [createCalendarEventTool, listCalendarEventsTool, deleteCalendarEventTool];
