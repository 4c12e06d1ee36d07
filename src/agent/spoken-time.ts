/**
 * Dates and times as callers say them and as we say them back, in the caller's IANA time zone;
 * the zone arithmetic underneath is in zoned-time.ts.
 */
import {
  addDays,
  daysBetween,
  isWholeDay,
  localDate,
  localParts,
  startOfDay,
  weekday,
  zonedTime,
  type LocalDate,
  type LocalTime,
} from './zoned-time.ts';

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MINUTE = 60_000;

/** Hour given to a todo or reminder when only a day was said ("remind me tomorrow"). */
export const DEFAULT_HOUR = 9;

// Understanding

const NUMBER_WORDS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, 'forty five': 45,
  'forty-five': 45, fifty: 50, ninety: 90,
};
const NUMBER = `(?:\\d+|${Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join('|')})`;
const HOUR_WORD = '(?:\\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)';
const MINUTE_WORD = "(?:\\d{2}|o'? ?five|fifteen|thirty|forty[- ]five|forty|fifty|twenty|ten)";
const MERIDIEM = '(?:am|pm|a\\.m\\.?|p\\.m\\.?)';
const TIME = `(${HOUR_WORD})(?:(?::|\\s+)(${MINUTE_WORD}))?\\s*(${MERIDIEM}|o'?clock)?`;

function toNumber(word: string): number {
  const clean = word.toLowerCase().replace(/^o'? ?/, '');
  if (/^\d+$/.test(clean)) return Number(clean);
  return NUMBER_WORDS[clean] ?? NUMBER_WORDS[clean.replace('-', ' ')] ?? Number.NaN;
}

interface SaidTime {
  hour: number;
  minute: number;
  /** am/pm said, or a 24-hour clock: no guessing needed. */
  meridiem: 'am' | 'pm' | null;
}

function readTime(hourWord: string, minuteWord: string | undefined, suffix: string | undefined): SaidTime | null {
  const hour = toNumber(hourWord);
  const minute = minuteWord ? toNumber(minuteWord) : 0;
  if (!Number.isInteger(hour) || !Number.isInteger(minute) || hour > 23 || minute > 59) return null;
  const s = suffix?.toLowerCase().replace(/\./g, '');
  if (s === 'am' || s === 'pm') {
    if (hour < 1 || hour > 12) return null;
    return { hour, minute, meridiem: s };
  }
  return { hour, minute, meridiem: hour > 12 || hour === 0 ? 'am' : null };
}

function to24(time: SaidTime, hint: 'am' | 'pm' | null): LocalTime {
  const meridiem = time.meridiem ?? hint;
  if (time.hour > 12 || (time.meridiem === 'am' && time.hour === 0)) return { hour: time.hour, minute: time.minute };
  if (meridiem === 'am') return { hour: time.hour % 12, minute: time.minute };
  if (meridiem === 'pm') return { hour: (time.hour % 12) + 12, minute: time.minute };
  // Nobody books a 3 AM meeting by phone: without am/pm, 1 to 7 means afternoon.
  return { hour: time.hour >= 1 && time.hour <= 7 ? time.hour + 12 : time.hour, minute: time.minute };
}

export interface When {
  /** The moment meant: day and time said, or a day at DEFAULT_HOUR, or now plus "in two hours". */
  at: Date | null;
  /** The local day meant, when any date or time was said. */
  day: LocalDate | null;
  hasTime: boolean;
  /** "for an hour", "from 10 to 11". */
  durationMinutes: number | null;
  /** "this week", "next week": a span of days from `day` rather than a single day. */
  spanDays: number | null;
  /** The words left when the date and time words are taken out (a title, a message). */
  rest: string;
}

interface Cursor {
  text: string;
}

/** Finds the pattern, removes it from the text, and returns its match. */
function take(cursor: Cursor, pattern: RegExp): RegExpExecArray | null {
  const match = pattern.exec(cursor.text);
  if (!match) return null;
  cursor.text = `${cursor.text.slice(0, match.index)} ${cursor.text.slice(match.index + match[0].length)}`;
  return match;
}

function unitMinutes(unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('min')) return 1;
  if (u.startsWith('h')) return 60;
  if (u.startsWith('d')) return 24 * 60;
  return 7 * 24 * 60;
}

