import { z } from 'zod';
import { PRIORITIES } from '../db/todos.ts';

/** An instant with its offset, e.g. 2026-12-04T15:00:00-05:00: never a wall time without a zone. */
export const dateTime = z.iso.datetime({ offset: true });

/** Ids are the ones the model saw in earlier results. */
export const id = z.guid();

export const priority = z.enum(PRIORITIES);

/**
 * The arguments that name one row a tool acts on: its `id` from an earlier result, or what the
 * caller called it under `name` ("title", "message"), plus the tool's other arguments. One of
 * the two is required; `findTarget` (targets.ts) turns them into the row.
 */
export function idOrName<Name extends string, Extra extends z.ZodRawShape = Record<never, never>>(
  target: { noun: string; name: Name; description: string },
  extra?: Extra,
) {
  const shape = {
    id: id.optional().describe(`The ${target.noun} id from an earlier result.`),
    [target.name]: z.string().min(1).optional().describe(target.description),
    ...extra,
  } as { id: z.ZodOptional<typeof id> } & { [K in Name]: z.ZodOptional<z.ZodString> } & Extra;
  return z.object(shape).refine((args) => {
    const given = args as Record<string, unknown>;
    return given.id !== undefined || given[target.name] !== undefined;
  }, `Give the ${target.noun} id or its ${target.name}.`);
}
