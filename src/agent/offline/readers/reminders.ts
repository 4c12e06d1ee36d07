// Reminders: setting one, hearing them, deleting one.
import { askedAbout, cleanTitle, ordinalIn, pronounOnly, REMINDER_WORDS, withoutReason } from '../phrases.ts';
import { nameOf, type Context, type Json } from '../context.ts';
import { contentWords } from '../language.ts';
import { ask, call, iso, QUESTIONS, type Find, type Reader, type Understanding } from '../understanding.ts';
import { readLead, readWhen, type Clock } from '../when.ts';

/** The reminder the words describe: by what it says, "it", "the second one", or when it goes off ("tomorrow's", "the one for Friday at 5"). */
function reminderTarget(said: string, clock: Clock, act: Find['act']): Understanding {
  const when = readWhen(said, clock);
  const words = when.rest;
  const ordinal = ordinalIn(words);
  const described = contentWords(words.replace(/\b(?:remind(?:er|ing)?|me|about|to|for)\b/gi, ' '));
  const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this)\b/i.test(words) ? 'it' : null);
  // A time says which only when nothing else does ("the one for Friday at 5"); "the bins tonight" is the bins, today.
  const startsAt = described.length === 0 && when.hasTime && when.at ? when.at : null;
  const within = !startsAt && when.hasDay ? when.range : null;
  if (described.length === 0 && reference === null && !startsAt && !within) return ask(QUESTIONS.reminderTarget);
  return { kind: 'find', find: { intents: ['delete_reminder'], nouns: ['reminder'], words: described, reference, startsAt, within, act, question: QUESTIONS.reminderTarget } };
}

/** The caller's reminders, those of the days they named from now on; only those about what they name ("the passport"), if they name something. */
function listReminders(text: string, clock: Clock): Understanding {
  const when = readWhen(text, clock);
  // "is there a reminder about my passport", "when's my passport reminder": only those are answered.
  const named = /^.*\b(?:about|for)\s+(.+)$/i.exec(when.rest)?.[1] ?? (/^when\b/i.test(text) ? when.rest : '');
  const about = askedAbout(contentWords(named)).filter((word) => !/^remind/.test(word));
  const range = when.range;
  if (!range) return call('list_reminders', {}, about);
  const from = range.from.getTime() < clock.now.getTime() ? clock.now : range.from;
  return call('list_reminders', { from: iso(from, clock), to: iso(range.to, clock) }, about);
}

