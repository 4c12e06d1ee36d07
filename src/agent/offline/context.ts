/**
 * What the call so far says, read from the thread's history the agent is given on every turn
 * (never from memory: any instance may serve the next turn): the last list the caller heard and
 * how much of it, the last thing they talked about ("mark it done"), and what we last asked.
 */
import type { ChatMessage } from '../messages.ts';
import { turnRound } from './language.ts';

export type Json = Record<string, unknown>;
export type Noun = 'todo' | 'event' | 'reminder' | 'member' | 'team';

export interface Listing {
  tool: string;
  args: Json;
  result: Json;
  noun: Noun;
  items: Json[];
  /** How many of the items the caller has heard, from the first. */
  heard: number;
}

export interface Context {
  listing: Listing | null;
  /** The last single todo, event or reminder the call was about. */
  item: { noun: Noun; row: Json } | null;
  /** The last team a result named: "they" in "what are they working on". */
  team: string | null;
  /** Our last words, and the caller's request that led to them. */
  lastReply: string | null;
  lastRequest: string | null;
  /** Every user message before this one, newest last. */
  requests: string[];
  /** The replies we spoke, newest last. */
  replies: string[];
}

const LISTS: Record<string, { noun: Noun; key: string }> = {
  list_todos: { noun: 'todo', key: 'todos' },
  list_team_todos: { noun: 'todo', key: 'todos' },
  list_calendar_events: { noun: 'event', key: 'events' },
  list_reminders: { noun: 'reminder', key: 'reminders' },
  list_team_members: { noun: 'member', key: 'members' },
  list_teams: { noun: 'team', key: 'teams' },
};

export function parseObject(text: string | null | undefined): Json {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
  } catch {
    return {};
  }
}

export const rows = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => item !== null && typeof item === 'object') : [];

export function nameOf(row: Json): string {
  const name = row.title ?? row.message ?? row.name;
  return typeof name === 'string' ? name : '';
}

/** The single row a tool acted on, with what kind of row it is. */
export function rowOf(tool: string, result: Json): { noun: Noun; row: Json } | null {
  const row = [result.todo, result.event, result.reminder, result.deleted].find((value): value is Json => value !== null && typeof value === 'object');
  if (!row) return null;
  const noun: Noun = 'message' in row ? 'reminder' : 'starts_at' in row ? 'event' : /reminder/.test(tool) ? 'reminder' : 'todo';
  return { noun, row };
}

/** The team a result is about: its members, its todos, or a todo added to it. */
function teamOf(result: Json): string | null {
  const team = result.team ?? (result.todo as Json | undefined)?.team;
  const name = typeof team === 'object' && team !== null ? (team as Json).name : team;
  return typeof name === 'string' ? name : null;
}

/** "…, and 4 more; say more to hear them.": how many were left unsaid. */
export function unsaid(reply: string): number {
  const said = /\band (\d+) more\b/i.exec(reply);
  return said ? Number(said[1]) : 0;
}

/** Whether a reply read out the last item of a list: the caller has heard it all. */
function saidLast(listing: Listing, reply: string): boolean {
  const lastItem = listing.items.at(-1);
  return lastItem !== undefined && reply.toLowerCase().includes(turnRound(nameOf(lastItem)).toLowerCase());
}

/** Reads the context from the messages before the caller's current words. */
export function readContext(history: ChatMessage[]): Context {
  const context: Context = { listing: null, item: null, team: null, lastReply: null, lastRequest: null, requests: [], replies: [] };
  const calls = new Map<string, { name: string; args: Json }>();
  let pending: Listing[] = [];
  for (const message of history) {
    if (message.role === 'user') {
      context.requests.push(message.content);
      context.lastRequest = message.content;
    } else if (message.role === 'assistant') {
      for (const call of message.toolCalls ?? []) calls.set(call.id, { name: call.name, args: parseObject(call.arguments) });
      if (message.toolCalls?.length) pending = [];
      if (message.content && !message.toolCalls?.length) {
        context.lastReply = message.content;
        context.replies.push(message.content);
        // A listing counts once its items were spoken: a lookup the agent made for itself does not.
        const [heard] = pending;
        if (heard) {
          const named = heard.items.filter((item) => nameOf(item) && message.content?.toLowerCase().includes(nameOf(item).toLowerCase()));
          if (/^which one\b/i.test(message.content)) {
            named.sort((a, b) => message.content!.toLowerCase().indexOf(nameOf(a).toLowerCase()) - message.content!.toLowerCase().indexOf(nameOf(b).toLowerCase()));
            context.listing = { ...heard, items: named, heard: named.length };
          } else {
            context.listing = { ...heard, heard: heard.items.length - unsaid(message.content) };
          }
          // One item named ("when's my dentist appointment"): it is what "it" means next.
          const one = context.listing.items.length === 1 ? context.listing.items[0] : named.length === 1 ? named[0] : undefined;
          if (one) context.item = { noun: heard.noun, row: one };
        } else if (context.listing && unsaid(message.content) > 0) {
          // "more": the next page of the same list was spoken.
          context.listing = { ...context.listing, heard: context.listing.items.length - unsaid(message.content) };
        } else if (context.listing && (/^that's all\b/i.test(message.content) || saidLast(context.listing, message.content))) {
          context.listing = { ...context.listing, heard: context.listing.items.length };
        }
        pending = [];
      }
    } else if (message.role === 'tool') {
      const call = calls.get(message.toolCallId);
      if (!call) continue;
      const result = parseObject(message.content);
      const list = LISTS[call.name];
      if (list && result.error === undefined) {
        pending.push({ tool: call.name, args: call.args, result, noun: list.noun, items: rows(result[list.key]), heard: 0 });
      }
      const acted = rowOf(call.name, result);
      if (acted && result.error === undefined) context.item = acted;
      context.team = teamOf(result) ?? context.team;
    }
  }
  return context;
}