function readDay(cursor: Cursor, today: LocalDate): { day: LocalDate; spanDays?: number; hint?: 'pm' } | null {
  if (take(cursor, /\b(?:the\s+)?day\s+after\s+tomorrow\b/i)) return { day: addDays(today, 2) };
  if (take(cursor, /\btomorrow\b/i)) return { day: addDays(today, 1) };
  if (take(cursor, /\btonight\b/i)) return { day: today, hint: 'pm' };
  if (take(cursor, /\btoday\b/i)) return { day: today };
  if (take(cursor, /\bthis\s+week\b/i)) return { day: today, spanDays: 7 - ((weekday(today) + 6) % 7) };
  if (take(cursor, /\bnext\s+week\b/i)) return { day: addDays(today, 7 - ((weekday(today) + 6) % 7)), spanDays: 7 };

  const iso = take(cursor, /\b(?:on\s+)?(\d{4})-(\d{2})-(\d{2})\b/);
  if (iso) return { day: { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) } };

  const named = take(
    cursor,
    new RegExp(`\\b(?:on\\s+)?(?:(this|next|this\\s+coming)\\s+)?(${WEEKDAYS.join('|')})s?\\b`, 'i'),
  );
  if (named) {
    const target = WEEKDAYS.indexOf((named[2] ?? '').toLowerCase());
    const qualifier = named[1]?.toLowerCase();
    if (qualifier === 'next') {
      // "next Friday" is the Friday of next week (weeks start on Monday); plain "Friday" is the
      // coming one, today included.
      const nextMonday = addDays(today, 7 - ((weekday(today) + 6) % 7));
      return { day: addDays(nextMonday, (target + 6) % 7) };
    }
    return { day: addDays(today, (target - weekday(today) + 7) % 7) };
  }

  const month = `(${MONTHS.join('|')}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)`;
  const dayNumber = '(\\d{1,2})(?:st|nd|rd|th)?';
  let monthName: string | undefined;
  let dayOfMonth: string | undefined;
  const monthFirst = take(cursor, new RegExp(`\\b(?:on\\s+)?${month}\\.?\\s+(?:the\\s+)?${dayNumber}\\b`, 'i'));
  if (monthFirst) [, monthName, dayOfMonth] = monthFirst;
  else {
    const dayFirst = take(cursor, new RegExp(`\\b(?:on\\s+)?(?:the\\s+)?${dayNumber}\\s+of\\s+${month}\\b`, 'i'));
    if (dayFirst) [, dayOfMonth, monthName] = dayFirst;
  }
  if (monthName && dayOfMonth) {
    const m = MONTHS.findIndex((name) => name.startsWith(monthName.toLowerCase().slice(0, 3))) + 1;
    const d = Number(dayOfMonth);
    let candidate = { year: today.year, month: m, day: d };
    // Dates without a year are the next one to come.
    if (daysBetween(today, candidate) < 0) candidate = { ...candidate, year: today.year + 1 };
    return { day: candidate };
  }
  const ordinalOnly = take(cursor, /\bon\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b/i);
  if (ordinalOnly) {
    const d = Number(ordinalOnly[1]);
    let candidate = { year: today.year, month: today.month, day: d };
    if (d < today.day) candidate = addMonth(candidate);
    return { day: candidate };
  }
  return null;
}

function addMonth(date: LocalDate): LocalDate {
  return date.month === 12 ? { ...date, year: date.year + 1, month: 1 } : { ...date, month: date.month + 1 };
}

function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.?!])/g, '$1')
    .trim()
    .replace(/^(?:on|at|by|for|due|from|in)\s+/i, '')
    .replace(/(?:\s+|^)(?:on|at|by|for|due|from|in|starting|until)$/i, '')
    .replace(/[\s,;:-]+$/, '')
    .replace(/^[\s,;:-]+/, '')
    .trim();
}

