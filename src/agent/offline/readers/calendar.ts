// The calendar: moving, cancelling and scheduling events, and questions about days and times.
import { toZonedIso } from '../../zoned-time.ts';
import type { Context, Json, Noun } from '../context.ts';
import type { Intent } from '../intent-model.ts';
import { contentWords, saysDone } from '../language.ts';
import { askedAbout, cleanTitle, EVENT_WORDS, ordinalIn, pronounOnly, REMINDER_WORDS, TODO_QUESTION, TODO_WORDS, withoutReason } from '../phrases.ts';
import { ask, call, iso, QUESTIONS, type Find, type Reader, type Understanding } from '../understanding.ts';
import { hoursAskedAbout, listingRange, readWhen, type Clock, type When } from '../when.ts';

const CALENDAR = /\b(?:calendar|schedule|agenda|diary|meetings?|events?|appointments?|free|busy|available)\b/i;
const MOVE = /\b(?:move|moved|push|pushed|reschedule|delay|postpone|bring|shift|wait until|wait till|change the (?:time|date|day) of|change the due date (?:of|for|on))\b/i;
const CANCEL = /\b(?:cancel|call off|scratch|scrap|delete|remove|drop|get rid of|take\s+.*\boff my calendar|take (?:it|that) off$|can't make|cannot make|won't make|not going to)\b/i;
// Said only of an event: "call off", "can't make it to", "I'm not going to yoga".
const CANCEL_EVENT = /\b(?:cancel|call off|scratch|can't make|cannot make|won't make|not going to)\b/i;

