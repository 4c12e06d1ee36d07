import { randomBytes } from 'node:crypto';
import type { AssistantMessage, ChatMessage, ToolCall } from './messages.ts';
import { HELP, normalize, QUESTIONS, understand, type Clock, type Understanding } from './offline-intents.ts';
import type { ModelProvider, ModelReply, ModelRequest } from './provider.ts';
import { speakDate, speakOnDay, speakRange, speakTime } from './spoken-time.ts';
import { isWholeDay, localDate, startOfDay } from './zoned-time.ts';

const NOT_UNDERSTOOD = `Sorry, I didn't understand that. ${HELP}`;
const ASKED = new Set<string>(Object.values(QUESTIONS));
// A caller answering question after question is still one request; past this, start afresh.
const MAX_FOLLOW_UPS = 4;

/**
 * The built-in model: no network, no key. It reads the last user message (with the questions it
 * asked before it, to finish an intent it had to ask about) and calls tools; given their results,
 * it answers in short spoken sentences.
 */
export function createOfflineProvider(): ModelProvider {
  return {
    name: 'convonet.offline',
    model: 'offline-1',
    async complete(request: ModelRequest): Promise<ModelReply> {
      const clock: Clock = { now: request.now, timezone: request.timezone };
      const last = request.messages.at(-1);
      if (last?.role === 'tool') return reply({ role: 'assistant', content: answerFromResults(request.messages, clock) });
      return reply(respond(request, clock));
    },
  };
}

function reply(message: AssistantMessage): ModelReply {
  return {
    message,
    model: 'offline-1',
    finishReason: message.toolCalls?.length ? 'tool_calls' : 'stop',
  };
}

function say(content: string): AssistantMessage {
  return { role: 'assistant', content };
}

function respond(request: ModelRequest, clock: Clock): AssistantMessage {
  const { messages } = request;
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex];
  if (last?.role !== 'user') return say(NOT_UNDERSTOOD);

  const fresh = understand(last.content, clock);
  const pending = pendingRequest(messages, lastIndex, clock);
  let understood = fresh;
  if (pending !== null && fresh.kind === 'unknown') {
    if (/^(?:cancel|never ?mind|forget (?:it|that)|stop|nothing|no)$/i.test(normalize(last.content))) {
      return say("Okay, I've dropped that. What else can I do for you?");
    }
    // The reply completes what was asked: read the original request and every answer as one.
    understood = understand(`${pending} ${answerText(last.content)}`, clock);
  }
  return act(understood, request);
}

/**
 * When the assistant's last words were one of our questions, the text of the request that led
 * to it, with any answers already given: "remind me to call mom" for "When should I remind you?".
 */
function pendingRequest(messages: ChatMessage[], userIndex: number, clock: Clock): string | null {
  const answers: string[] = [];
  let index = userIndex;
  for (let steps = 0; steps < MAX_FOLLOW_UPS; steps += 1) {
    const question = messages[index - 1];
    const before = messages[index - 2];
    if (question?.role !== 'assistant' || question.toolCalls?.length || !ASKED.has(question.content ?? '')) return null;
    if (before?.role !== 'user') return null;
    if (understand(before.content, clock).kind === 'ask') return [normalize(before.content), ...answers].join(' ');
    // An earlier answer to an earlier question: keep it and look further back for the request.
    answers.unshift(answerText(before.content));
    index -= 2;
  }
  return null;
}