/**
 * Reads the date, time and duration out of a phrase, resolved against `now` in `timeZone`:
 * "tomorrow at 3 pm", "on Friday", "next Monday", "on March 3rd", "at 10:30", "noon",
 * "in two hours", "for an hour", "from 10 to 11 am".
 */
export function understandWhen(text: string, now: Date, timeZone: string): When {
  // Named hours become clock times so that ranges ("from noon to 1:30") read them like any other.
  const clockWords = text.replace(/\b(?:noon|midday)\b/gi, '12 pm').replace(/\bmidnight\b/gi, '12 am');
  const cursor: Cursor = { text: ` ${clockWords} ` };
  const today = localDate(now, timeZone);
  let hint: 'am' | 'pm' | null = null;
  let durationMinutes: number | null = null;

  const halfHour = take(cursor, /\bin\s+half\s+an?\s+hour\b/i);
  const relative =
    halfHour ??
    take(cursor, new RegExp(`\\bin\\s+(${NUMBER})\\s+(minutes?|mins?|hours?|hrs?|days?|weeks?)(\\s+and\\s+a\\s+half)?\\b`, 'i'));

  const forHalf = take(cursor, /\bfor\s+half\s+an?\s+hour\b/i);
  if (forHalf) durationMinutes = 30;
  const forSpan = take(
    cursor,
    new RegExp(`\\bfor\\s+(${NUMBER})\\s+(minutes?|mins?|hours?|hrs?)(\\s+and\\s+a\\s+half)?\\b`, 'i'),
  );
  if (forSpan) {
    const count = toNumber(forSpan[1] ?? '');
    const unit = unitMinutes(forSpan[2] ?? 'minutes');
    durationMinutes = count * unit + (forSpan[3] ? unit / 2 : 0);
  }

  if (take(cursor, /\b(?:in\s+the\s+)?morning\b/i)) hint = 'am';
  else if (take(cursor, /\b(?:in\s+the\s+)?(?:afternoon|evening)\b|\bat\s+night\b/i)) hint = 'pm';

  const saidDay = readDay(cursor, today);
  if (saidDay?.hint) hint = hint ?? saidDay.hint;

  let time: LocalTime | null = null;
  const range = take(cursor, new RegExp(`\\bfrom\\s+${TIME}\\s+(?:to|until|till|-)\\s+${TIME}`, 'i'));
  if (range) {
    const start = readTime(range[1] ?? '', range[2], range[3]);
    const end = readTime(range[4] ?? '', range[5], range[6]);
    if (start && end) {
      const end24 = to24(end, hint);
      let start24 = to24({ ...start, meridiem: start.meridiem ?? end.meridiem }, hint);
      const minutesOf = (t: LocalTime): number => t.hour * 60 + t.minute;
      if (minutesOf(start24) >= minutesOf(end24) && !start.meridiem) {
        start24 = { hour: start24.hour - 12, minute: start24.minute };
      }
      time = start24;
      durationMinutes = minutesOf(end24) - minutesOf(start24);
      if (durationMinutes <= 0) durationMinutes += 24 * 60;
    }
  }
  if (!time) {
    const atTime =
      take(cursor, new RegExp(`\\bat\\s+${TIME}(?=\\s|$|[,.?!])`, 'i')) ??
      take(cursor, new RegExp(`\\b(${HOUR_WORD})(?:(?::|\\s+)(${MINUTE_WORD}))?\\s*(${MERIDIEM}|o'?clock)(?=\\s|$|[,.?!])`, 'i')) ??
      take(cursor, /\b(\d{1,2}):(\d{2})()\b/);
    if (atTime) {
      const said = readTime(atTime[1] ?? '', atTime[2], atTime[3]);
      if (said) time = to24(said, hint);
    }
  }
  if (!time && hint && saidDay) {
    // "tomorrow morning": a sensible hour for the part of the day.
    time = { hour: hint === 'am' ? 9 : saidDay.hint ? 20 : 15, minute: 0 };
  }

  const rest = tidy(cursor.text);
  if (relative) {
    const minutes = halfHour
      ? 30
      : toNumber(relative[1] ?? '') * unitMinutes(relative[2] ?? 'minutes') +
        (relative[3] ? unitMinutes(relative[2] ?? 'minutes') / 2 : 0);
    const at = new Date(now.getTime() + minutes * MINUTE);
    if (minutes < 24 * 60) {
      return { at, day: localDate(at, timeZone), hasTime: true, durationMinutes, spanDays: null, rest };
    }
    const day = localDate(at, timeZone);
    const clock = time ?? { hour: DEFAULT_HOUR, minute: 0 };
    return { at: zonedTime(day, clock, timeZone), day, hasTime: time !== null, durationMinutes, spanDays: null, rest };
  }
  if (saidDay) {
    const clock = time ?? { hour: DEFAULT_HOUR, minute: 0 };
    return {
      at: zonedTime(saidDay.day, clock, timeZone),
      day: saidDay.day,
      hasTime: time !== null,
      durationMinutes,
      spanDays: saidDay.spanDays ?? null,
      rest,
    };
  }
  if (time) {
    // A time alone is the next time the clock shows it: today, or tomorrow if it has passed.
    let at = zonedTime(today, time, timeZone);
    let day = today;
    if (at.getTime() <= now.getTime()) {
      day = addDays(today, 1);
      at = zonedTime(day, time, timeZone);
    }
    return { at, day, hasTime: true, durationMinutes, spanDays: null, rest };
  }
  return { at: null, day: null, hasTime: false, durationMinutes, spanDays: null, rest };
}

