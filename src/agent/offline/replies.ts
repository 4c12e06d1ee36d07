/**
 * What the offline agent says, written for the ear: short sentences, no brackets or symbols,
 * three items of a list at a time with how many are left, the caller's "my" said back as
 * "your", and never a tool's internal error text.
 */
import { nameOf, rows, type Json, type Listing } from './context.ts';
import { turnRound } from './language.ts';
import { speakDate, speakOnDay, speakRange, speakTime } from './spoken-time.ts';
import type { Clock } from './when.ts';
import { isWholeDay, localDate, startOfDay } from '../zoned-time.ts';

/** Items spoken at once: more is hard to follow by ear. */
export const PAGE = 3;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** A name said back: the caller's pronouns turned round, nothing a voice would read out as a symbol. */
export function spoken(text: string): string {
  return turnRound(text).replace(/["“”()[\]{}<>*#_|\\]/g, '').replace(/\s+/g, ' ').trim();
}

/** "a", "a and b", "a, b and c", then "and 4 more; say more to hear them". */
export function spokenList(items: string[], from = 0, page = PAGE): string {
  const shown = items.slice(from, from + page);
  const left = items.length - from - shown.length;
  const joined = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : (shown[0] ?? '');
  return left > 0 ? `${joined}, and ${left} more; say more to hear them` : joined;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

// What the tool runner says to a model about arguments is for the model, never for the caller.
const INTERNAL = /arguments do not fit|not valid JSON|no tool named|schema|this did not complete|outcome is unknown/i;

/** A tool's refusal as the caller should hear it. */
export function spokenError(error: string): string {
  if (INTERNAL.test(error)) return "Sorry, I couldn't do that. Could you say it another way?";
  return sentence(spoken(error));
}

function dueClause(item: Json, clock: Clock): string {
  const due = str(item.due_at);
  return due ? `, due ${speakDate(new Date(due), clock.now, clock.timezone)}` : '';
}

function remindPhrase(message: string): string {
  return /^about\b/i.test(message) ? spoken(message) : `to ${spoken(message)}`;
}

function roleOf(member: Json): string {
  const name = member.is_you === true ? 'you' : (str(member.name) ?? 'someone');
  if (member.role === 'member' || !member.role) return name;
  return `${name} as ${member.role === 'owner' ? 'the owner' : member.role === 'admin' ? 'an admin' : 'a viewer'}`;
}

/** Each item of a listing as one spoken phrase. */
function itemPhrases(listing: Pick<Listing, 'tool' | 'args' | 'result' | 'items'>, clock: Clock): string[] {
  const { now, timezone } = clock;
  switch (listing.tool) {
    case 'list_todos':
    case 'list_team_todos':
      return listing.items.map((t) => `${spoken(nameOf(t))}${dueClause(t, clock)}`);
    case 'list_reminders':
      return listing.items.map((r) => {
        const at = str(r.remind_at);
        return `${spoken(nameOf(r))}${at ? `, ${speakDate(new Date(at), now, timezone)}` : ''}`;
      });
    case 'list_calendar_events': {
      const from = new Date(str(listing.result.from) ?? now.toISOString());
      const to = new Date(str(listing.result.to) ?? now.toISOString());
      const oneDay = isWholeDay(from, to, timezone);
      return listing.items.map((e) => {
        const start = new Date(str(e.starts_at) ?? now.toISOString());
        const place = str(e.location) ? ` in ${spoken(str(e.location) ?? '')}` : '';
        return `${spoken(nameOf(e))} ${oneDay ? `at ${speakTime(start, timezone)}` : speakDate(start, now, timezone)}${place}`;
      });
    }
    case 'list_team_members':
      return listing.items.map(roleOf);
    case 'list_teams':
      return listing.items.map((t) => `${spoken(nameOf(t))} as ${t.role === 'owner' ? 'the owner' : t.role === 'admin' ? 'an admin' : t.role === 'viewer' ? 'a viewer' : 'a member'}`);
    default:
      return listing.items.map((item) => spoken(nameOf(item)));
  }
}

/** The next page of a list the caller has heard part of; `all`: everything left of it. */
export function speakMore(listing: Listing, clock: Clock, all = false): string {
  if (listing.heard >= listing.items.length) return "That's all of them.";
  return sentence(capitalize(spokenList(itemPhrases(listing, clock), listing.heard, all ? Infinity : PAGE)));
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function describeWindow(from: Date, to: Date, clock: Clock): string {
  const today = startOfDay(localDate(clock.now, clock.timezone), clock.timezone);
  const week = 7 * 24 * 60 * 60 * 1000;
  if ((from.getTime() === today.getTime() || from.getTime() === clock.now.getTime()) && Math.abs(to.getTime() - from.getTime() - week) <= 60 * 60 * 1000) {
    return 'in the next seven days';
  }
  return speakRange(from, to, clock.now, clock.timezone);
}

function isMidnight(date: Date, clock: Clock): boolean {
  return startOfDay(localDate(date, clock.timezone), clock.timezone).getTime() === date.getTime();
}

function describeDueWindow(args: Json, clock: Clock): string {
  const after = str(args.due_after);
  const before = str(args.due_before);
  if (after && before) return ` due ${speakRange(new Date(after), new Date(before), clock.now, clock.timezone)}`;
  if (before) {
    const at = new Date(before);
    if (Math.abs(at.getTime() - clock.now.getTime()) < 60_000) return ' overdue';
    return ` due before ${speakDate(at, clock.now, clock.timezone, { time: !isMidnight(at, clock) })}`;
  }
  if (after) return ` due after ${speakDate(new Date(after), clock.now, clock.timezone, { time: !isMidnight(new Date(after), clock) })}`;
  return '';
}

/** What to say once `tool` returned `result`; `about` narrows a listing to what was asked ("when is my dentist appointment"). */
export function speakResult(tool: string, args: Json, result: Json, clock: Clock, about?: (items: Json[]) => Json[]): string {
  const { now, timezone } = clock;
  const error = str(result.error);
  if (error) return spokenError(error);
  const todo = (result.todo ?? result.deleted) as Json | undefined;
  const title = spoken(str(todo?.title) ?? '');
  const listing = (key: string): Pick<Listing, 'tool' | 'args' | 'result' | 'items'> => ({ tool, args, result, items: rows(result[key]) });
  switch (tool) {
    case 'create_todo':
      return `Added ${title} to your todos${todo ? dueClause(todo, clock) : ''}.`;
    case 'list_todos':
    case 'list_team_todos': {
      const todos = listing('todos');
      const which = args.completed === true ? 'finished ' : args.completed === false ? 'open ' : '';
      const priority = str(args.priority) ? `${str(args.priority)} priority ` : '';
      const owner = str(result.team) ? `The ${str(result.team)} team has` : 'You have';
      const window = describeDueWindow(args, clock);
      // A question about some of them ("anything about the car"): those, when there are any.
      const asked = about?.(todos.items) ?? [];
      if (asked.length > 0 && asked.every((t) => t.completed === true)) return `${capitalize(spokenList(asked.map((t) => spoken(nameOf(t)))))} ${asked.length === 1 ? 'is' : 'are'} done.`;
      if (asked.length > 0) return `${capitalize(spokenList(itemPhrases({ ...todos, items: asked }, clock)))}.`;
      if (todos.items.length === 0) return `${owner} no ${priority}${which}todos${window}.`;
      return `${owner} ${plural(todos.items.length, `${priority}${which}todo`)}${window}: ${spokenList(itemPhrases(todos, clock))}.`;
    }
    case 'complete_todo':
      return result.already_completed ? `${capitalize(title)} was already done.` : `Marked ${title} as done.`;
    case 'update_todo': {
      const changes: string[] = [];
      if (args.new_title !== undefined) changes.push(`it's now called ${title}`);
      if (args.priority !== undefined) changes.push(`the priority is now ${str(todo?.priority)}`);
      if (args.due_at !== undefined) {
        const due = str(todo?.due_at);
        changes.push(due ? `it's due ${speakDate(new Date(due), now, timezone)}` : 'it has no due date now');
      }
      return changes.length ? `Updated ${args.new_title !== undefined ? 'it' : title}: ${changes.join(', and ')}.` : `Updated ${title}.`;
    }
    case 'delete_todo':
      return `Deleted ${title} from your todos.`;
    case 'create_reminder': {
      const reminder = (result.reminder ?? {}) as Json;
      const at = str(reminder.remind_at);
      return `Okay, I'll remind you ${remindPhrase(str(reminder.message) ?? '')}${at ? ` ${speakDate(new Date(at), now, timezone)}` : ''}.`;
    }
    case 'list_reminders': {
      const reminders = listing('reminders');
      const from = str(args.from);
      const to = str(args.to);
      const window = from && to ? ` ${speakRange(new Date(from), new Date(to), now, timezone)}` : '';
      if (about) {
        const asked = about(reminders.items);
        if (asked.length === 0) return `You have no reminder about that${window}.`;
        return `${capitalize(spokenList(itemPhrases({ ...reminders, items: asked }, clock)))}.`;
      }
      if (reminders.items.length === 0) return `You have no upcoming reminders${window}.`;
      return `You have ${plural(reminders.items.length, 'reminder')}${window}: ${spokenList(itemPhrases(reminders, clock))}.`;
    }
    case 'delete_reminder':
      return `Deleted the reminder ${remindPhrase(str((result.deleted as Json | undefined)?.message) ?? '')}.`;
    case 'create_calendar_event': {
      const event = (result.event ?? {}) as Json;
      const start = str(event.starts_at);
      const end = str(event.ends_at);
      if (!start || !end) return `Scheduled ${spoken(nameOf(event))}.`;
      return `Scheduled ${spoken(nameOf(event))} ${speakOnDay(new Date(start), now, timezone)} from ${speakTime(new Date(start), timezone)} to ${speakTime(new Date(end), timezone)}.`;
    }
    case 'move_calendar_event': {
      const event = (result.event ?? {}) as Json;
      const start = str(event.starts_at);
      return `Moved ${spoken(nameOf(event))} to ${start ? speakDate(new Date(start), now, timezone) : 'the new time'}.`;
    }
    case 'list_calendar_events': {
      const events = listing('events');
      const from = new Date(str(result.from) ?? now.toISOString());
      const to = new Date(str(result.to) ?? now.toISOString());
      const window = describeWindow(from, to, clock);
      if (about) {
        const asked = about(events.items);
        if (asked.length > 0) {
          const phrases = asked.map((e) => `${spoken(nameOf(e))} is ${speakDate(new Date(str(e.starts_at) ?? now.toISOString()), now, timezone)}${str(e.location) ? ` in ${spoken(str(e.location) ?? '')}` : ''}`);
          return `${capitalize(spokenList(phrases))}.`;
        }
        return `I couldn't find that on your calendar in the next two months.`;
      }
      if (events.items.length === 0) return `There's nothing on your calendar ${window}.`;
      return `You have ${plural(events.items.length, 'event')} ${window}: ${spokenList(itemPhrases(events, clock))}.`;
    }
    case 'delete_calendar_event':
      return `Cancelled ${spoken(nameOf((result.deleted ?? {}) as Json))} and took it off your calendar.`;
    case 'list_teams': {
      const teams = listing('teams');
      if (teams.items.length === 0) return "You're not on any teams.";
      // "what's my role on the marketing team": that team alone.
      const asked = about?.(teams.items) ?? [];
      if (asked.length > 0) return `You're on ${spokenList(itemPhrases({ ...teams, items: asked }, clock))}.`;
      return `You're on ${plural(teams.items.length, 'team')}: ${spokenList(itemPhrases(teams, clock))}.`;
    }
    case 'list_team_members': {
      const team = str((result.team as Json | undefined)?.name) ?? 'That';
      const members = listing('members');
      // "is Victor on the design team": yes or no, with their role.
      if (about) {
        const asked = about(members.items);
        return asked.length > 0 ? `Yes: ${spokenList(asked.map(roleOf))}, on the ${team} team.` : `No, I don't see them on the ${team} team.`;
      }
      return `The ${team} team has ${plural(members.items.length, 'member')}: ${spokenList(itemPhrases(members, clock))}.`;
    }
    case 'create_team_todo': {
      const assigned = str(todo?.assigned_to);
      return `Added ${title} to the ${str(todo?.team)} team's todos${assigned ? `, assigned to ${assigned}` : ''}${todo ? dueClause(todo, clock) : ''}.`;
    }
    case 'transfer_to_human':
      return 'Okay, putting you through to a person now.';
    case 'record_feedback':
      return "Thanks, I've passed your feedback on.";
    default:
      return 'Done.';
  }
}
