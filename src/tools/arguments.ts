import { z } from 'zod';
import { ToolError } from './tool.ts';

/** An instant with its offset, e.g. 2026-12-04T15:00:00-05:00: never a wall time without a zone. */
export const dateTime = z.iso.datetime({ offset: true });

/** Ids are the ones the model saw in earlier results. */
export const id = z.guid();

// Words a caller puts around a name that are not part of it: "the todo buy milk", "my meeting".
const FILLER = /^(?:the|my|a|an|todo|to do|to-do|task|item|reminder|event|calendar event)\s+/i;

/** What the caller said, without the filler words, for a second search when the first finds nothing. */
export function withoutFiller(fragment: string): string {
  let text = fragment.trim();
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(FILLER, '').trim();
  }
  return text;
}

/**
 * The one row the caller meant by a name fragment: an exact name wins over a partial one, and
 * `preferred` (an open todo over a finished one) breaks ties. Several left means we ask which.
 */
export function chooseOne<Row>(
  rows: Row[],
  fragment: string,
  options: { noun: string; name: (row: Row) => string; preferred?: (row: Row) => boolean },
): Row {
  if (rows.length === 0) {
    const article = /^[aeiou]/i.test(options.noun) ? 'an' : 'a';
    throw new ToolError(`I couldn't find ${article} ${options.noun} called "${fragment}".`);
  }
  let left = rows;
  const exact = left.filter((row) => options.name(row).toLowerCase() === fragment.trim().toLowerCase());
  if (exact.length > 0) left = exact;
  if (left.length > 1 && options.preferred) {
    const preferred = left.filter(options.preferred);
    if (preferred.length > 0) left = preferred;
  }
  const [only] = left;
  if (left.length === 1 && only !== undefined) return only;
  const names = left.slice(0, 4).map((row) => `"${options.name(row)}"`);
  throw new ToolError(`Several ${options.noun}s match "${fragment}": ${names.join(', ')}. Which one do you mean?`);
}
