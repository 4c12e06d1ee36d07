/**
 * Time-zone arithmetic: the wall-clock reading of an instant in a caller's IANA time zone, the
 * instant for a wall-clock time, and whole local days. No date library: Intl gives the
 * wall-clock parts of an instant in any zone, and an instant for a wall-clock time is found by
 * correcting a UTC guess with the zone's offset.
 */

export interface LocalDate {
  year: number;
  /** 1 to 12 */
  month: number;
  day: number;
}

export interface LocalTime {
  hour: number;
  minute: number;
}

export type LocalDateTime = LocalDate & LocalTime & { second: number };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const WALL_CLOCK: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

const formatters = new WeakMap<Intl.DateTimeFormatOptions, Map<string, Intl.DateTimeFormat>>();

/**
 * An en-US formatter for `timeZone`, built once per zone and options object: building one costs
 * far more than using it, and these run on every turn.
 */
export function formatterFor(timeZone: string, options: Intl.DateTimeFormatOptions = WALL_CLOCK): Intl.DateTimeFormat {
  let byZone = formatters.get(options);
  if (!byZone) formatters.set(options, (byZone = new Map()));
  let formatter = byZone.get(timeZone);
  if (!formatter) byZone.set(timeZone, (formatter = new Intl.DateTimeFormat('en-US', { ...options, timeZone })));
  return formatter;
}

// The same instants are read on every turn (the caller's due dates and events, the day's bounds),
// and formatToParts is the costly part: readings are kept, a bounded number of them.
const readings = new Map<string, Readonly<LocalDateTime>>();
const MAX_READINGS = 2_000;

/** The wall-clock reading of `date` in `timeZone`. */
export function localParts(date: Date, timeZone: string): Readonly<LocalDateTime> {
  const key = `${date.getTime()} ${timeZone}`;
  let reading = readings.get(key);
  if (!reading) {
    const parts: Record<string, number> = {};
    for (const part of formatterFor(timeZone).formatToParts(date)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    reading = Object.freeze({
      year: parts.year ?? 1970,
      month: parts.month ?? 1,
      day: parts.day ?? 1,
      // Some engines print midnight as 24 even with h23.
      hour: (parts.hour ?? 0) % 24,
      minute: parts.minute ?? 0,
      second: parts.second ?? 0,
    });
    if (readings.size >= MAX_READINGS) readings.clear();
    readings.set(key, reading);
  }
  return reading;
}

/** Minutes `timeZone` is ahead of UTC at that instant (-300 for New York in winter). */
export function offsetMinutes(date: Date, timeZone: string): number {
  const p = localParts(date, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / MINUTE);
}

/** The instant when the wall clock in `timeZone` reads this date and time. */
export function zonedTime(date: LocalDate, time: LocalTime, timeZone: string): Date {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
  // Two corrections settle it, including across a DST change between the guess and the answer.
  let guess = asUtc - offsetMinutes(new Date(asUtc), timeZone) * MINUTE;
  guess = asUtc - offsetMinutes(new Date(guess), timeZone) * MINUTE;
  return new Date(guess);
}

export function localDate(date: Date, timeZone: string): LocalDate {
  const { year, month, day } = localParts(date, timeZone);
  return { year, month, day };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** 0 for Sunday to 6 for Saturday. */
export function weekday(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function startOfDay(date: LocalDate, timeZone: string): Date {
  return zonedTime(date, { hour: 0, minute: 0 }, timeZone);
}

/** Whole local days from `from` to `to`: negative when `to` comes first. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round(
    (Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / (24 * HOUR),
  );
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** ISO 8601 with the zone's offset, e.g. 2026-12-04T15:00:00-05:00: what tools accept. */
export function toZonedIso(date: Date, timeZone: string): string {
  const p = localParts(date, timeZone);
  const offset = offsetMinutes(date, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Whether [from, to) is exactly one local day, midnight to midnight. */
export function isWholeDay(from: Date, to: Date, timeZone: string): boolean {
  const day = localDate(from, timeZone);
  return (
    startOfDay(day, timeZone).getTime() === from.getTime() &&
    startOfDay(addDays(day, 1), timeZone).getTime() === to.getTime()
  );
}
