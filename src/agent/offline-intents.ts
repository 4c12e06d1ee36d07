import { understandWhen, type When } from './spoken-time.ts';
import { addDays, startOfDay, toZonedIso } from './zoned-time.ts';

/**
 * What the offline agent makes of one utterance: a tool call (maybe still missing something it
 * must ask for), words to say, or nothing understood. Plain patterns over plain phrasings; a
 * real model does better, this one works with nothing configured and is predictable in tests.
 */
export type Understanding =
  | { kind: 'call'; tool: string; args: Record<string, unknown> }
  | { kind: 'ask'; tool: string; question: string }
  | { kind: 'say'; text: string }
  | { kind: 'unknown' };

export interface Clock {
  now: Date;
  timezone: string;
}

/** Every question the offline agent asks back; a reply to one of them completes the intent. */
export const QUESTIONS = {
  todoTitle: 'What should the todo say?',
  todoTarget: 'Which todo?',
  todoPriority: 'What priority should it have: low, medium, high or urgent?',
  todoChange: 'What should I change about it?',
  reminderMessage: 'What should I remind you about?',
  reminderTime: 'When should I remind you?',
  reminderTarget: 'Which reminder?',
  eventTitle: 'What should I call the event?',
  eventTime: 'When is it?',
  eventTarget: 'Which event?',
  team: 'Which team?',
  teamTodoTitle: 'What should the team todo say?',
  feedback: "What's your feedback?",
} as const;

export const HELP =
  'You can say things like "add a todo to buy milk", "what\'s on my calendar tomorrow", ' +
  '"remind me to call mom at 3 PM", or "who is on the design team".';

const PRIORITY = '(low|medium|normal|high|urgent)';

function priorityOf(word: string | undefined): string | undefined {
  if (!word) return undefined;
  const p = word.toLowerCase();
  return p === 'normal' ? 'medium' : p;
}

/** Trims what a caller says around a name: articles, "called", trailing "please". */
function cleanName(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:called|named|titled|that says|saying|to say|:)\s*/i, '')
    .replace(/^(?:a|an|the|my)\s+/i, '')
    .replace(/[\s,]+(?:please|for me|thanks|thank you)$/i, '')
    .replace(/^["']|["']$/g, '')
    .replace(/[\s,.;:!?-]+$/, '')
    .trim();
}

/** Spoken text in a shape the patterns can rely on: no end punctuation, one spelling of "todo". */
export function normalize(text: string): string {
  return text
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!?]+$/, '')
    .replace(/^(?:ok(?:ay)?|so|um+|uh+|hey|please|can you|could you|would you|i want to|i'd like to)[, ]+/gi, '')
    .replace(/\bto-do(s?)\b/gi, 'todo$1')
    .replace(/\b(a|an|my|the|new|team|this|that)\s+to\s?do(s?)\b/gi, '$1 todo$2')
    .replace(/\bto\s?do\s+list\b/gi, 'todo list')
    .trim();
}

function iso(date: Date, clock: Clock): string {
  return toZonedIso(date, clock.timezone);
}

/** The [from, to) a listing means: a said day or week, else today and the six days after. */
function rangeOf(when: When, clock: Clock): { from: string; to: string } {
  const day = when.day ?? null;
  if (!day) {
    const today = understandWhen('today', clock.now, clock.timezone).day;
    if (!today) throw new Error('today has no date');
    return { from: iso(startOfDay(today, clock.timezone), clock), to: iso(startOfDay(addDays(today, 7), clock.timezone), clock) };
  }
  const span = when.spanDays ?? 1;
  return {
    from: iso(startOfDay(day, clock.timezone), clock),
    to: iso(startOfDay(addDays(day, span), clock.timezone), clock),
  };
}

const call = (tool: string, args: Record<string, unknown>): Understanding => ({ kind: 'call', tool, args });
const ask = (tool: string, question: string): Understanding => ({ kind: 'ask', tool, question });

type Reader = (text: string, clock: Clock) => Understanding | null;

const small: Reader = (text) => {
  if (/^(?:help|what can you do|what can i (?:say|ask|do)|what do you do)\b/i.test(text)) return { kind: 'say', text: HELP };
  if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening))(?: there)?$/i.test(text)) {
    return { kind: 'say', text: 'Hi! What can I do for you?' };
  }
  if (/^(?:thanks|thank you|cool|great|ok|okay|got it)$/i.test(text)) return { kind: 'say', text: 'Anything else?' };
  return null;
};

