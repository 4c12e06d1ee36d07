/**
 * Dates and times as callers say them, resolved in the caller's IANA time zone. chrono-node
 * reads the words; the wall-clock values it finds are turned into instants by our own zone
 * arithmetic (zoned-time.ts), so a date past a daylight saving change gets that date's offset.
 * What chrono does not read is said to it in words it does: "half past two" is "2:30".
 */
import * as chrono from 'chrono-node';
import { remembered } from './remembered.ts';
import { addDays, localDate, offsetMinutes, startOfDay, weekday, zonedTime, type LocalDate, type LocalTime } from '../zoned-time.ts';

export interface Clock {
  now: Date;
  timezone: string;
}

/** Hour given to a todo or reminder when only a day was said ("remind me tomorrow"). */
export const DEFAULT_HOUR = 9;
/** Hour something due "by the end of the week" is due. */
const END_OF_DAY = 17;

export interface When {
  /** The moment meant: a day and time, a day at DEFAULT_HOUR, or now plus "in two hours". */
  at: Date | null;
  day: LocalDate | null;
  hasTime: boolean;
  /** Whether the day was said (a time alone is the next time the clock shows it). */
  hasDay: boolean;
  /** "for an hour", "from noon to 2". */
  durationMinutes: number | null;
  /** A second time said after the first: "move my 3 PM to 5". */
  then: { at: Date; hasDay: boolean } | null;
  /** "back an hour", "forward 30 minutes", "by half an hour": a shift, in minutes. */
  shiftMinutes: number | null;
  /** The days a listing means: a said day, "this week", "next week", "this weekend". */
  range: { from: Date; to: Date } | null;
  /** "next week" said without a day: moving something there keeps its day and time. */
  nextWeek: boolean;
  /** When something due in the span said is due ("this weekend": Saturday morning); null without a span. */
  due: Date | null;
  /** The words left when the date and time words are taken out (a title, a message). */
  rest: string;
}

const HOURS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const MINUTES: Record<string, number> = {
  five: 5, ten: 10, fifteen: 15, twenty: 20, 'twenty five': 25, 'twenty-five': 25, thirty: 30, 'forty five': 45, 'forty-five': 45, fifty: 50,
};
const HOUR_WORD = `(\\d{1,2}|${Object.keys(HOURS).join('|')})`;
const MINUTE_WORD = `(${Object.keys(MINUTES).sort((a, b) => b.length - a.length).join('|')})`;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

// Days of the month said in words: "on the fourteenth", "before the twenty-first".
const ORDINAL_DAYS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth'];
const ORDINAL_DAY = new RegExp(`\\b(on|for|by|before|until|till|after|from|to|since)\\s+the\\s+(?:(twenty|thirty)[\\s-])?(${ORDINAL_DAYS.join('|')}|twentieth|thirtieth)\\b(?!\\s+(?:one|item|todo|task|event|reminder|team)s?\\b)`, 'gi');

function ordinalDay(tens: string | undefined, word: string): number {
  const base = word.toLowerCase() === 'thirtieth' ? 30 : ORDINAL_DAYS.indexOf(word.toLowerCase()) + 1;
  return base + (tens?.toLowerCase() === 'twenty' ? 20 : tens?.toLowerCase() === 'thirty' ? 30 : 0);
}

