/**
 * What the offline agent makes of one utterance. Readers look for what a request is about (todos,
 * reminders, the calendar, teams) and what the caller wants done with it, from cue words and
 * lemmas rather than whole sentences; dates come from when.ts, and the thing a request acts on
 * is described by its content words, to be matched against the caller's own items (targets.ts).
 */
import type { Context } from './context.ts';
import { normalize } from './language.ts';
import { calendar } from './readers/calendar.ts';
import { elsewhere, feedback, more, smallTalk, transfer } from './readers/conversation.ts';
import { reminders } from './readers/reminders.ts';
import { teams } from './readers/teams.ts';
import { todos } from './readers/todos.ts';
import type { Reader, Understanding } from './understanding.ts';
import type { Clock } from './when.ts';

// Order matters: the more specific readers first (a team's todo before a todo, a reminder before
// the calendar's "cancel", the calendar's "move" before a todo's).
const READERS: Reader[] = [smallTalk, more, transfer, feedback, elsewhere, teams, reminders, calendar, todos];

export function understand(utterance: string, clock: Clock, context: Context): Understanding {
  const text = normalize(utterance);
  return text ? readFrom(0, text, clock, context) : { kind: 'unknown' };
}

function readFrom(first: number, text: string, clock: Clock, context: Context): Understanding {
  for (const [index, read] of READERS.entries()) {
    if (index < first) continue;
    const understood = read(text, clock, context);
    if (!understood) continue;
    // A name that may be a team's ("a todo for Sam"): what the later readers make of the words
    // stands when the caller has no team by that name. A second lookup is not chained on the first.
    if (understood.kind === 'find' && understood.find.nouns.includes('team') && understood.find.words.length > 0) {
      const otherwise = readFrom(index + 1, text, clock, context);
      return otherwise.kind === 'find' ? otherwise : { kind: 'find', find: { ...understood.find, otherwise } };
    }
    return understood;
  }
  return { kind: 'unknown' };
}
