// The phrasing set: what a caller says, with what should come of it. Two parts, development and
// held-out; the rules are tuned on the first and only measured on the second.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * An expected value: a string (an ISO instant, a local date "2026-12-04", or words compared
 * without case), a boolean, null (the argument must be absent), or one of the forms below.
 */
export type Expected =
  | string
  | boolean
  | null
  | { oneOf: Expected[] }
  | { between: [string, string] }
  | { contains: string };

const expected: z.ZodType<Expected> = z.lazy(() =>
  z.union([
    z.string(),
    z.boolean(),
    z.null(),
    z.strictObject({ oneOf: z.array(expected).min(1) }),
    z.strictObject({ between: z.tuple([z.string(), z.string()]) }),
    z.strictObject({ contains: z.string().min(1) }),
  ]),
);

export const phrasingSchema = z.strictObject({
  id: z.string(),
  /** What the caller wants; scores are per intent. */
  intent: z.string(),
  say: z.string().min(1),
  /** Earlier lines of the same call, played first and not scored. */
  before: z.array(z.string()).optional(),
  /** The clock, as an instant; the default is Wednesday 2 December 2026, 10:00 in New York. */
  now: z.iso.datetime().optional(),
  timezone: z.string().optional(),
  /** The failure categories of issue #14 this phrasing exercises. */
  tags: z.array(z.string()).optional(),
  expect: z.strictObject({
    /** The tool the turn ends on, which must succeed (or be refused, with `refused`). */
    tool: z.string().optional(),
    args: z.record(z.string(), expected).optional(),
    /** The row the tool acted on: its title (or message), or several of its fields. */
    target: z.union([z.string(), z.record(z.string(), expected)]).optional(),
    refused: z.boolean().optional(),
    /** "question": nothing written, and the caller is asked something. */
    reply: z.literal('question').optional(),
    noTool: z.boolean().optional(),
    noWrite: z.boolean().optional(),
    includes: z.array(z.string()).optional(),
    excludes: z.array(z.string()).optional(),
    maxWords: z.number().int().positive().optional(),
  }),
});

export type Phrasing = z.infer<typeof phrasingSchema>;

export const PARTS = ['development', 'held-out'] as const;
export type Part = (typeof PARTS)[number];

export const DEFAULT_NOW = '2026-12-02T15:00:00Z';
export const DEFAULT_TIMEZONE = 'America/New_York';

export function loadPhrasings(part: Part): Phrasing[] {
  const text = readFileSync(new URL(`./phrasings/${part}.jsonl`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed = phrasingSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${part}.jsonl line ${index + 1}: ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    });
}