const HOLIDAYS: Record<string, string> = { 'christmas eve': 'December 24', christmas: 'December 25', 'boxing': 'December 26', 'new year eve': 'December 31', 'new year': 'January 1', halloween: 'October 31', 'valentine': 'February 14' };
// Only after a word that makes it a date ("on Christmas Eve", "by Christmas"), never a thing's name ("the Christmas cards").
const HOLIDAY = /(?<=\b(?:on|for|by|before|until|till|after|from|since|at|over)\s+)(?:christmas eve|christmas(?: day)?|boxing day|new year'?s eve|new year'?s(?: day)?|halloween|valentine'?s(?: day)?)\b(?!\s+(?:cards?|trees?|party|parties|presents?|shopping|dinner|lunch|lights|decorations|jumper|market|list)\b)/gi;

const hourOf = (word: string): number => HOURS[word.toLowerCase()] ?? Number(word);
const previousHour = (hour: number): number => (hour === 1 ? 12 : hour - 1);

// Amounts said in words, for lengths and waits: "twenty minutes", "forty-five minutes", "three days".
const SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const AMOUNT = new RegExp(`\\b(?:(${TENS.slice(2).join('|')})(?:[\\s-](${SMALL.slice(1, 10).join('|')}))?|(${SMALL.slice(1).join('|')}))\\s+(minutes?|mins?|hours?|days?|weeks?)\\b`, 'gi');

function amountInWords(tens: string | undefined, unit: string | undefined, small: string | undefined): number {
  if (small) return SMALL.indexOf(small.toLowerCase());
  return TENS.indexOf((tens ?? '').toLowerCase()) * 10 + (unit ? SMALL.indexOf(unit.toLowerCase()) : 0);
}

/** Clock times as chrono reads them: "half past two" → "2:30", "quarter to five" → "4:45", "at five" → "at 5". */
function spokenClock(text: string, today: LocalDate): string {
  return text
    // "an hour and a half": ninety minutes, as chrono reads them.
    .replace(/\b(an?|one|two|three|four|five|\d+)\s+(?:hours?\s+and\s+a\s+half|and\s+a\s+half\s+hours?)\b/gi, (_, hours: string) => `${amount(hours) * 60 + 30} minutes`)
    .replace(AMOUNT, (_, tens: string | undefined, unit: string | undefined, small: string | undefined, what: string) => `${amountInWords(tens, unit, small)} ${what}`)
    // "7:45 tomorrow morning": the day and its part first, as chrono reads them together.
    .replace(/\b(?:at\s+)?(\d{1,2}(?::\d{2})?)\s+((?:today|tomorrow|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\s+(?:morning|afternoon|evening|night))\b/gi, '$2 at $1')
    .replace(/\b(\w+day)'s\b/gi, '$1')
    // Days named for what falls on them, which chrono does not know.
    .replace(HOLIDAY, (said: string) => HOLIDAYS[said.toLowerCase().replace(/\s+day$|'s/g, '').replace(/\s+/g, ' ')] ?? said)
    // "Thursday next week", "next week on Thursday": that weekday of the coming week, as a date.
    .replace(new RegExp(`\\b(?:on\\s+)?(${WEEKDAYS.join('|')})\\s+(?:of\\s+)?next\\s+week\\b|\\bnext\\s+week\\s+on\\s+(${WEEKDAYS.join('|')})\\b`, 'gi'), (_, before: string | undefined, after: string | undefined) => {
      const monday = addDays(today, 7 - ((weekday(today) + 6) % 7));
      const day = addDays(monday, (WEEKDAYS.indexOf((before ?? after ?? '').toLowerCase()) + 6) % 7);
      return `on ${MONTHS[day.month - 1]} ${day.day}`;
    })
    // "from 3 to 5 pm": the half of the day said at the end is the start's too, unless that puts it after the end.
    .replace(new RegExp(`\\b(from|between)\\s+${HOUR_WORD}(?::(\\d{2}))?\\s+(?:to|till|until|and|-)\\s+${HOUR_WORD}(?::(\\d{2}))?\\s*(am|pm)\\b`, 'gi'), (_, word: string, h1: string, m1: string | undefined, h2: string, m2: string | undefined, half: string) => {
      const [start, end] = [hourOf(h1) % 12, hourOf(h2) % 12];
      const startHalf = start > end && half.toLowerCase() === 'pm' ? 'am' : half;
      return `${word} ${hourOf(h1)}:${m1 ?? '00'} ${startHalf} to ${hourOf(h2)}:${m2 ?? '00'} ${half}`;
    })
    // "on the fourteenth": the day of the month in figures, read with the rule for "the 14th" below.
    .replace(ORDINAL_DAY, (_, word: string, tens: string | undefined, day: string) => `${word} the ${ordinalDay(tens, day)}th`)
    // "7 in the evening", "nine at night": the part of the day says which half.
    .replace(new RegExp(`\\b${HOUR_WORD}(?::(\\d{2}))?\\s+(in the (?:morning|afternoon|evening)|at night)\\b`, 'gi'), (_, h: string, m: string | undefined, part: string) => `${hourOf(h)}:${m ?? '00'} ${/morning/i.test(part) ? 'am' : 'pm'}`)
    // "at 9.30", "9.30 am": a British clock time.
    .replace(/\b((?:at|by|from|to|until|till|around)\s+\d{1,2})\.(\d{2})\b|\b(\d{1,2})\.(\d{2})(?=\s*(?:am|pm)\b)/gi, (_, at: string | undefined, m1: string | undefined, h: string | undefined, m2: string | undefined) => (at ? `${at}:${m1}` : `${h}:${m2}`))
    // "the parents' evening on Thursday at 6": a part of the day after a noun names a thing, and chrono
    // would read it with the date after it (losing the date); the mark keeps them apart.
    .replace(PART_OF_DAY_AS_NAME, '$1 ;')
    .replace(/\b(?:noon|midday)\b/gi, '12:00 pm')
    .replace(/\bmidnight\b/gi, '12:00 am')
    .replace(new RegExp(`\\b(?:a\\s+)?quarter\\s+past\\s+${HOUR_WORD}\\b`, 'gi'), (_, h: string) => `${hourOf(h)}:15`)
    .replace(new RegExp(`\\b(?:a\\s+)?quarter\\s+to\\s+${HOUR_WORD}\\b`, 'gi'), (_, h: string) => `${previousHour(hourOf(h))}:45`)
    .replace(new RegExp(`\\bhalf\\s+(?:past\\s+)?${HOUR_WORD}\\b`, 'gi'), (_, h: string) => `${hourOf(h)}:30`)
    .replace(new RegExp(`\\b${MINUTE_WORD}\\s+(?:minutes\\s+)?past\\s+${HOUR_WORD}\\b`, 'gi'), (_, m: string, h: string) => `${hourOf(h)}:${String(MINUTES[m.toLowerCase()]).padStart(2, '0')}`)
    .replace(new RegExp(`\\b${MINUTE_WORD}\\s+(?:minutes\\s+)?to\\s+${HOUR_WORD}\\b`, 'gi'), (_, m: string, h: string) => `${previousHour(hourOf(h))}:${String(60 - (MINUTES[m.toLowerCase()] ?? 0)).padStart(2, '0')}`)
    .replace(new RegExp(`\\b${HOUR_WORD}\\s+${MINUTE_WORD}\\b`, 'gi'), (_, h: string, m: string) => `${hourOf(h)}:${String(MINUTES[m.toLowerCase()]).padStart(2, '0')}`)
    .replace(new RegExp(`\\b(at|by|to|until|till|from|after)\\s+${HOUR_WORD}\\b(?![:\\d]|\\s*(?:am|pm|a\\.m|p\\.m|o'?clock|minutes?|mins?|hours?|st|nd|rd|th|of)\\b)`, 'gi'), (_, word: string, h: string) => `${word} ${hourOf(h)}:00`)
    .replace(new RegExp(`\\b${HOUR_WORD}\\s+(o'?clock|am|pm|a\\.m\\.|p\\.m\\.)`, 'gi'), (_, h: string, suffix: string) => `${hourOf(h)} ${suffix}`)
    // "the 15th" (with or without a weekday) is the next 15th to come: named with its month for chrono.
    .replace(
      new RegExp(`\\b(?:(?:on\\s+)?(?:${WEEKDAYS.join('|')})\\s+)?(?:on\\s+)?the\\s+(\\d{1,2})(?:st|nd|rd|th)\\b(?!\\s+of)`, 'gi'),
      (_, day: string) => {
        const month = Number(day) >= today.day ? today.month : (today.month % 12) + 1;
        return `on ${MONTHS[month - 1]} ${Number(day)}`;
      },
    );
}

const PART_OF_DAY_AS_NAME = /\b(?<!\b(?:this|tomorrow|tonight|today|the|in the|on|every|sunday|monday|tuesday|wednesday|thursday|friday|saturday)\s+)(morning|afternoon|evening|night)(?=\s+(?:on|at)\s)/gi;

interface Taken {
  text: string;
}

function take(cursor: Taken, pattern: RegExp): RegExpExecArray | null {
  const match = pattern.exec(cursor.text);
  if (match) cursor.text = `${cursor.text.slice(0, match.index)} ${cursor.text.slice(match.index + match[0].length)}`;
  return match;
}

function amount(word: string): number {
  const w = word.toLowerCase();
  if (w === 'a' || w === 'an' || w === 'one') return 1;
  return HOURS[w] ?? MINUTES[w] ?? Number(w);
}

// A count said in figures or words: "15", "an", "twenty-five".
const COUNT = String.raw`\d+|an?|(?:${TENS.slice(2).join('|')})(?:[\s-](?:${SMALL.slice(1, 10).join('|')}))?|${SMALL.slice(1).join('|')}`;

/**
 * "an hour before my dentist appointment", "ten minutes before": how long before something, and
 * the words after "before" (what it is before; empty when it is "it", said earlier).
 */
export function readLead(text: string): { minutes: number; of: string; said: string } | null {
  const said = new RegExp(String.raw`\b(half an?|${COUNT})\s+(hours?|minutes?|mins?)\s+before\b\s*(.*)$`, 'i').exec(text);
  if (!said) return null;
  const count = /^half/i.test(said[1] ?? '') ? 0.5 : countOf(said[1] ?? '');
  return { minutes: count * ((said[2] ?? '').startsWith('h') ? 60 : 1), of: said[3] ?? '', said: said[0] };
}

function countOf(word: string): number {
  if (/^\d+$/.test(word)) return Number(word);
  if (/^an?$/i.test(word)) return 1;
  const [first = '', unit] = word.toLowerCase().split(/[\s-]/);
  return TENS.includes(first) ? amountInWords(first, unit, undefined) : SMALL.indexOf(first);
}

/** "back an hour", "forward by 30 minutes", "by half an hour": a shift of an event, later is positive. */
function readShift(cursor: Taken): number | null {
  const half = take(cursor, /\b(back|later|forward|earlier|by)\s+(?:by\s+)?half\s+an?\s+hour\b/i);
  const said = half ?? take(cursor, /\b(back|later|forward|earlier|by)\s+(?:by\s+)?(an?|one|two|three|\d+)\s+(hours?|minutes?|mins?)\b/i);
  // The amount first: "an hour earlier", "30 minutes later".
  const after = half || said ? null : take(cursor, /\b(an?|one|two|three|\d+)\s+(hours?|minutes?|mins?)\s+(later|earlier)\b/i);
  if (after) return amount(after[1] ?? '') * ((after[2] ?? '').startsWith('h') ? 60 : 1) * (/earlier/i.test(after[3] ?? '') ? -1 : 1);
  if (!said) return null;
  const minutes = half ? 30 : amount(said[2] ?? '') * ((said[3] ?? '').startsWith('h') ? 60 : 1);
  return /forward|earlier/i.test(said[1] ?? '') ? -minutes : minutes;
}

/**
 * How long something lasts: "for an hour", "two hours on Friday", "a 45 minute workout". A length
 * "in" or "within" which, or "from now", "before", "later", is when, not how long.
 */
function readDuration(cursor: Taken): number | null {
  if (take(cursor, /\b(?<!\b(?:in|within|after)\s+(?:half\s+)?)(?:for\s+)?half\s+an?\s+hour\b(?!\s+(?:from now|later|before|after|ago|earlier))/i)) return 30;
  const said = take(
    cursor,
    /\b(?<!\b(?:in|within|after)\s+(?:half\s+)?)(?:for\s+)?(an?|one|two|three|four|five|six|\d+)[\s-]+(hours?|minutes?|mins?)(\s+and\s+a\s+half)?\b(?!\s+(?:from now|later|before|after|ago|earlier|early|late))/i,
  );
  if (!said) return null;
  const unit = (said[2] ?? '').startsWith('h') ? 60 : 1;
  return amount(said[1] ?? '') * unit + (said[3] ? unit / 2 : 0);
}

/**
 * The whole days a listing means when the caller names a week or a weekend, and when something
 * due in them is due: the Saturday morning of a weekend, the Friday evening of a week, the Monday
 * morning of next week.
 */
function readSpan(cursor: Taken, today: LocalDate, timeZone: string): { from: Date; to: Date; due: Date } | null {
  const monday = (day: LocalDate): LocalDate => addDays(day, 7 - ((weekday(day) + 6) % 7));
  const span = (from: LocalDate, to: LocalDate, due: LocalDate, hour: number) => ({
    from: startOfDay(from, timeZone),
    to: startOfDay(to, timeZone),
    due: zonedTime(due, { hour, minute: 0 }, timeZone),
  });
  const day = weekday(today);
  if (take(cursor, /\bnext\s+weekend\b/i)) {
    const saturday = addDays(today, ((6 - day + 7) % 7) + 7);
    return span(saturday, addDays(saturday, 2), saturday, DEFAULT_HOUR);
  }
  if (take(cursor, /\b(?:this|the)\s+weekend\b|\bweekend\b/i)) {
    const saturday = day === 0 ? addDays(today, -1) : addDays(today, (6 - day + 7) % 7);
    return span(day === 0 ? today : saturday, addDays(saturday, 2), day === 0 ? today : saturday, DEFAULT_HOUR);
  }
  // "over the next week", "the coming seven days", "the next two weeks": from today, not calendar weeks.
  const coming = take(cursor, /\b(?:(?:over|in|for|during|within)\s+)?the\s+(?:next|coming)\s+(?:(\d+|few|couple of)\s+)?(days?|weeks?)\b/i);
  if (coming) {
    const count = /^few$/i.test(coming[1] ?? '') ? 3 : /^couple/i.test(coming[1] ?? '') ? 2 : Number(coming[1] ?? 1);
    const days = count * (/^w/i.test(coming[2] ?? '') ? 7 : 1);
    return span(today, addDays(today, days), addDays(today, days - 1), END_OF_DAY);
  }
  if (take(cursor, /\b(?:by\s+)?(?:the\s+)?end\s+of\s+next\s+week\b/i)) return span(monday(today), addDays(monday(today), 7), addDays(monday(today), 4), END_OF_DAY);
  if (take(cursor, /\bnext\s+week\b/i)) return span(monday(today), addDays(monday(today), 7), monday(today), DEFAULT_HOUR);
  // On a Saturday or Sunday, "this week" is the week ahead: what is left of this one is the weekend.
  if (take(cursor, /\b(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the|this)\s+week\b|\b(?:this|the|my)\s+(?:coming\s+)?week\b|\bthe\s+rest\s+of\s+the\s+week\b/i)) {
    const end = day === 6 || day === 0 ? addDays(monday(today), 7) : monday(today);
    return span(today, end, addDays(end, -3), END_OF_DAY);
  }
  return null;
}

const PART_OF_DAY: [RegExp, number][] = [
  [/\b(?:first thing|early)\b/i, 8],
  [/\bmorning\b/i, 9],
  [/\b(?:afternoon|after lunch)\b/i, 15],
  [/\b(?:end of (?:the )?day|close of business)\b/i, 17],
  [/\bevening\b/i, 18],
  [/\b(?:tonight|night)\b/i, 20],
];

function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.?!])/g, '$1')
    .trim()
    .replace(/^(?:(?:on|at|by|for|due|from|in|this|before|until|till|starting)\s+)+/i, '')
    .replace(/(?:(?:\s+|^)(?:on|at|by|for|due|from|this|starting|until|till|of|the|before))+$/i, '')
    .replace(/[\s,;:-]+$/, '')
    .replace(/^[\s,;:-]+/, '')
    .trim();
}

const remember = remembered((key: string): When => {
  const [now, timezone, text] = key.split('\u0000') as [string, string, string];
  return readWhenAt(text, { now: new Date(Number(now)), timezone });
});

/** Reads the date, time, span and shift out of a phrase, against `clock`. The result is shared: never change it. */
export function readWhen(text: string, clock: Clock): When {
  return remember(`${clock.now.getTime()}\u0000${clock.timezone}\u0000${text}`);
}

// Zones said by region rather than by a city in their IANA name.
const REGIONS: Record<string, string> = { uk: 'Europe/London', british: 'Europe/London', eastern: 'America/New_York', central: 'America/Chicago', mountain: 'America/Denver', pacific: 'America/Los_Angeles', gmt: 'UTC', utc: 'UTC' };
const CITIES = new Map(Intl.supportedValuesOf('timeZone').map((zone) => [(zone.split('/').at(-1) ?? '').replace(/_/g, ' ').toLowerCase(), zone]));

/** "3 pm London time", "at 9 Pacific time": the zone a clock time was said in, and the words that said it. */
function zoneSaid(text: string): { zone: string; said: string } | null {
  const said = /\b([a-z]+(?:\s[a-z]+)?)\s+time\b/gi;
  for (const match of text.matchAll(said)) {
    // "New York time" and "York time": the longer name first.
    for (const name of [match[1] ?? '', (match[1] ?? '').split(/\s/).at(-1) ?? '']) {
      const zone = REGIONS[name.toLowerCase()] ?? CITIES.get(name.toLowerCase());
      if (zone) return { zone, said: match[0].slice(match[0].length - name.length - 5) };
    }
  }
  return null;
}

function readWhenAt(said: string, clock: Clock): When {
  const { now } = clock;
  const today = localDate(now, clock.timezone);
  // A clock time said in another zone is that zone's wall clock; the day is still the caller's.
  const other = zoneSaid(said);
  const text = other ? said.replace(other.said, ' ') : said;
  const timezone = other?.zone ?? clock.timezone;
  const cursor: Taken = { text: ` ${spokenClock(text, today)} ` };
  const shiftMinutes = readShift(cursor);
  let durationMinutes = readDuration(cursor);
  const span = readSpan(cursor, today, clock.timezone);
  const reference = { instant: now, timezone: offsetMinutes(now, clock.timezone) };
  const parsed = chrono.casual
    .parse(cursor.text, reference, { forwardDate: true })
    // "now" is a filler in "it's due on the 10th now", never a time anyone asks for.
    .filter((result) => !/^(?:now|right now|today now)$/i.test(result.text.trim()));
  // "parents evening on Tuesday at 7": with a clock time said, a lone part of the day is a word of the title.
  const clockSaid = parsed.some((result) => result.start.isCertain('hour'));
  const results = parsed.filter((result) => !(clockSaid && /^(?:morning|afternoon|evening|night)$/i.test(result.text.trim())));

  let day: LocalDate | null = null;
  let time: LocalTime | null = null;
  let hasDay = false;
  let then: When['then'] = null;
  const spoken = results.map((result) => result.text).join(' ');
  for (const result of results) {
    const start = result.start;
    const dayCertain = start.isCertain('day') || start.isCertain('weekday') || start.isCertain('month') || /\b(?:today|tonight|this)\b/i.test(result.text);
    if (dayCertain && !hasDay) {
      day = { year: start.get('year') ?? today.year, month: start.get('month') ?? today.month, day: start.get('day') ?? today.day };
      // A weekday alone is never past: chrono reads "4 o'clock on Friday to 4:30" as last Friday.
      if (start.isCertain('weekday') && !start.isCertain('day') && startOfDay(day, timezone) < startOfDay(today, timezone)) day = addDays(day, 7);
      hasDay = true;
    }
    if (start.isCertain('hour') && !time) {
      time = toClock(start.get('hour') ?? 0, start.get('minute') ?? 0, start.isCertain('meridiem'), result.text);
      if (result.end?.isCertain('hour')) {
        const end = toClock(result.end.get('hour') ?? 0, result.end.get('minute') ?? 0, result.end.isCertain('meridiem'), result.text);
        if (!start.isCertain('meridiem') && end.hour >= 12 && time.hour < 12 && time.hour + 12 < end.hour + 1) time = { ...time, hour: time.hour + 12 };
        const minutes = end.hour * 60 + end.minute - (time.hour * 60 + time.minute);
        // "from 6 till 8" is the evening: an end before the start is twelve hours on, or the next day.
        durationMinutes = minutes > 0 ? minutes : end.hour < 12 && minutes + 12 * 60 > 0 ? minutes + 12 * 60 : minutes + 24 * 60;
      }
    }
    // The words go, with a preposition left before them ("on" of "on the 10th", read as "december 10").
    const at = cursor.text.indexOf(result.text);
    if (at >= 0) cursor.text = `${cursor.text.slice(0, at).replace(/\b(?:on|at|by|from)\s+$/i, '')} ${cursor.text.slice(at + result.text.length)}`;
  }
  if (!time) {
    const part = PART_OF_DAY.find(([pattern]) => pattern.test(spoken) || pattern.test(cursor.text));
    if (part) {
      time = { hour: part[1], minute: 0 };
      cursor.text = cursor.text.replace(/\b(?:first thing|early|in the morning|in the afternoon|in the evening|at night|end of (?:the )?day|close of business)\b/gi, ' ');
      if (!hasDay) {
        day = today;
        hasDay = /\b(?:this|tonight|today)\b/i.test(text);
      }
    }
  }
  // "move my 3 PM to 5": chrono reads one range; the second time is where it goes.
  const first = results[0];
  if (first?.end?.isCertain('hour') && /\b(?:move|push|change|reschedule|shift)\b/i.test(text)) {
    const end = first.end;
    const moved = toClock(end.get('hour') ?? 0, end.get('minute') ?? 0, end.isCertain('meridiem'), first.text);
    then = { at: zonedTime(day ?? today, moved, timezone), hasDay: false };
    durationMinutes = null;
  }
  // "move Monday's sync to Tuesday", "I won't get to it today, move it to Friday": the first day
  // says which, the second where it goes.
  const second = results.slice(1).find((result) => result.start.isCertain('day') || result.start.isCertain('weekday'));
  if (!then && day && second && /\b(?:move|push|change|reschedule|shift)/i.test(text)) {
    const on = { year: second.start.get('year') ?? today.year, month: second.start.get('month') ?? today.month, day: second.start.get('day') ?? today.day };
    if (on.day !== day.day || on.month !== day.month) then = { at: zonedTime(on, time ?? { hour: DEFAULT_HOUR, minute: 0 }, timezone), hasDay: true };
  }

  const rest = tidy(cursor.text.replace(/\s;(?=\s)/g, ''));
  const nextWeek = /\bnext\s+week\b/i.test(text);
  const due = span?.due ?? null;
  const range = span ? { from: span.from, to: span.to } : day && hasDay ? { from: startOfDay(day, clock.timezone), to: startOfDay(addDays(day, 1), clock.timezone) } : null;
  // "in twenty minutes" is a wait from now; "at 8 in the morning" is a clock time, placed below with
  // the offset of its own date (chrono's instant carries today's, wrong across a clock change).
  const relative = results.find((result) => /\b(?:in|within)\s+(?:an?|\d|half)/i.test(result.text) && result.start.isCertain('minute'));
  if (relative) {
    const at = relative.start.date();
    return { at, day: localDate(at, timezone), hasTime: true, hasDay: true, durationMinutes, then, shiftMinutes, range, nextWeek, due, rest };
  }
  if (day) {
    const at = zonedTime(day, time ?? { hour: DEFAULT_HOUR, minute: 0 }, timezone);
    return { at, day, hasTime: time !== null, hasDay, durationMinutes, then, shiftMinutes, range, nextWeek, due, rest };
  }
  if (time) {
    // A time alone is the next time the clock shows it: today, or tomorrow if it has passed.
    let at = zonedTime(today, time, timezone);
    let on = today;
    if (at.getTime() <= now.getTime()) {
      on = addDays(today, 1);
      at = zonedTime(on, time, timezone);
    }
    return { at, day: on, hasTime: true, hasDay: false, durationMinutes, then, shiftMinutes, range, nextWeek, due, rest };
  }
  return { at: null, day: null, hasTime: false, hasDay: false, durationMinutes, then, shiftMinutes, range, nextWeek, due, rest };
}

const HOURS_OF: [RegExp, number, number][] = [
  [/\bmorning\b/i, 0, 12],
  [/\bafternoon\b/i, 12, 17],
  [/\b(?:evening|tonight|night)\b/i, 17, 24],
];

/**
 * The hours of one day a question about the calendar means: "tomorrow morning", "is my afternoon
 * clear" (today), "after five today"; null when it means whole days.
 */
export function hoursAskedAbout(text: string, when: When, clock: Clock): { from: Date; to: Date } | null {
  const { timezone } = clock;
  if (when.range && when.range.to.getTime() - when.range.from.getTime() > 25 * 3_600_000) return null;
  const day = when.range ? localDate(when.range.from, timezone) : localDate(clock.now, timezone);
  const end = startOfDay(addDays(day, 1), timezone);
  if (when.at && when.hasTime && /\b(?:after|from|since)\b/i.test(text)) return { from: when.at, to: end };
  if (when.at && when.hasTime && /\b(?:before|until|till)\b/i.test(text)) return { from: startOfDay(day, timezone), to: when.at };
  const part = HOURS_OF.find(([said]) => said.test(text));
  if (!part) return null;
  return { from: zonedTime(day, { hour: part[1], minute: 0 }, timezone), to: part[2] === 24 ? end : zonedTime(day, { hour: part[2], minute: 0 }, timezone) };
}

/** "at 10 that morning", "that day": the day the call was just about (`day`), said as a date chrono reads. */
export function onThatDay(text: string, day: LocalDate | null): string {
  if (!day) return text;
  const date = `on ${MONTHS[day.month - 1]} ${day.day}`;
  return text.replace(/\bthat\s+(day|morning|afternoon|evening|night)\b/gi, (_, part: string) => (/^day$/i.test(part) ? date : `${/^night$/i.test(part) ? 'at night' : `in the ${part}`} ${date}`));
}

/** A clock time said without am or pm: nobody books a 3 AM meeting by phone, so 1 to 7 mean afternoon. */
function toClock(hour: number, minute: number, meridiemSaid: boolean, said: string): LocalTime {
  if (meridiemSaid || hour === 0 || hour >= 12) return { hour, minute };
  if (/\b(?:morning|am|a\.m)\b/i.test(said)) return { hour, minute };
  if (/\b(?:evening|tonight|night|afternoon)\b/i.test(said) || (hour >= 1 && hour <= 7)) return { hour: hour + 12, minute };
  return { hour, minute };
}

/** Midnight to midnight of the day `when` names; today and the six days after when none was said. */
export function listingRange(when: When, clock: Clock): { from: Date; to: Date } {
  if (when.range) return when.range;
  const today = localDate(clock.now, clock.timezone);
  return { from: startOfDay(today, clock.timezone), to: startOfDay(addDays(today, 7), clock.timezone) };
}