// Ways to put something on the calendar; the group is what and when.
const SCHEDULE: RegExp[] = [
  // "I need to see the accountant again, put it in for a week from today at 11": what, then when.
  /^(?:i\s+(?:need|have|must|want)\s+to\s+|i've got to\s+)?(.+?),?\s+(?:can you\s+|could you\s+|please\s+)?(?:put|pencil|book|pop)\s+(?:it|that|this)\s+in\s+((?:for|on|at)\s+.+)$/i,
  /^(?:a\s+)?new\s+(?:calendar\s+)?event\b[:,]?\s*(.*)$/i,
  /\b(?:schedule|book|set up|arrange|block out|block off|pencil in|set aside|reserve)\b\s*(.*)$/i,
  /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:calendar\s+)?event\b\s*(.*)$/i,
  /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?((?:[\w']+\s+){0,3}(?:meeting|appointment|lunch|dinner|interview|session)\b.*)$/i,
  // "a call with the bank", "a coffee with Jo": nouns of a meeting after an article ("add call the vet" is a todo).
  /\b(?:add|put|create|make)\s+(?:a|an)\s+(?:new\s+)?((?:[\w']+\s+){0,2}(?:call|chat|coffee|breakfast)\s+with\b.*)$/i,
  // A length of time is an event's: a todo has none ("put an hour for planning on Friday").
  /^(?:add|put|block|book|schedule)\s+(?:in\s+)?((?:an?|one|two|three|four|\d+|half an?)[\s-]+(?:hours?|minutes?|mins?)\b.*)$/i,
  /^(?:add|put)\s+(.+?\s+(?:on|to|in|into)\s+my\s+calendar\b.*)$/i,
  // "I'm seeing the accountant on the 11th at 2, add it to my calendar", "there's a concert on the 17th, can you add it"
  /^(?:i have|i've got|i'm|i am|there's|there is)\s+(?!to\b)(.+?),?\s+(?:can you\s+|could you\s+|please\s+)?(?:put|add|pop|stick|pencil|write|book)\s+(?:it|that|this)(?:\s+(?:in|down))?(?:\s+(?:on|in|to|into)\s+(?:my\s+|the\s+)?(?:calendar|diary|schedule|agenda))?(?:\s+for me)?$/i,
  // "I need to see the accountant on Friday at 11, put it in my calendar": anything, then where it goes.
  /^(?:i\s+(?:need|have|must|want)\s+to\s+|i've got to\s+)?(.+?),?\s+(?:can you\s+|could you\s+|please\s+)?(?:put|add|pop|stick|pencil|write|book)\s+(?:it|that|this)(?:\s+(?:in|down))?\s+(?:on|in|to|into)\s+(?:my\s+|the\s+)?(?:calendar|diary|schedule|agenda)(?:\s+for me)?$/i,
];

// What a question about the caller's time is made of, besides the time: "what does Friday look
// like", "where do I have to be", "do I have plans", "what's on the cards". A question about
// anything else said with a time ("the weather tomorrow") is not about their calendar.
const ABOUT_TIME = new Set(
  `what where how which any anything something look looking be happen happening go going doing on up around plan planned book there next
  day week weekend morning afternoon evening night card store line come coming clear empty time`.split(/\s+/),
);

function asksAboutTime(text: string, when: When): boolean {
  if (!/^(?:what|where|how|which|do|does|is|am|are|any|anything|have)\b/i.test(text) || !when.range) return false;
  // "have I got time for a coffee": what they would do with the time does not matter.
  return contentWords(when.rest.replace(/\b(?:time|room) for\b.*$/i, 'time')).every((word) => ABOUT_TIME.has(word));
}

/** The new time for an event or todo being moved: said outright, or a shift ("back an hour"), on the row's own day when only a time is said. */
function movedTime(row: Json, when: When, clock: Clock, field: 'starts_at' | 'due_at'): Date | null {
  const current = typeof row[field] === 'string' ? new Date(row[field] as string) : null;
  if (when.shiftMinutes !== null && current) return new Date(current.getTime() + when.shiftMinutes * 60_000);
  const target = when.then ?? (when.at ? { at: when.at, hasDay: when.hasDay } : null);
  // "to next week": the same day and time, a week on.
  if (!target && current && when.nextWeek) return new Date(current.getTime() + 7 * 24 * 3_600_000);
  if (!target) return null;
  if (!current) return target.at;
  const local = (date: Date) => toZonedIso(date, clock.timezone);
  if (target.hasDay && !when.hasTime) {
    // "move it to Monday": that day, at the time it had.
    return new Date(`${local(target.at).slice(0, 10)}${local(current).slice(10)}`);
  }
  if (!target.hasDay) return new Date(`${local(current).slice(0, 10)}${local(target.at).slice(10, 19)}${local(current).slice(19)}`);
  return target.at;
}

/** What moving or cancelling is, by the kind of item it turns out to be. */
function intentsFor(nouns: Noun[], moving: boolean): Intent[] {
  return nouns.map((noun) => (moving ? (noun === 'todo' ? 'update_todo' : 'move_calendar_event') : noun === 'reminder' ? 'delete_reminder' : 'cancel_calendar_event'));
}

/** The event (or todo) the words describe: by name, "it", "the second one", "my 3 o'clock", "on Friday". */
function eventTarget(words: string, when: When, act: Find['act'], question: string, nouns: Noun[] = ['event']): Understanding {
  const ordinal = ordinalIn(words);
  // "my meeting on Friday": "meeting" and "appointment" stay, they are often part of the title.
  const described = contentWords(words.replace(/\b(?:my|the|calendar|off|from|on|o'clock|event)\b/gi, ' '));
  const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this)\b/i.test(words) ? 'it' : null);
  const moving = question === QUESTIONS.eventNewTime;
  // "my 3 o'clock": when a time was said and no day, the event starting at that time.
  const startsAt = when.hasTime && !when.then && when.shiftMinutes === null && !moving ? when.at : null;
  // Moving, a day said before the one it goes to says which: "Monday's sync to Tuesday".
  const within = !startsAt && when.hasDay && (!moving || when.then?.hasDay === true) ? when.range : null;
  if (described.length === 0 && reference === null && !startsAt && !within) return ask(question);
  return { kind: 'find', find: { intents: intentsFor(nouns, moving), nouns, words: described, reference, startsAt, within, act, question } };
}

function move(text: string, when: When, clock: Clock, sure = false): Understanding | null {
  if (!when.at && when.shiftMinutes === null && !when.then && !when.nextWeek) {
    return sure || EVENT_WORDS.test(text) || /\b(?:it|that)\b/i.test(text) ? ask(QUESTIONS.eventNewTime) : null;
  }
  const act = (row: Json, noun: Noun): Understanding => {
    const moved = movedTime(row, when, clock, noun === 'todo' ? 'due_at' : 'starts_at');
    if (!moved) return ask(QUESTIONS.eventNewTime);
    return noun === 'todo' ? call('update_todo', { id: row.id, due_at: iso(moved, clock) }) : call('move_calendar_event', { id: row.id, starts_at: iso(moved, clock) });
  };
  const toTime = when.then ? when.rest : when.rest.replace(/\s+\b(?:to|until|till|for)\b\s*$/i, '');
  const words = toTime.replace(MOVE, ' ').replace(/\b(?:back|forward|later|earlier|by|to|until|till|can we|could we|can|wait|up|out|same time|needs? to be|instead|at|is now)\b/gi, ' ');
  // "at the same time" keeps a time of day, which only an event has.
  const nouns: Noun[] = /\bdue\b/i.test(text) || TODO_WORDS.test(text) ? ['todo'] : /\bsame time\b/i.test(text) ? ['event'] : ['event', 'todo'];
  // "move my 3 PM to 5": the first time says which event, the second where it goes.
  const current = when.then && !when.then.hasDay ? when.at : null;
  const found = eventTarget(words, when, act, QUESTIONS.eventNewTime, nouns);
  if (!current) return found;
  if (found.kind === 'find') return { kind: 'find', find: { ...found.find, startsAt: current } };
  const find: Find = { intents: ['move_calendar_event'], nouns: ['event'], words: [], reference: null, startsAt: current, within: null, act, question: QUESTIONS.eventNewTime };
  return { kind: 'find', find };
}

function cancel(said: string, when: When, context: Context, sure = false): Understanding | null {
  const text = withoutReason(said);
  const listed = context.listing?.noun === 'event' && ordinalIn(text) !== null;
  if (!sure && !CANCEL_EVENT.test(text) && !EVENT_WORDS.test(text) && !when.at && !listed) return null;
  // Cancelled by name alone ("cancel the one about my passport"): an event, or else a reminder.
  const nouns: Noun[] = EVENT_WORDS.test(text) || when.at || listed ? ['event'] : ['event', 'reminder'];
  const act = (row: Json, noun: Noun) => call(noun === 'reminder' ? 'delete_reminder' : 'delete_calendar_event', { id: row.id });
  const words = withoutReason(when.rest).replace(/\b(?:cancel|call off|scratch|scrap|delete|remove|drop|get rid of|take|off|i can't make|can't make|cannot make|i won't make|won't make|i'm not going to|not going to|actually|knock|on the head|skip)\b/gi, ' ');
  return eventTarget(words, when, act, QUESTIONS.eventTarget, nouns);
}

// Where an event is, said after what it is: "in the conference room", "at the Old Bank", "at Nando's".
const PLACE = /\s+(?:in|at)\s+((?:[Tt]he|[Rr]oom|[Oo]ffice)\s+.+|[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)$/;

// What a caller may say before an event when the request is known to be scheduling one.
const ASKING_TO_SCHEDULE = /^.*?\b(?:add|put|pop|stick|book|schedule|set up|arrange|pencil in|create|make|block out|block off)\b(?:\s+(?:in|me|a|an|new|event))*\s+/i;

function schedule(text: string, clock: Clock, sure = false): Understanding | null {
  const said = SCHEDULE.map((pattern) => pattern.exec(text)).find((match) => match !== null);
  if (!sure && (!said || /^(?:what|when|how|do|does|is|am|are|any|where|which)\b/i.test(text) || /\b(?:todos?|tasks?|(?:the|my) list)\b/i.test(text))) return null;
  const body = (said ? `${said[1] ?? ''} ${said[2] ?? ''}` : text.replace(ASKING_TO_SCHEDULE, ''))
    .replace(/[,\s]+(?:it's|it is)\s+(?=on\b|at\b)/i, ' ')
    .replace(/\s+(?:on|to|in|into)\s+(?:my|the)\s+(?:calendar|diary|schedule|agenda)\b,?/i, ' ')
    .replace(/,?\s+(?:put|add)\s+(?:it|that)\s+(?:on|in|to|into)\s+(?:my\s+)?calendar$/i, '');
  const at = readWhen(body, clock);
  let title = cleanTitle(at.rest.replace(/^(?:a|an)\s+(?:new\s+)?/i, '').replace(/^(?:out|off)\s+/i, '').replace(/^(?:for|to)\s+/i, ''));
  // "I'm meeting Sam for lunch" is lunch with Sam; "I'm seeing the accountant" is the accountant.
  if (/^(?:i'm|i am) meeting/i.test(text)) title = cleanTitle(at.rest.replace(/^(?:meeting\s+)?(\w+)\s+for\s+(.+)$/i, '$2 with $1'));
  else if (/^(?:i'm|i am) \w+ing\b/i.test(text)) title = cleanTitle(at.rest.replace(/^\w+ing\s+/i, ''));
  // "book the meeting room for the retro": the retro.
  title = title.replace(/^(?:the\s+)?[\w ]*\broom\s+for\s+/i, '');
  // "put a massage in at 10": "in" goes with "put", not with the title.
  if (/^(?:put|pop|pencil|stick|book|fit|squeeze)\b/i.test(text)) title = title.replace(/\s+in$/i, '');
  const place = PLACE.exec(title);
  if (place) title = cleanTitle(title.slice(0, place.index));
  if (!title || pronounOnly(title)) return ask(QUESTIONS.eventTitle);
  if (!at.at || !at.hasTime) return ask(QUESTIONS.eventTime);
  return call('create_calendar_event', {
    title,
    ...(place?.[1] ? { location: place[1] } : {}),
    starts_at: iso(at.at, clock),
    ...(at.durationMinutes ? { ends_at: iso(new Date(at.at.getTime() + at.durationMinutes * 60_000), clock) } : {}),
  });
}

const GENERIC_EVENT = new Set(['next', 'first', 'meeting', 'appointment', 'thing', 'up']);

/** "when is my dentist appointment", "what's on Friday", "am I free tomorrow". */
function question(text: string, when: When, clock: Clock, sure = false): Understanding | null {
  if (!sure && (TODO_WORDS.test(text) || TODO_QUESTION.test(text)) && !/\b(?:calendar|meetings?|appointments?)\b/i.test(text)) return null;
  const asksWhen = /^(?:when|what time|where)(?:'s| is| are| do i have| am i| do i| will i)\s+(?:my\s+|the\s+)?(.+)$/i.exec(text);
  // "where's the design review" names an event; "where do I need to be tomorrow" asks about a day.
  const where = asksWhen && /^where\b/i.test(text) && askedAbout(contentWords(when.rest.replace(/^where\S*/i, ''))).every((word) => GENERIC_EVENT.has(word));
  if (asksWhen && !where && !REMINDER_WORDS.test(text)) {
    // Looked for over two months, and only what was asked about is answered.
    const today = listingRange({ ...when, range: null }, clock).from;
    // "when's my next meeting" names no event: what comes next is the answer.
    const about = contentWords(asksWhen[1] ?? '').filter((word) => !GENERIC_EVENT.has(word));
    if (about.length === 0) return call('list_calendar_events', { from: iso(clock.now, clock), to: iso(new Date(clock.now.getTime() + 14 * 24 * 3_600_000), clock) });
    return call('list_calendar_events', { from: iso(today, clock), to: iso(new Date(today.getTime() + 60 * 24 * 3_600_000), clock) }, about);
  }
  const day = /\b(?:my|the) day\b/i.test(text) && !when.range ? readWhen('today', clock) : when;
  // "is my afternoon clear", "after five today": only those hours.
  const hours = hoursAskedAbout(text, day, clock);
  if (!sure && !CALENDAR.test(text) && !asksAboutTime(text, hours ? { ...day, range: hours } : day)) return null;
  const range = hours ?? listingRange(day, clock);
  return call('list_calendar_events', { from: iso(range.from, clock), to: iso(range.to, clock) });
}

/** The calendar readers, each for a request known to be its kind: only the details are read. */
export const calendarRequests = {
  create_calendar_event: (text: string, clock: Clock) => schedule(text, clock, true),
  list_calendar_events: (text: string, clock: Clock) => question(text, readWhen(text, clock), clock, true),
  cancel_calendar_event: (text: string, clock: Clock, context: Context) => cancel(text, readWhen(text, clock), context, true),
  move_calendar_event: (text: string, clock: Clock) => move(text, readWhen(text, clock), clock, true),
};

export const calendar: Reader = (text, clock, context) => {
  // "I've called the dentist" is a todo done; "I must remember to cancel the gym" is a todo to add.
  if ((saysDone(text) && !CANCEL.test(text)) || /\b(?:remember|forget) to\b/i.test(text)) return null;
  const when = readWhen(text, clock);
  // "add team drinks Friday, half five to seven": something from one time to another is an event.
  if (/^(?:add|put|pop|stick|pencil)\b/i.test(text) && when.hasTime && when.durationMinutes && !TODO_WORDS.test(text) && !REMINDER_WORDS.test(text)) return schedule(text, clock, true);
  if (MOVE.test(text) && !REMINDER_WORDS.test(text) && !/\bpriority\b/i.test(text)) return move(text, when, clock);
  const cancelled = CANCEL.test(text) && !TODO_WORDS.test(text) && !REMINDER_WORDS.test(text) ? cancel(text, when, context) : null;
  return cancelled ?? schedule(text, clock) ?? question(text, when, clock);
};
