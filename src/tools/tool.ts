import type { z } from 'zod';
import type { Executor } from '../db/knex.ts';

/** Who is calling: every tool reads and writes only what this caller may see. */
export interface Caller {
  id: string;
  name: string;
  timezone: string;
}

export interface ToolContext {
  /** The transaction the tool's writes belong to. */
  db: Executor;
  caller: Caller;
  now: Date;
  signal: AbortSignal;
}

/** What a tool hands back to the model: plain JSON. Failures the model should hear are `{ error }`. */
export type ToolResult = { [key: string]: unknown };

export interface Tool<Args = unknown> {
  name: string;
  /** Written for the model: when to call it, in one or two sentences. */
  description: string;
  parameters: z.ZodType<Args>;
  /** "write" tools change data, so a repeated call must never run them twice. */
  effect: 'read' | 'write';
  run(args: Args, context: ToolContext): Promise<ToolResult>;
}

/**
 * A failure the caller caused or can fix ("no todo matches that"): returned to the model as
 * `{ error }` so it can say so, never treated as a broken backend.
 */
export class ToolError extends Error {
  override name = 'ToolError';
}

/** Keeps each tool's argument type while collecting them in one registry. */
export function defineTool<Args>(tool: Tool<Args>): Tool<Args> {
  return tool;
}
