/**
 * What the offline agent makes of one utterance, as the readers (readers/) hand it to the
 * provider: a tool to call, an item to find first, a question back, or words to say.
 */
import { toZonedIso } from '../zoned-time.ts';
import type { Context, Json, Noun } from './context.ts';
import type { Intent } from './intent-model.ts';
import type { Clock } from './when.ts';

/** A row to find before acting on it: by what the caller called it, "it", "the second one", or when it starts. */
export interface Find {
  /** The requests this lookup serves: one, or two when the kind of item decides ("move it" of a todo or an event). */
  intents: Intent[];
  nouns: Noun[];
  words: string[];
  /** "it", "that": the last thing talked about; a number: that item of the last list heard (0-based, -1 the last). */
  reference: 'it' | number | null;
  /** An event starting then ("my 3 o'clock"), or on that day ("my appointment on Friday"). */
  startsAt: Date | null;
  within: { from: Date; to: Date } | null;
  act: (row: Json, noun: Noun) => Understanding;
  question: string;
  /** Only these rows may be meant: a team the caller can add to. */
  only?: (row: Json) => boolean;
  /** What a question asks about the list the found item leads to ("has anyone on design done the business cards"). */
  about?: string[];
  /** What the words mean when none of the caller's items fits: "a todo for Sam" when no team is called Sam. */
  otherwise?: Understanding;
}

export type Understanding =
  | { kind: 'call'; tool: string; args: Json; about?: string[] }
  | { kind: 'find'; find: Find }
  | { kind: 'ask'; question: string }
  | { kind: 'say'; text: string }
  /** The next page of the last list; `all`: everything left of it ("read me the rest"). */
  | { kind: 'more'; all?: boolean }
  /** Something this assistant does not do: the weather, a ride, the news. */
  | { kind: 'elsewhere' }
  | { kind: 'unknown' };

/** Every question the offline agent asks back; a reply to one of them completes the request. */
export const QUESTIONS = {
  todoTitle: 'What should the todo say?',
  todoTarget: 'Which todo?',
  todoPriority: 'What priority should it have: low, medium, high or urgent?',
  todoChange: 'What should I change about it?',
  reminderMessage: 'What should I remind you about?',
  reminderTime: 'When should I remind you?',
  reminderTarget: 'Which reminder?',
  eventTitle: 'What should I call the event?',
  eventTime: 'When is it?',
  eventTarget: 'Which event?',
  eventNewTime: 'When should I move it to?',
  team: 'Which team?',
  teamTodoTitle: 'What should the team todo say?',
  feedback: "What's your feedback?",
} as const;

export const HELP =
  'I can add and read your todos, set reminders, check and change your calendar, and tell you about your teams. Try: add a todo to buy milk.';

/** One reader looks at what the caller said for one kind of request; null when it is not that kind. */
export type Reader = (text: string, clock: Clock, context: Context) => Understanding | null;

export const call = (tool: string, args: Json, about?: string[]): Understanding => ({ kind: 'call', tool, args, ...(about?.length ? { about } : {}) });
export const ask = (question: string): Understanding => ({ kind: 'ask', question });
export const iso = (date: Date, clock: Clock): string => toZonedIso(date, clock.timezone);
