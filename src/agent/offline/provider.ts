import { randomBytes } from 'node:crypto';
import type { AssistantMessage, ChatMessage, ToolCall } from '../messages.ts';
import type { ModelProvider, ModelReply, ModelRequest } from '../provider.ts';
import { addDays, localDate, startOfDay, toZonedIso } from '../zoned-time.ts';
import { nameOf, parseObject, readContext, rows, type Context, type Json, type Noun } from './context.ts';
import { developmentExamples } from './examples.ts';
import { trainIntentModel, type IntentModel } from './intent-model.ts';
import { understand } from './intents.ts';
import { QUESTIONS, type Find, type Understanding } from './understanding.ts';
import { contentWords, normalize, similarity } from './language.ts';
import { speakMore, speakResult } from './replies.ts';
import { choose, type Candidate } from './targets.ts';
import type { Clock } from './when.ts';

const ASKED = new Set<string>(Object.values(QUESTIONS));
// A caller answering question after question is still one request; past this, start afresh.
const MAX_FOLLOW_UPS = 4;
const DROP = /^(?:cancel|never ?mind|forget (?:it|that)|stop|nothing|no|no thanks)$/i;

/** What reads one utterance: the rules, with the intent model's second opinion unless `rulesOnly`. */
type Read = (text: string, clock: Clock, context: Context, rulesOnly?: boolean) => Understanding;

let trained: IntentModel | undefined;

/** The intent model trained on the development phrasings, once per process (a few milliseconds). */
export function developmentIntentModel(): IntentModel {
  trained ??= trainIntentModel(developmentExamples());
  return trained;
}

/**
 * The built-in model: no network, no key. Each turn it reads the caller's words with what the
 * call so far says (context.ts, from the thread's history), looks up the caller's own items when
 * a request names one, calls the tool, and answers from its result in short spoken sentences.
 * It sits behind the same ModelProvider interface as the OpenAI one, so it answers through the
 * same turn loop. `intentModel` replaces the one trained on all the development phrasings (the
 * evaluation leaves out the batch it measures).
 */
export function createOfflineProvider(options: { intentModel?: IntentModel } = {}): ModelProvider {
  const model = options.intentModel ?? developmentIntentModel();
  const read: Read = (text, clock, context, rulesOnly = false) => understand(text, clock, context, rulesOnly ? undefined : model);
  return {
    name: 'convonet.offline',
    model: 'offline-1',
    async complete(request: ModelRequest): Promise<ModelReply> {
      const clock: Clock = { now: request.now, timezone: request.timezone };
      return reply(respond(request, clock, read));
    },
  };
}

function reply(message: AssistantMessage): ModelReply {
  return { message, model: 'offline-1', finishReason: message.toolCalls?.length ? 'tool_calls' : 'stop' };
}

const say = (content: string): AssistantMessage => ({ role: 'assistant', content });

function toolCalls(calls: { name: string; args: Json }[]): AssistantMessage {
  const made: ToolCall[] = calls.map((c) => ({ id: `call_${randomBytes(12).toString('base64url')}`, name: c.name, arguments: JSON.stringify(c.args) }));
  return { role: 'assistant', content: null, toolCalls: made };
}

function respond(request: ModelRequest, clock: Clock, read: Read): AssistantMessage {
  const messages = request.messages.filter((m) => m.role !== 'system');
  const userIndex = messages.findLastIndex((m) => m.role === 'user');
  const user = messages[userIndex];
  if (user?.role !== 'user') return say(fallback(readContext([])));
  const context = readContext(messages.slice(0, userIndex));
  const understood = understandTurn(user.content, clock, context, messages.slice(0, userIndex), read);
  const after = messages.slice(userIndex + 1);
  const lastCalls = [...after].reverse().find((m): m is AssistantMessage => m.role === 'assistant' && !!m.toolCalls?.length);
  if (!lastCalls) return act(understood, request, clock, context);

  const results = after.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
  const answered = (lastCalls.toolCalls ?? []).map((c) => ({ call: c, result: parseObject(results.find((r) => r.toolCallId === c.id)?.content) }));
  // The results of a lookup this turn made for itself: now find the item and act on it.
  const lookedUp = (find: Find): boolean =>
    find.reference === null &&
    after.filter((m) => m.role === 'assistant').length === 1 &&
    answered.every((a) => find.nouns.some((noun) => LOOKUPS[a.call.name] === noun));
  if (understood.kind === 'find' && lookedUp(understood.find)) {
    const candidates = answered.flatMap(({ call, result }) => candidatesOf(call.name, result));
    return resolve(understood.find, candidates, request, clock);
  }
  const about = understood.kind === 'call' ? understood.about : understood.kind === 'find' ? understood.find.about : undefined;
  const sentences = answered.map(({ call, result }) =>
    speakResult(call.name, parseObject(call.arguments), result, clock, about ? (items) => closest(about, items) : undefined),
  );
  return say(sentences.join(' ') || 'Done.');
}

