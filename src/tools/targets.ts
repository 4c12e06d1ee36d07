import { ToolError } from './tool.ts';

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

/** How to look up one kind of row (todo, reminder, event) among those the caller may see. */
export interface TargetLookup<Row> {
  /** What the caller hears it called: "I couldn't find that todo." */
  noun: string;
  byId(id: string): Promise<Row | null>;
  /** Rows whose name contains the fragment. */
  byName(fragment: string): Promise<Row[]>;
  name(row: Row): string;
  /** Breaks a tie between rows that match equally well. */
  preferred?: (row: Row) => boolean;
  /** Words said before this kind of name that are not part of it ("about" a reminder, "the meeting"). */
  leadingWords?: RegExp;
}

/**
 * The row the caller means: by id when the model has one, otherwise by what they called it,
 * searched again without filler words when the words as said find nothing; several matches are
 * narrowed by `chooseOne` or become a question back.
 */
export async function findTarget<Row>(said: { id?: string; name?: string }, lookup: TargetLookup<Row>): Promise<Row> {
  if (said.id !== undefined) {
    const row = await lookup.byId(said.id);
    if (!row) throw new ToolError(`I couldn't find that ${lookup.noun}.`);
    return row;
  }
  const fragment = said.name ?? '';
  let rows = await lookup.byName(fragment);
  const shorter = withoutFiller(lookup.leadingWords ? fragment.replace(lookup.leadingWords, '') : fragment);
  if (rows.length === 0 && shorter && shorter !== fragment) rows = await lookup.byName(shorter);
  return chooseOne(rows, fragment, lookup);
}