const transfer: Reader = (text) => {
  const person = '(?:a |an |the |real |live )*(?:person|human|someone|somebody|agent|operator|representative|rep)';
  if (
    new RegExp(`\\b(?:put me through|transfer me|connect me|talk to|speak to|speak with|get me|give me)\\b.*\\b${person}\\b`, 'i').test(text) ||
    /^(?:operator|representative|agent|a human|human|real person)$/i.test(text)
  ) {
    return call('transfer_to_human', { reason: text });
  }
  return null;
};

const feedback: Reader = (text) => {
  const said = /^feedback\b\s*[:,-]?\s*(.*)$/i.exec(text);
  if (said) {
    const comment = (said[1] ?? '').trim();
    return comment ? call('record_feedback', { comment }) : ask('record_feedback', QUESTIONS.feedback);
  }
  if (
    /\b(?:that(?:'s| was| is)|you(?:'re| are| got that| got it)|this is)\s+(?:all\s+|totally\s+|completely\s+)?(?:wrong|not right|incorrect|a mistake|not what i (?:said|asked|meant))\b/i.test(text) ||
    /^(?:wrong|no,? that's wrong)$/i.test(text)
  ) {
    return call('record_feedback', { comment: text });
  }
  return null;
};

/** "assigned to Alice", "and assign it to Bob Stone", "for Alice": the assignee, and the text without it. */
function takeAssignee(text: string): { assignee?: string; rest: string } {
  const match = /[\s,]+(?:and\s+)?(?:assign(?:ed)?(?:\s+it)?\s+to|for)\s+((?:me|myself)|[A-Za-z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s*$/i.exec(text);
  if (!match || match[1] === undefined) return { rest: text };
  return { assignee: match[1], rest: text.slice(0, match.index) };
}

const teams: Reader = (text, clock) => {
  const teamTodo =
    /\b(?:add|create|make|put)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:todo|task)\s+(?:for|to|on)\s+(?:the\s+|my\s+)?(.+?)\s+team\b\s*(.*)$/i.exec(text) ??
    /\b(?:add|create|make)\s+(?:a\s+)?team\s+(?:todo|task)\s+(?:for|to|on)\s+(?:the\s+)?(\w+)(?:\s+team)?\b\s*(.*)$/i.exec(text);
  if (teamTodo) {
    const team = cleanName(teamTodo[1] ?? '');
    const { assignee, rest } = takeAssignee(teamTodo[2] ?? '');
    const priority = /\b(?:with\s+)?(?:a\s+)?(low|medium|normal|high|urgent)\s+priority\b/i.exec(rest);
    const when = understandWhen(priority ? rest.replace(priority[0], ' ') : rest, clock.now, clock.timezone);
    const title = cleanName(when.rest.replace(/^(?:to|that says|saying|:)\s+/i, ''));
    if (!title) return ask('create_team_todo', QUESTIONS.teamTodoTitle);
    return call('create_team_todo', {
      team,
      title,
      ...(assignee ? { assignee } : {}),
      ...(priority ? { priority: priorityOf(priority[1]) } : {}),
      ...(when.at && when.day ? { due_at: iso(when.at, clock) } : {}),
    });
  }
  const members =
    /\bwho(?:'s| is| are| else is)?\s+(?:on|in)\s+(?:the\s+|my\s+|our\s+)?(.+?)(?:\s+team)?$/i.exec(text) ??
    /\b(?:members|people|who)\s+(?:of|on|in)\s+(?:the\s+|my\s+)?(.+?)(?:\s+team)?$/i.exec(text) ??
    /\b(?:the\s+)?(\w+)\s+team(?:'s)?\s+members\b/i.exec(text);
  if (members) {
    const team = cleanName(members[1] ?? '');
    if (!team || /^(?:my|a|the)?\s*team$/i.test(team) || team === 'it') return ask('list_team_members', QUESTIONS.team);
    return call('list_team_members', { team });
  }
  if (/\b(?:what|which)\s+teams\b|\bmy teams\b|\blist\s+(?:my\s+|the\s+|all\s+)?teams\b|\bteams\s+(?:am i|i'm|i am)\b/i.test(text)) {
    return call('list_teams', {});
  }
  return null;
};

const reminders: Reader = (text, clock) => {
  const remove = /\b(?:delete|remove|cancel|clear|drop)\s+(?:the\s+|my\s+)?reminder\b\s*(?:to\s+|about\s+|for\s+|called\s+)?(.*)$/i.exec(text);
  if (remove) {
    const message = cleanName(remove[1] ?? '');
    return message ? call('delete_reminder', { message }) : ask('delete_reminder', QUESTIONS.reminderTarget);
  }
  if (/\breminders\b/i.test(text) && !/\b(?:set|add|create)\b/i.test(text)) {
    const when = understandWhen(text, clock.now, clock.timezone);
    return call('list_reminders', when.day ? rangeOf(when, clock) : {});
  }
  const create =
    /\bremind me\b\s*(.*)$/i.exec(text) ??
    /\b(?:set|add|create|make)\s+(?:a\s+|an\s+|me\s+a\s+)?reminder\b\s*(?:for me\s+)?(.*)$/i.exec(text);
  if (create) {
    const when = understandWhen(create[1] ?? '', clock.now, clock.timezone);
    // "remind me about the meeting" keeps its "about": it is spoken back as "remind you about ...".
    const message = cleanName(when.rest.replace(/^(?:to|that|for|of)\s+/i, ''));
    if (!message) return ask('create_reminder', QUESTIONS.reminderMessage);
    if (!when.at) return ask('create_reminder', QUESTIONS.reminderTime);
    return call('create_reminder', { message, remind_at: iso(when.at, clock) });
  }
  return null;
};

const calendar: Reader = (text, clock) => {
  const remove =
    /\b(?:delete|remove|cancel|clear|drop|call off)\s+(?:the\s+|my\s+)?(meeting|event|appointment|calendar event)\b\s*(.*?)(?:\s+(?:from|off)\s+my\s+calendar)?$/i.exec(text);
  if (remove) {
    const noun = (remove[1] ?? '').toLowerCase();
    const rest = cleanName(remove[2] ?? '');
    const title = rest && noun !== 'event' && noun !== 'calendar event' && /^with\b/i.test(rest) ? `${noun} ${rest}` : rest;
    return title ? call('delete_calendar_event', { title }) : ask('delete_calendar_event', QUESTIONS.eventTarget);
  }
  const offCalendar = /\b(?:delete|remove|take|cancel)\s+(.+?)\s+(?:from|off)\s+my\s+calendar\b/i.exec(text);
  if (offCalendar) return call('delete_calendar_event', { title: cleanName(offCalendar[1] ?? '') });

  const create =
    /\b(?:schedule|book|set up|arrange)\b\s*(.*)$/i.exec(text) ??
    /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?((?:meeting|appointment)\b.*)$/i.exec(text) ??
    /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:calendar\s+)?event\b\s*(.*)$/i.exec(text) ??
    /\b(?:add|put)\s+(.+?\s+(?:on|to|in)\s+my\s+calendar\b.*)$/i.exec(text);
  if (create && !/\b(?:todo|task)\b/i.test(text)) {
    const when = understandWhen((create[1] ?? '').replace(/\s+(?:on|to|in)\s+my\s+calendar\b/i, ' '), clock.now, clock.timezone);
    const title = cleanName(when.rest);
    if (!title) return ask('create_calendar_event', QUESTIONS.eventTitle);
    if (!when.at || !when.hasTime) return ask('create_calendar_event', QUESTIONS.eventTime);
    const ends = when.durationMinutes ? new Date(when.at.getTime() + when.durationMinutes * 60_000) : null;
    return call('create_calendar_event', {
      title,
      starts_at: iso(when.at, clock),
      ...(ends ? { ends_at: iso(ends, clock) } : {}),
    });
  }
  if (/\b(?:todos?|tasks?|todo list)\b/i.test(text)) return null;
  if (
    /\b(?:calendar|schedule|agenda)\b/i.test(text) ||
    /\b(?:any|what|which|my)\s+(?:meetings|events|appointments)\b/i.test(text) ||
    /\bwhat(?:'s| is| do i have)\s+(?:on|happening|planned|going on)\b/i.test(text)
  ) {
    const when = understandWhen(text, clock.now, clock.timezone);
    return call('list_calendar_events', rangeOf(when, clock));
  }
  return null;
};

const todos: Reader = (text, clock) => {
  const listing =
    /\b(?:what(?:'s| is| are)?|list|read|tell me|show|give me|check|any|do i have|how many)\b.*\b(?:todos|todo list|tasks|todo)\b/i.test(text) ||
    /\bwhat do i (?:have|need|still have) to do\b/i.test(text) ||
    /\bwhat(?:'s| is)\s+(?:due|overdue)\b/i.test(text) ||
    /^(?:my\s+)?(?:todos|tasks|todo list)$/i.test(text);
  if (listing && !/\b(?:add|create|mark|delete|remove|complete)\b/i.test(text)) {
    const args: Record<string, unknown> = { completed: /\b(?:completed|finished|done)\b/i.test(text) };
    const team = /\b(?:for|of|on)\s+(?:the\s+|my\s+)?(\w+)\s+team\b/i.exec(text);
    if (team?.[1]) args.team = team[1];
    if (/\boverdue\b/i.test(text)) {
      args.completed = false;
      args.due_before = iso(clock.now, clock);
    } else {
      const before = /\bdue\s+(?:before|by)\s+(.+)$/i.exec(text);
      const after = /\bdue\s+after\s+(.+)$/i.exec(text);
      const when = understandWhen(before?.[1] ?? after?.[1] ?? text, clock.now, clock.timezone);
      if (when.day) {
        const range = rangeOf(when, clock);
        if (before) args.due_before = range.from;
        else if (after) args.due_after = range.to;
        else Object.assign(args, { due_after: range.from, due_before: range.to });
      }
    }
    return call('list_todos', args);
  }

  const rename = /\brename\s+(?:the\s+todo\s+|my\s+todo\s+)?(.+?)\s+to\s+(.+)$/i.exec(text);
  if (rename) return call('update_todo', { title: cleanName(rename[1] ?? ''), new_title: cleanName(rename[2] ?? '') });

  const priority =
    new RegExp(`\\b(?:change|set|make|update|raise|lower|bump)\\s+(?:the\\s+)?priority\\s+(?:of|for|on)\\s+(.+?)(?:\\s+(?:to|as)\\s+|\\s+)${PRIORITY}(?:\\s+priority)?$`, 'i').exec(text) ??
    new RegExp(`\\b(?:make|mark|set|change)\\s+(.+?)\\s+(?:to\\s+|as\\s+)?(?:a\\s+)?${PRIORITY}\\s+priority$`, 'i').exec(text) ??
    new RegExp(`\\b(?:set|change)\\s+(?:the\\s+)?(.+?)(?:'s)?\\s+priority\\s+to\\s+${PRIORITY}$`, 'i').exec(text);
  if (priority) return call('update_todo', { title: cleanName(priority[1] ?? ''), priority: priorityOf(priority[2]) });
  const priorityOnly = /\b(?:change|set|update)\s+(?:the\s+)?priority\s+(?:of|for|on)\s+(.+)$/i.exec(text);
  if (priorityOnly) return ask('update_todo', QUESTIONS.todoPriority);

  const due =
    /\b(?:move|change|push|set|reschedule)\s+(?:the\s+due\s+date\s+(?:of|for|on)\s+)(.+?)\s+(?:to|until|for)\s+(.+)$/i.exec(text) ??
    /\b(?:move|push|reschedule)\s+(.+?)\s+(?:to|until|till)\s+(.+)$/i.exec(text);
  if (due) {
    const when = understandWhen(due[2] ?? '', clock.now, clock.timezone);
    if (when.at) return call('update_todo', { title: cleanName(due[1] ?? ''), due_at: iso(when.at, clock) });
  }

  const done =
    /^(?:mark|check off|tick off|cross off|complete|finish|close)\s+(?:the\s+todo\s+|my\s+todo\s+|the\s+task\s+)?(.+?)(?:\s+(?:as\s+)?(?:done|complete|completed|finished|off))?$/i.exec(text) ??
    /^(?:mark|set)\s+(?:as\s+)?(?:done|complete|completed)\s*(.*)$/i.exec(text) ??
    /^i\s+(?:have\s+|'ve\s+|just\s+)?(?:finished|completed|did|done)\s+(.+)$/i.exec(text) ??
    /^(.+?)\s+is\s+(?:done|finished|complete|completed)$/i.exec(text);
  if (done) {
    const title = cleanName(done[1] ?? '');
    if (!title || /^(?:it|that|this)$/i.test(title)) return ask('complete_todo', QUESTIONS.todoTarget);
    return call('complete_todo', { title });
  }

  const remove = /^(?:delete|remove|drop|erase|get rid of|cross out|cancel)\s+(?:the\s+|my\s+)?(?:todo|task)?\s*(.*?)(?:\s+from\s+my\s+(?:todo list|todos|list|tasks))?$/i.exec(text);
  if (remove) {
    const title = cleanName(remove[1] ?? '');
    if (!title || /^(?:it|that|this)$/i.test(title)) return ask('delete_todo', QUESTIONS.todoTarget);
    return call('delete_todo', { title });
  }

  const create =
    new RegExp(`\\b(?:add|create|make|put|new|write down|jot down|note)\\s+(?:me\\s+)?(?:a\\s+|an\\s+)?(?:new\\s+)?(?:${PRIORITY}[- ]priority\\s+)?(?:todo|task)(?:\\s+item)?\\b\\s*(.*)$`, 'i').exec(text);
  const onList = /\b(?:add|put)\s+(.+?)\s+(?:to|on)\s+my\s+(?:todo list|todos|list|tasks)\b\s*(.*)$/i.exec(text);
  if (create || onList) {
    let body = create ? create[2] ?? '' : `${onList?.[1] ?? ''} ${onList?.[2] ?? ''}`;
    let chosen = priorityOf(create?.[1]);
    const said = /[\s,]*(?:with\s+)?(?:a\s+)?(?:priority\s+(?:of\s+)?(low|medium|normal|high|urgent)|(low|medium|normal|high|urgent)\s+priority)\b/i.exec(body);
    if (said) {
      chosen = priorityOf(said[1] ?? said[2]);
      body = body.replace(said[0], ' ');
    }
    const when = understandWhen(body, clock.now, clock.timezone);
    const title = cleanName(when.rest.replace(/^(?:to|for me to|for|that says|saying|called|named|:)\s+/i, ''));
    if (!title) return ask('create_todo', QUESTIONS.todoTitle);
    return call('create_todo', {
      title,
      ...(chosen ? { priority: chosen } : {}),
      ...(when.at && when.day ? { due_at: iso(when.at, clock) } : {}),
    });
  }
  const need = /^(?:i\s+(?:need|have|must|should|gotta|got)\s+to|don'?t let me forget to)\s+(.+)$/i.exec(text);
  if (need) {
    const when = understandWhen(need[1] ?? '', clock.now, clock.timezone);
    const title = cleanName(when.rest);
    if (title) return call('create_todo', { title, ...(when.at && when.day ? { due_at: iso(when.at, clock) } : {}) });
  }
  return null;
};

// Order matters: the more specific phrasings first ("a todo for the design team" before "a todo",
// "delete the reminder" before "delete ...").
const READERS: Reader[] = [small, transfer, feedback, teams, reminders, calendar, todos];

export function understand(utterance: string, clock: Clock): Understanding {
  const text = normalize(utterance);
  if (!text) return { kind: 'unknown' };
  for (const read of READERS) {
    const understood = read(text, clock);
    if (understood) return understood;
  }
  return { kind: 'unknown' };
}