/** The items a question is about ("when is lunch with Alice"): those that fit its words best. */
function closest(about: string[], items: Json[]): Json[] {
  const scored = items.map((item) => ({ item, score: similarity(about, contentWords(nameOf(item))) })).filter((s) => s.score >= 0.5);
  const best = Math.max(0, ...scored.map((s) => s.score));
  return scored.filter((s) => best - s.score < 0.2).map((s) => s.item);
}

/** The caller's words, read with the question we last asked: an answer completes the request that led to it. */
function understandTurn(text: string, clock: Clock, context: Context, history: ChatMessage[], read: Read): Understanding {
  const asked = context.lastReply ?? '';
  // An answer to our question ("at 6 tonight") completes the request that led to it: the model,
  // reading the answer alone, would take it for a request of its own.
  const fresh = read(text, clock, context, ASKED.has(asked));
  if (fresh.kind !== 'unknown' && fresh.kind !== 'more' && !(fresh.kind === 'find' && fresh.find.words.length <= 2 && /^which one\b/i.test(asked))) return fresh;
  if (DROP.test(normalize(text)) && (ASKED.has(asked) || /^which one\b/i.test(asked))) return { kind: 'say', text: "Okay, I've dropped that. What else can I do for you?" };
  // "Which one: A, or B?" answered with "the second" or "the dentist one".
  if (/^which one\b/i.test(asked) && context.lastRequest && context.listing) {
    const original = read(context.lastRequest, clock, readContext(history.slice(0, history.findLastIndex((m) => m.role === 'user'))));
    if (original.kind === 'find') {
      const picked = pickAnswer(text, context.listing.items);
      if (picked) return original.find.act(picked, context.listing.noun);
    }
  }
  if (ASKED.has(asked)) {
    const pending = pendingRequest(history, clock, read);
    if (pending) return read(`${pending} ${answerText(text)}`, clock, context);
  }
  return fresh;
}

function pickAnswer(text: string, items: Json[]): Json | null {
  const ordinal = /\b(first|second|third|last|1st|2nd|3rd)\b/i.exec(text)?.[1]?.toLowerCase();
  if (ordinal) {
    const index = { first: 0, '1st': 0, second: 1, '2nd': 1, third: 2, '3rd': 2, last: items.length - 1 }[ordinal] ?? -1;
    return items[index] ?? null;
  }
  const words = contentWords(text);
  const scored = items.map((item) => ({ item, score: similarity(words, contentWords(nameOf(item))) })).sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  return best && best.score >= 0.5 && (!second || best.score - second.score >= 0.2) ? best.item : null;
}

/** When our last words were a question, the request that led to it with any answers given since. */
function pendingRequest(history: ChatMessage[], clock: Clock, read: Read): string | null {
  const answers: string[] = [];
  let index = history.length;
  for (let steps = 0; steps < MAX_FOLLOW_UPS; steps += 1) {
    const question = history[index - 1];
    const before = history[index - 2];
    if (question?.role !== 'assistant' || question.toolCalls?.length || !ASKED.has(question.content ?? '')) return null;
    if (before?.role !== 'user') return null;
    const context = readContext(history.slice(0, index - 2));
    if (read(before.content, clock, context).kind !== 'unknown') return [normalize(before.content), ...answers].join(' ');
    answers.unshift(answerText(before.content));
    index -= 2;
  }
  return null;
}

