/**
 * What the offline agent makes of one utterance. Readers look for what a request is about (todos,
 * reminders, the calendar, teams) and what the caller wants done with it, from cue words and
 * lemmas rather than whole sentences; dates come from when.ts, and the thing a request acts on
 * is described by its content words, to be matched against the caller's own items (targets.ts).
 */
import type { Context } from './context.ts';
import { normalize } from './language.ts';
import { calendar } from './readers/calendar.ts';
import { feedback, more, smallTalk, transfer } from './readers/conversation.ts';
import { reminders } from './readers/reminders.ts';
import { teams } from './readers/teams.ts';
import { todos } from './readers/todos.ts';
import type { Reader, Understanding } from './understanding.ts';
import type { Clock } from './when.ts';

// Order matters: the more specific readers first (a team's todo before a todo, a reminder before
// the calendar's "cancel", the calendar's "move" before a todo's).
const READERS: Reader[] = [smallTalk, more, transfer, feedback, teams, reminders, calendar, todos];

export function understand(utterance: string, clock: Clock, context: Context): Understanding {
  const text = normalize(utterance);
  if (!text) return { kind: 'unknown' };
  for (const read of READERS) {
    const understood = read(text, clock, context);
    if (understood) return understood;
  }
  return { kind: 'unknown' };
}
