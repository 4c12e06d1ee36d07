/**
 * Dates and times as we say them back, in the caller's IANA time zone ("tomorrow at 3 PM");
 * reading what callers say is when.ts, the zone arithmetic underneath is zoned-time.ts.
 */
import { daysBetween, isWholeDay, localDate, localParts, startOfDay, weekday } from '../zoned-time.ts';

const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

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