/** An answer without the words around it: "it should say buy milk" is "buy milk". */
function answerText(text: string): string {
  return normalize(text).replace(/^(?:it(?:'s| is| should say| says)|call it|say|just|make it|the)\s+/i, '');
}

const LOOKUPS: Record<string, Noun> = { list_todos: 'todo', list_calendar_events: 'event', list_reminders: 'reminder', list_teams: 'team' };

function candidatesOf(tool: string, result: Json): Candidate[] {
  const noun = LOOKUPS[tool];
  if (!noun) return [];
  return rows(result.todos ?? result.events ?? result.reminders ?? result.teams).map((row) => ({ noun, row }));
}

/** The lookups that bring the caller's items of these kinds: todos open or not (their teams' too), events from today on. */
function lookups(find: Find, clock: Clock): { name: string; args: Json }[] {
  const today = localDate(clock.now, clock.timezone);
  const iso = (date: Date) => toZonedIso(date, clock.timezone);
  return find.nouns.flatMap((noun) => {
    if (noun === 'todo') return [{ name: 'list_todos', args: { teams: true } }];
    if (noun === 'reminder') return [{ name: 'list_reminders', args: {} }];
    if (noun === 'team') return [{ name: 'list_teams', args: {} }];
    if (noun === 'event') {
      const from = find.within?.from ?? startOfDay(today, clock.timezone);
      const to = find.within?.to ?? startOfDay(addDays(today, 90), clock.timezone);
      return [{ name: 'list_calendar_events', args: { from: iso(from), to: iso(to) } }];
    }
    return [];
  });
}

const NOT_FOUND: Partial<Record<Noun, string>> = { event: 'on your calendar', reminder: 'among your reminders', team: 'among your teams' };

function resolve(find: Find, candidates: Candidate[], request: ModelRequest, clock: Clock): AssistantMessage {
  const choice = choose(find, find.only ? candidates.filter((c) => find.only!(c.row)) : candidates, clock.now);
  if (choice.kind === 'one') return act(find.act(choice.candidate.row, choice.candidate.noun), request, clock, readContext([]));
  if (choice.kind === 'several') {
    const names = choice.candidates.map((c) => nameOf(c.row));
    return say(`Which one: ${names.slice(0, -1).join(', ')}, or ${names.at(-1)}?`);
  }
  if (find.otherwise) return act(find.otherwise, request, clock, readContext([]));
  const where = NOT_FOUND[find.nouns[0] ?? 'todo'] ?? 'on your list';
  return say(`I couldn't find that ${where}. ${find.question}`);
}

function act(understood: Understanding, request: ModelRequest, clock: Clock, context: Context): AssistantMessage {
  switch (understood.kind) {
    case 'say':
      return say(understood.text);
    case 'ask':
      return say(understood.question);
    case 'unknown':
      return say(fallback(context));
    case 'elsewhere':
      return say(fallback(context, "Sorry, I can't help with that."));
    case 'more':
      return context.listing ? say(speakMore(context.listing, clock, understood.all)) : say(fallback(context));
    case 'find': {
      const { find } = understood;
      if (find.reference !== null) {
        const row = referenced(find, context);
        if (row) return act(find.act(row.row, row.noun), request, clock, context);
        return say(find.question);
      }
      return offered(toolCalls(lookups(find, clock)), request);
    }
    case 'call':
      return offered(toolCalls([{ name: understood.tool, args: understood.args }]), request);
  }
}

/** "it", "that one", "the second one": the row the call's history points at. */
function referenced(find: Find, context: Context): { noun: Noun; row: Json } | null {
  if (find.reference === 'it') {
    if (context.item && find.nouns.includes(context.item.noun)) return context.item;
    return null;
  }
  const listing = context.listing;
  if (!listing || !find.nouns.includes(listing.noun)) return null;
  const index = find.reference === -1 ? Math.max(0, listing.heard - 1) : (find.reference ?? 0);
  const row = listing.items[index];
  return row ? { noun: listing.noun, row } : null;
}

/** Only tools the request offers: an agent configured with fewer tools gets no call to a missing one. */
function offered(message: AssistantMessage, request: ModelRequest): AssistantMessage {
  const missing = (message.toolCalls ?? []).some((c) => !request.tools.some((tool) => tool.name === c.name));
  return missing ? say("Sorry, I can't do that right now.") : message;
}

/** A short fallback that suggests what fits: what the caller just heard, or the main things; shorter when repeated. */
function fallback(context: Context, sorry = "Sorry, I didn't get that."): string {
  const again = sorry.startsWith("Sorry, I didn't") && (context.lastReply?.startsWith("Sorry, I didn't") ?? false);
  if (again) return "Sorry, I still didn't get that. Say help to hear what I can do.";
  const noun = context.listing?.noun;
  if (noun === 'todo') return `${sorry} You can say mark the first one done, or more.`;
  if (noun === 'event') return `${sorry} You can cancel or move one of them, or say more.`;
  if (noun === 'reminder') return `${sorry} You can delete one of them, or say more.`;
  return `${sorry} You can ask about your todos, calendar, reminders or teams.`;
}