// Speaking

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** "3 PM", "10:30 AM", "noon", "midnight". */
export function speakTime(date: Date, timeZone: string): string {
  const { hour, minute } = localParts(date, timeZone);
  if (minute === 0 && hour === 12) return 'noon';
  if (minute === 0 && hour === 0) return 'midnight';
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const suffix = hour < 12 ? 'AM' : 'PM';
  return minute === 0 ? `${h12} ${suffix}` : `${h12}:${String(minute).padStart(2, '0')} ${suffix}`;
}

/** "today", "tomorrow", "yesterday", "Friday" (within the coming week), else "Friday, December 4th". */
export function speakDay(date: Date, now: Date, timeZone: string): string {
  const day = localDate(date, timeZone);
  const today = localDate(now, timeZone);
  const distance = daysBetween(today, day);
  if (distance === 0) return 'today';
  if (distance === 1) return 'tomorrow';
  if (distance === -1) return 'yesterday';
  const name = capitalize(WEEKDAYS[weekday(day)] ?? '');
  if (distance > 1 && distance < 7) return name;
  const full = `${name}, ${capitalize(MONTHS[day.month - 1] ?? '')} ${ordinal(day.day)}`;
  return day.year === today.year ? full : `${full}, ${day.year}`;
}

/** "tomorrow at 3 PM", "Friday at 10:30 AM", "Friday, December 4th"; the time left out when `time` is false. */
export function speakDate(date: Date, now: Date, timeZone: string, options: { time?: boolean } = {}): string {
  const day = speakDay(date, now, timeZone);
  return options.time === false ? day : `${day} at ${speakTime(date, timeZone)}`;
}

/** "today", "tomorrow", "on Friday": a day as the end of a sentence ("nothing on your calendar on Friday"). */
export function speakOnDay(date: Date, now: Date, timeZone: string): string {
  const day = speakDay(date, now, timeZone);
  return day === 'today' || day === 'tomorrow' || day === 'yesterday' ? day : `on ${day}`;
}

/** "on Friday", "today", or "between Monday and Friday, December 11th". */
export function speakRange(from: Date, to: Date, now: Date, timeZone: string): string {
  if (isWholeDay(from, to, timeZone)) return speakOnDay(from, now, timeZone);
  const last = new Date(to.getTime() - 1);
  const wholeDays = startOfDay(localDate(from, timeZone), timeZone).getTime() === from.getTime();
  if (wholeDays) return `between ${speakDay(from, now, timeZone)} and ${speakDay(last, now, timeZone)}`;
  return `between ${speakDate(from, now, timeZone)} and ${speakDate(to, now, timeZone)}`;
}