/** An answer without the words around it: "it should say buy milk" is "buy milk". */
function answerText(text: string): string {
  return normalize(text).replace(/^(?:it(?:'s| is| should say| says)|call it|say|just|make it|the)\s+/i, '');
}

function act(understood: Understanding, request: ModelRequest): AssistantMessage {
  switch (understood.kind) {
    case 'say':
      return say(understood.text);
    case 'ask':
      return say(understood.question);
    case 'unknown':
      return say(NOT_UNDERSTOOD);
    case 'call': {
      // Only tools the request offers: an agent configured with fewer tools gets no call to a missing one.
      if (!request.tools.some((tool) => tool.name === understood.tool)) {
        return say("Sorry, I can't do that right now.");
      }
      const toolCall: ToolCall = {
        id: `call_${randomBytes(12).toString('base64url')}`,
        name: understood.tool,
        arguments: JSON.stringify(understood.args),
      };
      return { role: 'assistant', content: null, toolCalls: [toolCall] };
    }
  }
}

// Speaking from tool results

type Json = Record<string, unknown>;

function parseObject(text: string | undefined): Json {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
  } catch {
    return {};
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const list = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => item !== null && typeof item === 'object') : [];

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** "a", "a, and b", "a, b, and c", and "and 3 more" past five; commas because items may hold their own. */
function spokenList(items: string[]): string {
  const shown = items.slice(0, 5);
  const more = items.length - shown.length;
  if (more > 0) shown.push(`and ${more} more`);
  else if (shown.length > 1) shown[shown.length - 1] = `and ${shown[shown.length - 1]}`;
  return shown.join(', ');
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

function answerFromResults(messages: ChatMessage[], clock: Clock): string {
  let index = messages.length - 1;
  const results: Extract<ChatMessage, { role: 'tool' }>[] = [];
  for (let message = messages[index]; message?.role === 'tool'; message = messages[--index]) results.unshift(message);
  const asking = messages[index];
  const calls = asking?.role === 'assistant' ? (asking.toolCalls ?? []) : [];
  const sentences = results.map((result) => {
    const toolCall = calls.find((c) => c.id === result.toolCallId);
    const payload = parseObject(result.content);
    const error = str(payload.error);
    if (error) return sentence(error);
    return speakResult(toolCall?.name ?? '', parseObject(toolCall?.arguments), payload, clock);
  });
  return sentences.join(' ') || 'Done.';
}

function dueClause(item: Json, clock: Clock, at = 'due_at'): string {
  const due = str(item[at]);
  return due ? `, due ${speakDate(new Date(due), clock.now, clock.timezone)}` : '';
}

function speakResult(tool: string, args: Json, result: Json, clock: Clock): string {
  const { now, timezone } = clock;
  const todo = (result.todo ?? result.deleted) as Json | undefined;
  switch (tool) {
    case 'create_todo':
      return `Added ${str(todo?.title)} to your todos${todo ? dueClause(todo, clock) : ''}.`;
    case 'list_todos': {
      const todos = list(result.todos);
      const which = args.completed === true ? 'finished ' : args.completed === false ? 'open ' : '';
      const team = str(result.team);
      const owner = team ? `The ${team} team has` : 'You have';
      const window = describeDueWindow(args, clock);
      if (todos.length === 0) return `${owner} no ${which}todos${window}.`;
      const items = todos.map((t) => `${str(t.title)}${dueClause(t, clock)}`);
      return `${owner} ${plural(todos.length, `${which}todo`)}${window}: ${spokenList(items)}.`;
    }
    case 'complete_todo':
      return result.already_completed
        ? `${str(todo?.title)} was already done.`
        : `Marked ${str(todo?.title)} as done.`;
    case 'update_todo': {
      const changes: string[] = [];
      if (args.new_title !== undefined) changes.push(`it's now called ${str(todo?.title)}`);
      if (args.priority !== undefined) changes.push(`the priority is now ${str(todo?.priority)}`);
      if (args.due_at !== undefined) {
        const due = str(todo?.due_at);
        changes.push(due ? `it's due ${speakDate(new Date(due), now, timezone)}` : 'it has no due date now');
      }
      if (args.description !== undefined) changes.push('the description is updated');
      const name = args.new_title !== undefined ? str(args.title) : str(todo?.title);
      return changes.length ? `Updated ${name}: ${changes.join(', and ')}.` : `Updated ${name}.`;
    }
    case 'delete_todo':
      return `Deleted ${str(todo?.title)} from your todos.`;
    case 'create_reminder': {
      const reminder = (result.reminder ?? {}) as Json;
      const at = str(reminder.remind_at);
      return `Okay, I'll remind you ${remindPhrase(str(reminder.message) ?? '')}${at ? ` ${speakDate(new Date(at), now, timezone)}` : ''}.`;
    }
    case 'list_reminders': {
      const reminders = list(result.reminders);
      const from = str(args.from);
      const to = str(args.to);
      const window = from && to ? ` ${speakRange(new Date(from), new Date(to), now, timezone)}` : '';
      if (reminders.length === 0) return `You have no upcoming reminders${window}.`;
      const items = reminders.map((r) => {
        const at = str(r.remind_at);
        return `${str(r.message)}${at ? `, ${speakDate(new Date(at), now, timezone)}` : ''}`;
      });
      return `You have ${plural(reminders.length, 'reminder')}${window}: ${spokenList(items)}.`;
    }
    case 'delete_reminder': {
      const reminder = (result.deleted ?? {}) as Json;
      return `Deleted the reminder ${remindPhrase(str(reminder.message) ?? '')}.`;
    }
    case 'create_calendar_event': {
      const event = (result.event ?? {}) as Json;
      const start = str(event.starts_at);
      const end = str(event.ends_at);
      if (!start || !end) return `Scheduled ${str(event.title)}.`;
      return `Scheduled ${str(event.title)} ${speakOnDay(new Date(start), now, timezone)} from ${speakTime(new Date(start), timezone)} to ${speakTime(new Date(end), timezone)}.`;
    }
    case 'list_calendar_events': {
      const events = list(result.events);
      const from = new Date(str(result.from) ?? str(args.from) ?? now.toISOString());
      const to = new Date(str(result.to) ?? str(args.to) ?? now.toISOString());
      const oneDay = isWholeDay(from, to, timezone);
      const window = describeWindow(from, to, clock);
      if (events.length === 0) return `There's nothing on your calendar ${window}.`;
      const items = events.map((e) => {
        const start = new Date(str(e.starts_at) ?? now.toISOString());
        return `${str(e.title)} ${oneDay && sameDay(start, from, timezone) ? `at ${speakTime(start, timezone)}` : speakDate(start, now, timezone)}`;
      });
      return `You have ${plural(events.length, 'event')} ${window}: ${spokenList(items)}.`;
    }
    case 'delete_calendar_event':
      return `Removed ${str((result.deleted as Json | undefined)?.title)} from your calendar.`;
    case 'list_teams': {
      const teams = list(result.teams);
      if (teams.length === 0) return "You're not on any teams.";
      const items = teams.map((t) => `${str(t.name)}${t.role === 'member' ? '' : ` as ${t.role === 'owner' ? 'the owner' : `a ${str(t.role)}`}`}`);
      return `You're on ${plural(teams.length, 'team')}: ${spokenList(items)}.`;
    }
    case 'list_team_members': {
      const team = str((result.team as Json | undefined)?.name) ?? 'That';
      const members = list(result.members);
      const items = members.map((m) => {
        const name = m.is_you === true ? 'you' : (str(m.name) ?? 'someone');
        return m.role === 'member' ? name : `${name} (${str(m.role)})`;
      });
      return `The ${team} team has ${plural(members.length, 'member')}: ${spokenList(items)}.`;
    }
    case 'create_team_todo': {
      const assigned = str(todo?.assigned_to);
      return `Added ${str(todo?.title)} to the ${str(todo?.team)} team's todos${assigned ? `, assigned to ${assigned}` : ''}${todo ? dueClause(todo, clock) : ''}.`;
    }
    case 'transfer_to_human':
      return 'Okay, putting you through to a person now.';
    case 'record_feedback':
      return "Thanks, I've passed your feedback on.";
    default:
      return 'Done.';
  }
}

function remindPhrase(message: string): string {
  return /^about\b/i.test(message) ? message : `to ${message}`;
}

function sameDay(a: Date, b: Date, timeZone: string): boolean {
  const x = localDate(a, timeZone);
  const y = localDate(b, timeZone);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

function describeWindow(from: Date, to: Date, clock: Clock): string {
  const today = startOfDay(localDate(clock.now, clock.timezone), clock.timezone);
  const week = 7 * 24 * 60 * 60 * 1000;
  // A week from today or from now: the default range when no day was said.
  if ((from.getTime() === today.getTime() || from.getTime() === clock.now.getTime()) && Math.abs(to.getTime() - from.getTime() - week) <= 60 * 60 * 1000) {
    return 'in the next seven days';
  }
  return speakRange(from, to, clock.now, clock.timezone);
}

function describeDueWindow(args: Json, clock: Clock): string {
  const after = str(args.due_after);
  const before = str(args.due_before);
  if (after && before) return ` due ${speakRange(new Date(after), new Date(before), clock.now, clock.timezone)}`;
  if (before) {
    const at = new Date(before);
    if (Math.abs(at.getTime() - clock.now.getTime()) < 60_000) return ' overdue';
    return ` due before ${speakDate(at, clock.now, clock.timezone, { time: !isMidnight(at, clock) })}`;
  }
  if (after) return ` due after ${speakDate(new Date(after), clock.now, clock.timezone, { time: !isMidnight(new Date(after), clock) })}`;
  return '';
}

function isMidnight(date: Date, clock: Clock): boolean {
  return startOfDay(localDate(date, clock.timezone), clock.timezone).getTime() === date.getTime();
}
