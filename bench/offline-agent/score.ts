// Whether one turn did what its phrasing expects: judged from the tool calls the agent made (as
// stored in the thread), their results, and the words the caller heard.
import { localDate } from '../../src/agent/zoned-time.ts';
import type { ChatMessage } from '../../src/agent/messages.ts';
import type { Expected, Phrasing } from './phrasings.ts';

type Json = Record<string, unknown>;

export interface ToolUse {
  name: string;
  args: Json;
  result: Json;
}

export interface Turn {
  uses: ToolUse[];
  reply: string;
}

/** Tool calls of a turn, each with its result, in the order they were made. */
export function toolUses(messages: ChatMessage[]): ToolUse[] {
  const results = new Map<string, Json>();
  for (const message of messages) if (message.role === 'tool') results.set(message.toolCallId, parse(message.content));
  return messages.flatMap((message) =>
    message.role === 'assistant'
      ? (message.toolCalls ?? []).map((call) => ({ name: call.name, args: parse(call.arguments), result: results.get(call.id) ?? {} }))
      : [],
  );
}

function parse(text: string | null): Json {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
  } catch {
    return {};
  }
}

/** What no caller should hear: markup, brackets, quotes around names, or a tool runner's error text. */
export const NOT_FOR_THE_EAR = /[()[\]{}<>*#_"|\\]|arguments do not fit|\bundefined\b|\bnull\b|\bNaN\b|\[object/i;

export const UNFIT = 'the reply is not fit to be spoken';

/** Why the turn missed its expectation; empty when it did what was asked. */
export function judge(phrasing: Phrasing, turn: Turn, timezone: string, writeTools: ReadonlySet<string>): string[] {
  const { expect } = phrasing;
  const problems: string[] = [];
  const reply = turn.reply.trim();
  const writes = turn.uses.filter((use) => writeTools.has(use.name));
  const succeeded = writes.filter((use) => use.result.error === undefined);
  const last = turn.uses.at(-1);

  if (NOT_FOR_THE_EAR.test(reply)) problems.push(UNFIT);
  if (expect.tool) {
    if (last?.name !== expect.tool) problems.push(`ended on ${last?.name ?? 'no tool'}, not ${expect.tool}`);
    else {
      const failed = last.result.error !== undefined;
      if (expect.refused && !failed) problems.push('the tool should have refused');
      if (!expect.refused && failed) problems.push(`the tool refused: ${String(last.result.error)}`);
      for (const [key, want] of Object.entries(expect.args ?? {})) {
        if (!matches(last.args[key], want, timezone)) problems.push(`${key} was ${JSON.stringify(last.args[key])}, expected ${JSON.stringify(want)}`);
      }
      if (expect.target !== undefined) problems.push(...targetProblems(last.result, expect.target, timezone));
    }
    const others = writes.filter((use) => use !== last);
    if (others.length > 0) problems.push(`also wrote with ${others.map((use) => use.name).join(', ')}`);
  }
  if (expect.reply === 'question') {
    if (succeeded.length > 0) problems.push(`wrote with ${succeeded.map((use) => use.name).join(', ')} instead of asking`);
    if (!reply.endsWith('?')) problems.push('did not ask a question');
  }
  if (expect.noTool && turn.uses.length > 0) problems.push(`called ${turn.uses.map((use) => use.name).join(', ')}`);
  if (expect.noWrite && succeeded.length > 0) problems.push(`wrote with ${succeeded.map((use) => use.name).join(', ')}`);
  for (const words of expect.includes ?? []) if (!fold(reply).includes(fold(words))) problems.push(`the reply lacks "${words}"`);
  for (const words of expect.excludes ?? []) if (fold(reply).includes(fold(words))) problems.push(`the reply has "${words}"`);
  if (expect.maxWords && reply.split(/\s+/).length > expect.maxWords) problems.push(`the reply has more than ${expect.maxWords} words`);
  return problems;
}

function targetProblems(result: Json, target: string | Record<string, Expected>, timezone: string): string[] {
  const row = [result.todo, result.deleted, result.event, result.reminder].find(
    (value): value is Json => value !== null && typeof value === 'object',
  );
  if (!row) return ['the result names no row'];
  const wanted = typeof target === 'string' ? { title: target } : target;
  return Object.entries(wanted).flatMap(([key, want]) => {
    const actual = key === 'title' ? (row.title ?? row.message) : row[key];
    return matches(actual, want, timezone) ? [] : [`acted on ${key} ${JSON.stringify(actual)}, expected ${JSON.stringify(want)}`];
  });
}

const fold = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').replace(/[.!?,]+$/, '').trim();
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(value: unknown): number | null {
  return typeof value === 'string' && INSTANT.test(value) ? Date.parse(value) : null;
}

export function matches(actual: unknown, want: Expected, timezone: string): boolean {
  if (want === null) return actual === undefined || actual === null;
  if (typeof want === 'boolean') return actual === want;
  if (typeof want === 'string') {
    if (LOCAL_DATE.test(want)) {
      const at = instant(actual);
      if (at === null) return false;
      const day = localDate(new Date(at), timezone);
      return `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}` === want;
    }
    if (INSTANT.test(want)) return instant(actual) === Date.parse(want);
    return typeof actual === 'string' && fold(actual) === fold(want);
  }
  if ('oneOf' in want) return want.oneOf.some((option) => matches(actual, option, timezone));
  if ('between' in want) {
    const at = instant(actual);
    return at !== null && at >= Date.parse(want.between[0]) && at <= Date.parse(want.between[1]);
  }
  return typeof actual === 'string' && fold(actual).includes(fold(want.contains));
}