function deleteReminder(text: string, clock: Clock): Understanding {
  const words = withoutReason(text).replace(/\b(?:delete|remove|cancel|clear|drop|forget(?: about)?|scrap|get rid of|take off|take|off|stop|reminding|don't need|do not need|no longer need|no need to remind me|no need|anymore|any more|the reminder|my reminder|reminder|i)\b/gi, ' ');
  return reminderTarget(words, clock, (row) => call('delete_reminder', { id: row.id }));
}

// "remind me", and the same said another way: "ping me", "nudge me", "give me a reminder".
const REMIND = [
  /\b(?:remind|ping|nudge|buzz|alert) me\b(?!\s+(?:what|which|who|when|where|how)\b)\s*(.*)$/i,
  /\b(?:set|add|create|make|need|want|give me|get|put in)\s+(?:a\s+|an\s+|me\s+a\s+)?(?:reminder|nudge|shout)\b\s*(?:for me\s+)?(.*)$/i,
  /\bi need reminding\b\s*(.*)$/i,
  // "don't let me forget to water the tree at 7:15 tonight": with a clock time, a reminder (without, a todo).
  /^(?:don'?t let me forget|make sure i (?:don'?t|do not) forget)\s+(?:to\s+)?(.*\b(?:at\s+\d|in\s+(?:an?|\d+|half)\s).*)$/i,
];

function createReminder(text: string, clock: Clock, context: Context, sure = false): Understanding | null {
  const create = REMIND.map((pattern) => pattern.exec(text)).find((match) => match !== null);
  if (!create && !sure) return null;
  const after = create ? (create[1] ?? '') : text;
  const lead = readLead(after);
  if (lead) return beforeEvent(after, lead, clock);
  const said = readWhen(after, clock);
  // "in half an hour remind me to move the car": the time may come first.
  const when = said.at || !create ? said : { ...readWhen(text.slice(0, create.index), clock), rest: said.rest };
  let message = cleanTitle(when.rest.replace(/^(?:i\s+need\s+a|remind me|set a|can)\b/i, '').replace(/^(?:to|that|for|of)\s+/i, '')).replace(/^(?:to|that|for|of)\s+/i, '');
  // "remind me about it": the thing last talked about.
  if (/^about (?:it|that|this)$/i.test(message) || pronounOnly(message)) message = context.item ? nameOf(context.item.row) : '';
  if (!message) return ask(QUESTIONS.reminderMessage);
  const at = when.at ?? when.due;
  if (!at) return ask(QUESTIONS.reminderTime);
  return call('create_reminder', { message, remind_at: iso(at, clock) });
}

/**
 * "remind me an hour before my dentist appointment that I need to leave", "remind me an hour
 * before" (the event just talked about): a reminder timed by an event, found first.
 */
function beforeEvent(after: string, lead: { minutes: number; of: string; said: string }, clock: Clock): Understanding {
  const [, event = '', about = ''] = /^(.*?)(?:\s+(?:that|to|about)\s+(.+))?$/i.exec(lead.of) ?? [];
  const said = after.slice(0, after.indexOf(lead.said));
  // "remind me about the dentist appointment an hour before": the event is what it is about.
  const aboutEvent = !event && /^about\s+/i.test(said);
  const before = aboutEvent ? '' : cleanTitle(said.replace(/^(?:to|that|about)\s+/i, ''));
  const words = contentWords(aboutEvent ? said.replace(/^about\s+/i, '') : event);
  const act = (row: Json): Understanding => {
    const starts = typeof row.starts_at === 'string' ? Date.parse(row.starts_at) : Number.NaN;
    if (Number.isNaN(starts)) return ask(QUESTIONS.reminderTime);
    const message = before || cleanTitle(about) || nameOf(row);
    return call('create_reminder', { message, remind_at: iso(new Date(starts - lead.minutes * 60_000), clock) });
  };
  const reference = words.length === 0 ? 'it' : null;
  return { kind: 'find', find: { intents: ['create_reminder'], nouns: ['event'], words, reference, startsAt: null, within: null, act, question: QUESTIONS.reminderTime } };
}

/** The reminder readers, each for a request known to be its kind: only the details are read. */
export const reminderRequests = {
  create_reminder: (text: string, clock: Clock, context: Context) => createReminder(text, clock, context, true),
  list_reminders: listReminders,
  delete_reminder: (text: string, clock: Clock) => deleteReminder(text, clock),
};

export const reminders: Reader = (text, clock, context) => {
  const removing = /\b(?:delete|remove|cancel|clear|drop|forget|scrap|get rid of|take (?:\S+\s+){0,3}off|take off|stop reminding me|don't need|do not need|no longer need|no need)\b/i.test(text);
  // "remove the first one" after the caller heard their reminders.
  const listed = context.listing?.noun === 'reminder' && ordinalIn(text) !== null;
  if ((REMINDER_WORDS.test(text) || listed) && removing) return deleteReminder(text, clock);
  const asking = /^(?:what|which|when|did|do|have|any|am|is there|are there|list|read|tell)\b/i.test(text) && !/\bremind me (?:to|about|at|in|on|tomorrow)\b.*\b(?:to|about)\b/i.test(text);
  if (asking && REMINDER_WORDS.test(text)) return listReminders(text, clock);
  const created = createReminder(text, clock, context);
  if (created) return created;
  if (REMINDER_WORDS.test(text) && !/\b(?:set|add|create)\b/i.test(text)) return listReminders(text, clock);
  return null;
};
