/**
 * What the offline agent makes of one utterance. Readers look for what a request is about (todos,
 * reminders, the calendar, teams) and what the caller wants done with it, from cue words and
 * lemmas rather than whole sentences; dates come from when.ts, and the thing a request acts on
 * is described by its content words, to be matched against the caller's own items (targets.ts).
 */
import { contentWords, normalize, saysDone } from './language.ts';
import type { Context, Json, Noun } from './context.ts';
import { listingRange, readWhen, type Clock, type When } from './when.ts';
import { toZonedIso } from '../zoned-time.ts';

/** A row to find before acting on it: by what the caller called it, "it", "the second one", or when it starts. */
export interface Find {
  nouns: Noun[];
  words: string[];
  /** "it", "that": the last thing talked about; a number: that item of the last list heard (0-based, -1 the last). */
  reference: 'it' | number | null;
  /** An event starting then ("my 3 o'clock"), or on that day ("my appointment on Friday"). */
  startsAt: Date | null;
  within: { from: Date; to: Date } | null;
  act: (row: Json, noun: Noun) => Understanding;
  question: string;
}

export type Understanding =
  | { kind: 'call'; tool: string; args: Json; about?: string[] }
  | { kind: 'find'; find: Find }
  | { kind: 'ask'; question: string }
  | { kind: 'say'; text: string }
  | { kind: 'more' }
  | { kind: 'unknown' };

/** Every question the offline agent asks back; a reply to one of them completes the request. */
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
  eventNewTime: 'When should I move it to?',
  team: 'Which team?',
  teamTodoTitle: 'What should the team todo say?',
  feedback: "What's your feedback?",
} as const;

export const HELP =
  'I can add and read your todos, set reminders, check and change your calendar, and tell you about your teams. Try: add a todo to buy milk.';

const call = (tool: string, args: Json, about?: string[]): Understanding => ({ kind: 'call', tool, args, ...(about?.length ? { about } : {}) });
const ask = (question: string): Understanding => ({ kind: 'ask', question });
const iso = (date: Date, clock: Clock): string => toZonedIso(date, clock.timezone);

const PRONOUN = /^(?:it|that|this|that one|this one|them|those|these|one|something|anything|stuff|things?)$/i;
const ORDINALS: Record<string, number> = { first: 0, second: 1, third: 2, fourth: 3, fifth: 4, sixth: 5, seventh: 6, eighth: 7, ninth: 8, tenth: 9, last: -1, '1st': 0, '2nd': 1, '3rd': 2, '4th': 3, '5th': 4 };

/** "the second one", "number 3", "the last": which item of the last list. */
function ordinalIn(text: string): number | null {
  const said = /\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th)(?:\s+one)?\b/i.exec(text) ?? /\bnumber\s+(\d+)\b/i.exec(text);
  if (!said?.[1]) return null;
  return /^\d+$/.test(said[1]) ? Number(said[1]) - 1 : (ORDINALS[said[1].toLowerCase()] ?? null);
}

/** Whether the words name the thing by "it", "that", "that one". */
function pronounOnly(words: string): boolean {
  return PRONOUN.test(words.trim()) || /^(?:it|that|this)(?: one)?\s+(?:done|off|again)$/i.test(words.trim());
}

// Priorities said as adjectives or phrases: "an urgent todo", "not important", "a high priority".
function priorityIn(text: string): { priority: string; said: RegExp } | null {
  const forms: [RegExp, string][] = [
    [/\b(?:low[- ]priority|low|not (?:that )?(?:urgent|important)|(?:isn't|aren't|is not|are not) (?:that )?(?:urgent|important)|unimportant|can wait|no rush)\b/gi, 'low'],
    [/\b(?:urgent|critical|asap|top[- ]priority|highest priority)\b/gi, 'urgent'],
    [/\b(?:high[- ]priority|high|important)\b/gi, 'high'],
    [/\b(?:medium|normal)(?:[- ]priority)?\b/gi, 'medium'],
  ];
  for (const [said, priority] of forms) if (new RegExp(said.source, 'i').test(text)) return { priority, said };
  return null;
}

function withoutPriority(text: string): string {
  const found = priorityIn(text);
  return found ? text.replace(found.said, ' ').replace(/\b(?:a|an)\s+priority\b|\bpriority\b/gi, ' ') : text;
}

/** Words a caller says around a title: "called", "a", "to my list", "please". */
function cleanTitle(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:(?:called|named|titled|that says|saying|to say|that|which is|:|-|,)\s*)+/i, '')
    .replace(/^(?:a|an|the)\s+(?=\S+\s+\S)/i, '')
    .replace(/[\s,]+(?:please|for me|thanks|thank you)$/i, '')
    .replace(/^["']|["']$/g, '')
    .replace(/[\s,.;:!?-]+$/, '')
    .replace(/^[\s,.;:!?-]+/, '')
    .trim();
}

const TODO_WORDS = /\b(?:todos?|tasks?|to do|list|backlog|chores?)\b/i;
const EVENT_WORDS = /\b(?:calendar|meetings?|events?|appointments?|schedule|agenda|diary|calls?|lunch|dinner|breakfast|coffee|class|review|sync|standup|planning|interview)\b/i;
const REMINDER_WORDS = /\b(?:remind(?:er|ers|ing|ed)?|alerts?)\b/i;
const TEAM_NAME = /\b(?:the\s+|my\s+|our\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*)?)(?:'s)?\s+(?:team|group)(?:'s)?\b/i;

/** The team a phrase names: "the design team", "in engineering", "the engineering backlog". */
function teamIn(text: string): string | null {
  const named = TEAM_NAME.exec(text);
  if (named?.[1]) {
    const name = named[1].replace(/^(?:(?:a|the|my|our|your|which|what|this|that|any|on|in|of|for|to)\s+)+/i, '');
    return /^(?:a|the|my|our|your|which|what|this|that|any|on|in|of|for|to)$/i.test(name) ? '' : name;
  }
  const backlog = /\bthe\s+([a-z]+)\s+backlog\b/i.exec(text);
  return backlog?.[1] ?? null;
}

// Obligations said as statements: "I need to remember to buy stamps", "I've got to finish the slides".
const NEED = /^(?:i\s+(?:need|have|must|should|gotta|got|'ve got|have got)\s+to|i've\s+got\s+to|i\s+need\s+to\s+remember\s+to|remember\s+to|don'?t let me forget to|i must not forget to)\s+(.+)$/i;

type Reader = (text: string, clock: Clock, context: Context) => Understanding | null;

const smallTalk: Reader = (text) => {
  if (/^(?:help|what can you do|what can i (?:say|ask|do)(?: you)?|what do you do|how does this work|what are my options)\b/i.test(text)) return { kind: 'say', text: HELP };
  const how = /^how (?:do|can) i (?:add|set|make|create|check|see|hear|cancel|delete|move)\s+(?:a |an |my )?(\w+)/i.exec(text);
  if (how) {
    const thing = how[1]?.toLowerCase() ?? '';
    if (/^remind/.test(thing)) return { kind: 'say', text: 'Just say remind me, what to do and when: remind me to call mom at 3 PM.' };
    if (/^(?:event|meeting|appointment|calendar)/.test(thing)) return { kind: 'say', text: 'Say what and when: schedule lunch with Sam on Friday at noon.' };
    return { kind: 'say', text: 'Say add a todo and what it is: add a todo to buy milk.' };
  }
  if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening)|hiya|howdy)(?: there)?$/i.test(text)) return { kind: 'say', text: 'Hi! What can I do for you?' };
  if (/^(?:thanks|thank you|cool|great|ok|okay|got it|perfect|nice|alright)(?: very much| so much)?$/i.test(text)) return { kind: 'say', text: 'Anything else?' };
  return null;
};

const more: Reader = (text, _clock, context) => {
  if (!context.listing) return null;
  return /^(?:(?:and\s+)?(?:more|the rest|the others|others)|(?:tell|read|give|show) me (?:the )?(?:rest|more|others)|read (?:me )?(?:the )?rest|what else|anything else|go on|keep going|continue|carry on|next|and|and then|what are the others|what about the (?:rest|others))\b/i.test(text)
    ? { kind: 'more' }
    : null;
};

const transfer: Reader = (text) => {
  const person = '(?:a |an |the |real |live |actual )*(?:person|human|someone|somebody|agent|operator|representative|rep|customer (?:service|support)|support)';
  if (new RegExp(`\\b(?:put me through|transfer me|connect me|talk to|speak to|speak with|talk with|get me|give me|let me talk|let me speak)\\b.*\\b${person}\\b`, 'i').test(text) || new RegExp(`^${person}$`, 'i').test(text)) {
    return call('transfer_to_human', { reason: text });
  }
  return null;
};

const feedback: Reader = (text) => {
  const said = /^(?:feedback|i (?:want|would like|'d like) to (?:leave|give) (?:some )?feedback)\b\s*[:,-]?\s*(.*)$/i.exec(text);
  if (said) {
    const comment = (said[1] ?? '').trim();
    return comment ? call('record_feedback', { comment }) : ask(QUESTIONS.feedback);
  }
  if (
    /\b(?:that(?:'s| was| is)|you(?:'re| are))\s+(?:all\s+|totally\s+|completely\s+)?(?:wrong|not right|incorrect|a mistake|not what i (?:said|asked|meant))\b/i.test(text) ||
    /\b(?:you (?:got (?:that|it) wrong|misheard|misunderstood|didn't understand)|not what i (?:said|asked|meant))\b/i.test(text) ||
    /^(?:wrong|no,? (?:that's )?wrong)$/i.test(text)
  ) {
    return call('record_feedback', { comment: text });
  }
  return null;
};

/** "assigned to Alice", "and give it to Bob", "assign Priya a task": the assignee, and the text without it. */
function takeAssignee(text: string): { assignee?: string; rest: string } {
  const after = /[\s,]+(?:and\s+)?(?:assign(?:ed)?(?:\s+it)?\s+to|give\s+it\s+to|for)\s+((?:me|myself)|[A-Za-z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s*$/i.exec(text);
  if (after?.[1]) return { assignee: after[1], rest: text.slice(0, after.index) };
  const before = /\bassign\s+([A-Z][\w'-]*)\s+(?:a\s+)?(?:task|todo)\b/.exec(text);
  if (before?.[1]) return { assignee: before[1], rest: text.replace(before[0], 'add a task') };
  return { rest: text };
}

const teams: Reader = (text, clock) => {
  const team = teamIn(text);
  // Adding to a team: "add a todo for the design team to ...", "the design team needs to ...".
  if (team !== null && /\b(?:add|create|make|put|assign|new)\b|\bneeds? to\b/i.test(text) && !/^(?:what|who|which|list|show|read|tell)\b/i.test(text)) {
    if (!team) return ask(QUESTIONS.team);
    const { assignee, rest } = takeAssignee(text);
    const priority = priorityIn(rest);
    const when = readWhen(withoutPriority(rest), clock);
    let title = when.rest
      .replace(/\b(?:for|to|on|in|from)\s+(?:the\s+|my\s+|our\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*)?(?:'s)?\s+(?:team|group)(?:'s)?(?:\s+(?:todo\s+)?(?:list|todos|tasks|backlog))?\b/i, ' ')
      .replace(TEAM_NAME, ' ')
      .replace(new RegExp(`\\b(?:for|to|on|in)\\s+(?:the\\s+)?${team}\\b`, 'i'), ' ')
      .replace(/^.*?\b(?:add|create|make|put|new)\s+(?:(?:a|an|new|one|team)\s+)*(?:(?:todo|task)\s+(?:item\s+)?)?/i, '')
      .replace(/^.*?\bneeds? to\s+/i, '')
      .replace(/\b(?:to|on)\s+(?:the\s+)?(?:todo\s+)?(?:list|todos)\b.*$/i, '')
      .replace(/^(?:to|for|:)\s+/i, '');
    title = cleanTitle(title.replace(/^(?:to|for|:)\s+/i, ''));
    if (!title || pronounOnly(title) || /^team todo$/i.test(title)) return ask(QUESTIONS.teamTodoTitle);
    return call('create_team_todo', {
      team,
      title,
      ...(assignee ? { assignee } : {}),
      ...(priority ? { priority: priority.priority } : {}),
      ...(when.at && when.hasDay ? { due_at: iso(when.at, clock) } : {}),
    });
  }
  if (/\b(?:add|create|make)\s+a\s+team\s+(?:todo|task)\b/i.test(text)) return ask(QUESTIONS.team);
  if (/\b(?:what|which|list|tell me about|show)\b.*\b(?:teams|groups)\b|\bmy teams\b|\bteams?\s+(?:am i|i'm|i am)\b|\bam i (?:in|on|part of) any (?:teams|groups)\b/i.test(text)) return call('list_teams', {});

  const people = /^(?:who|is\s+[A-Z]?\w+\s+(?:on|in)|list the members|members|tell me who)\b|\bmembers?\b|\bowner\b|\bwho(?:'s| is| else| works)\b/i.test(text);
  if (people && !/\b(?:todos?|tasks?|reminders?|calendar)\b/i.test(text)) {
    const named = team ?? /\b(?:in|on)\s+([a-z]+)\b/i.exec(text)?.[1] ?? null;
    if (!named || /^(?:my|our|the|a)$/i.test(named)) return ask(QUESTIONS.team);
    return call('list_team_members', { team: named });
  }
  // A team's todos: "what's on the design team's list", "what does engineering have to do".
  const subject = /^(?:what(?:'s| is| does| has)|does|has|is)\s+(?:the\s+)?([a-z]+)(?:\s+team)?\s+(?:have|got|working|need|finished|done|completed|left)/i.exec(text)?.[1];
  const teamTodos = team ?? (subject && !/^(?:i|you|we|my|left|due|next|on|there|it)$/i.test(subject) ? subject : null);
  if (teamTodos !== null && (/\b(?:todos?|tasks?|list|backlog|working on|have to do|need to do|left|finished|done|completed|anything|urgent)\b/i.test(text))) {
    if (!teamTodos || /^(?:my|our)$/i.test(teamTodos)) return ask(QUESTIONS.team);
    const finished = /\b(?:finished|done|completed)\b/i.test(text);
    return call('list_team_todos', { team: teamTodos, completed: finished });
  }
  if (/\bmy team'?s?\b/i.test(text) && /\b(?:list|todos?|tasks?)\b/i.test(text)) return ask(QUESTIONS.team);
  return null;
};

function reminderTarget(clock: Clock, words: string, act: Find['act']): Understanding {
  const ordinal = ordinalIn(words);
  const described = contentWords(words.replace(/\b(?:remind(?:er|ing)?|me|about|to|for)\b/gi, ' '));
  const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this)\b/i.test(words) ? 'it' : null);
  if (described.length === 0 && reference === null) return ask(QUESTIONS.reminderTarget);
  return { kind: 'find', find: { nouns: ['reminder'], words: described, reference, startsAt: null, within: null, act, question: QUESTIONS.reminderTarget } };
  void clock;
}

const reminders: Reader = (text, clock, context) => {
  const removing = /\b(?:delete|remove|cancel|clear|drop|forget|scrap|get rid of|stop reminding me|don't need|do not need|no longer need)\b/i.test(text);
  if (REMINDER_WORDS.test(text) && removing) {
    const words = text.replace(/\b(?:delete|remove|cancel|clear|drop|forget(?: about)?|scrap|get rid of|stop|reminding|don't need|do not need|no longer need|anymore|any more|the reminder|my reminder|reminder|i)\b/gi, ' ');
    return reminderTarget(clock, words, (row) => call('delete_reminder', { id: row.id }));
  }
  const asking = /^(?:what|which|did|do|have|any|am|list|read|tell)\b/i.test(text) && !/\bremind me (?:to|about|at|in|on|tomorrow)\b.*\b(?:to|about)\b/i.test(text);
  if (asking && REMINDER_WORDS.test(text)) {
    const when = readWhen(text, clock);
    if (!when.range) return call('list_reminders', {});
    const from = when.range.from.getTime() < clock.now.getTime() ? clock.now : when.range.from;
    return call('list_reminders', { from: iso(from, clock), to: iso(when.range.to, clock) });
  }
  const create = /\bremind me\b\s*(.*)$/i.exec(text) ?? /\b(?:set|add|create|make|need|want)\s+(?:a\s+|an\s+|me\s+a\s+)?reminder\b\s*(?:for me\s+)?(.*)$/i.exec(text);
  if (create) {
    const said = readWhen(create[1] ?? '', clock);
    // "in half an hour remind me to move the car": the time may come first.
    const when = said.at ? said : { ...readWhen(text.slice(0, create.index), clock), rest: said.rest };
    let message = cleanTitle(when.rest.replace(/^(?:i\s+need\s+a|remind me|set a|can)\b/i, '').replace(/^(?:to|that|for|of)\s+/i, ''));
    message = message.replace(/^(?:to|that|for|of)\s+/i, '');
    if (/^about (?:it|that|this)$/i.test(message) || pronounOnly(message)) {
      const item = context.item;
      message = item ? `${typeof item.row.title === 'string' ? item.row.title : typeof item.row.message === 'string' ? item.row.message : ''}` : '';
    }
    if (!message) return ask(QUESTIONS.reminderMessage);
    if (!when.at) return ask(QUESTIONS.reminderTime);
    return call('create_reminder', { message, remind_at: iso(when.at, clock) });
  }
  if (REMINDER_WORDS.test(text) && !/\b(?:set|add|create)\b/i.test(text)) {
    const when = readWhen(text, clock);
    if (!when.range) return call('list_reminders', {});
    const from = when.range.from.getTime() < clock.now.getTime() ? clock.now : when.range.from;
    return call('list_reminders', { from: iso(from, clock), to: iso(when.range.to, clock) });
  }
  return null;
};

/** The new time for an event or todo being moved: said outright, or a shift ("back an hour"), on the row's own day when only a time is said. */
function movedTime(row: Json, when: When, clock: Clock, field: 'starts_at' | 'due_at'): Date | null {
  const current = typeof row[field] === 'string' ? new Date(row[field] as string) : null;
  if (when.shiftMinutes !== null && current) return new Date(current.getTime() + when.shiftMinutes * 60_000);
  const target = when.then ?? (when.at ? { at: when.at, hasDay: when.hasDay } : null);
  if (!target) return null;
  if (!current) return target.at;
  const local = (date: Date) => toZonedIso(date, clock.timezone);
  if (target.hasDay && !when.hasTime) {
    // "move it to Monday": that day, at the time it had.
    return new Date(`${local(target.at).slice(0, 10)}${local(current).slice(10)}`);
  }
  if (!target.hasDay) return new Date(`${local(current).slice(0, 10)}${local(target.at).slice(10, 19)}${local(current).slice(19)}`);
  return target.at;
}

const MOVE = /\b(?:move|moved|push|pushed|reschedule|delay|postpone|bring|shift|change the (?:time|date|day) of|change the due date (?:of|for|on))\b/i;
const CANCEL = /\b(?:cancel|call off|scratch|delete|remove|take\s+.*\boff my calendar|can't make|cannot make|won't make)\b/i;

const calendar: Reader = (text, clock, context) => {
  if (saysDone(text) && !CANCEL.test(text)) return null;
  const when = readWhen(text, clock);
  const event = (words: string, act: Find['act'], question: string, nouns: Noun[] = ['event']): Understanding => {
    const ordinal = ordinalIn(words);
    const described = contentWords(
      words.replace(/\b(?:my|the|calendar|off|from|on|o'clock|meeting|event|appointment(?=\s+on\b))\b/gi, (word) => (/^(?:meeting|appointment)$/i.test(word) ? word : ' ')),
    );
    const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this)\b/i.test(words) ? 'it' : null);
    // "my 3 o'clock": when a time was said and no day, the event starting at that time.
    const startsAt = when.hasTime && !when.then && when.shiftMinutes === null && question !== QUESTIONS.eventNewTime ? when.at : null;
    const within = !startsAt && when.hasDay && question !== QUESTIONS.eventNewTime ? when.range : null;
    if (described.length === 0 && reference === null && !startsAt && !within) return ask(question);
    return { kind: 'find', find: { nouns, words: described, reference, startsAt, within, act, question } };
  };

  if (MOVE.test(text) && !REMINDER_WORDS.test(text) && !/\bpriority\b/i.test(text)) {
    if (!when.at && when.shiftMinutes === null && !when.then) {
      return EVENT_WORDS.test(text) || /\b(?:it|that)\b/i.test(text) ? ask(QUESTIONS.eventNewTime) : null;
    }
    const toTime = when.then ? when.rest : when.rest.replace(/\s+\b(?:to|until|till|for)\b\s*$/i, '');
    const words = toTime.replace(MOVE, ' ').replace(/\b(?:back|forward|later|earlier|by|to|until|till|can we|up|out)\b/gi, ' ');
    const dueDate = /\bdue\b/i.test(text);
    const nouns: Noun[] = dueDate || TODO_WORDS.test(text) ? ['todo'] : ['event', 'todo'];
    const current = when.then ? (when.at ?? null) : null;
    const found = event(
      words,
      (row, noun) => {
        const moved = movedTime(row, when, clock, noun === 'todo' ? 'due_at' : 'starts_at');
        if (!moved) return ask(QUESTIONS.eventNewTime);
        return noun === 'todo' ? call('update_todo', { id: row.id, due_at: iso(moved, clock) }) : call('move_calendar_event', { id: row.id, starts_at: iso(moved, clock) });
      },
      QUESTIONS.eventNewTime,
      nouns,
    );
    if (found.kind === 'find' && current) found.find.startsAt = current;
    if (found.kind === 'ask' && current) return { kind: 'find', find: { nouns: ['event'], words: [], reference: null, startsAt: current, within: null, act: found.kind === 'ask' ? (row) => call('move_calendar_event', { id: row.id, starts_at: iso(movedTime(row, when, clock, 'starts_at') ?? new Date(), clock) }) : () => ({ kind: 'unknown' }), question: QUESTIONS.eventNewTime } };
    return found;
  }

  if (CANCEL.test(text) && !TODO_WORDS.test(text) && !REMINDER_WORDS.test(text)) {
    const words = when.rest.replace(/\b(?:cancel|call off|scratch|delete|remove|take|off|i can't make|can't make|cannot make|won't make|actually)\b/gi, ' ');
    if (/\b(?:cancel|call off|scratch)\b/i.test(text) || EVENT_WORDS.test(text) || when.at) {
      return event(words, (row) => call('delete_calendar_event', { id: row.id }), QUESTIONS.eventTarget);
    }
  }

  const create =
    /\b(?:schedule|book|set up|arrange|block out|block off|pencil in)\b\s*(.*)$/i.exec(text) ??
    /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:calendar\s+)?event\b\s*(.*)$/i.exec(text) ??
    /\b(?:add|put|create|make)\s+(?:a\s+|an\s+)?(?:new\s+)?((?:[\w']+\s+){0,3}(?:meeting|appointment|lunch|dinner|interview|session)\b.*)$/i.exec(text) ??
    /^(?:add|put)\s+(.+?\s+(?:on|to|in|into)\s+my\s+calendar\b.*)$/i.exec(text) ??
    /^(?:i have|i've got|i'm meeting|i am meeting|there's)\s+(.+?),?\s+(?:put|add)\s+(?:it|that)\s+(?:on|in|to|into)\s+(?:my\s+)?calendar$/i.exec(text);
  const question = /^(?:what|when|how|do|does|is|am|are|any|where|which)\b/i.test(text);
  if (create && !question && !/\b(?:todo|task)\b/i.test(text)) {
    const body = (create[1] ?? '').replace(/[,\s]+(?:it's|it is)\s+(?=on\b|at\b)/i, ' ').replace(/\s+(?:on|to|in|into)\s+my\s+calendar\b,?/i, ' ').replace(/,?\s+(?:put|add)\s+(?:it|that)\s+(?:on|in|to|into)\s+(?:my\s+)?calendar$/i, '');
    const at = readWhen(body, clock);
    let title = cleanTitle(at.rest.replace(/^(?:a|an)\s+(?:new\s+)?/i, '').replace(/\b(?:two|three|an?|one|\d+)\s+hours?\s+for\s+/i, '').replace(/^(?:out|off)\s+/i, ''));
    if (/^i'm meeting|^i am meeting/i.test(text)) title = cleanTitle(at.rest.replace(/^(\w+)\s+for\s+(.+)$/i, '$2 with $1'));
    if (/^the conference room for /i.test(title)) title = title.replace(/^the conference room for /i, '');
    if (!title || pronounOnly(title)) return ask(QUESTIONS.eventTitle);
    if (!at.at || !at.hasTime) return ask(QUESTIONS.eventTime);
    const block = /\b(?:two|three|an?|one|\d+)\s+hours?\b/i.exec(body);
    const duration = at.durationMinutes ?? (block ? (block[0].startsWith('two') ? 120 : block[0].startsWith('three') ? 180 : 60) : null);
    return call('create_calendar_event', {
      title,
      starts_at: iso(at.at, clock),
      ...(duration ? { ends_at: iso(new Date(at.at.getTime() + duration * 60_000), clock) } : {}),
    });
  }

  if ((TODO_WORDS.test(text) || /\b(?:due|overdue)\b/i.test(text)) && !/\b(?:calendar|meetings?|appointments?)\b/i.test(text)) return null;
  const asksWhen = /^when(?:'s| is| are| do i have)\s+(?:my\s+|the\s+)?(.+)$/i.exec(text);
  if (asksWhen && !REMINDER_WORDS.test(text)) {
    const today = listingRange({ ...when, range: null }, clock).from;
    return call('list_calendar_events', { from: iso(today, clock), to: iso(new Date(today.getTime() + 60 * 24 * 3_600_000), clock) }, contentWords(asksWhen[1] ?? ''));
  }
  if (
    /\b(?:calendar|schedule|agenda|diary|meetings|events|appointments|free|busy|available)\b/i.test(text) ||
    /^(?:what|anything|any)\b.*\b(?:meeting|event|appointment)\b/i.test(text) ||
    /\bwhat(?:'s| is| do i have| have i got| am i doing| does my)\s*(?:on|happening|planned|going on|up|next|for)?\b.*\b(?:today|tonight|tomorrow|week|weekend|day|morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d+(?:st|nd|rd|th))\b/i.test(text) ||
    /\b(?:where do i need to be|how does my (?:day|week|morning|afternoon) look|how's my (?:day|week)|am i doing anything|do i have anything (?:on|this|today|tomorrow|tonight))\b/i.test(text) ||
    /^what(?:'s| is) on(?: (?:today|tomorrow|tonight))?$/i.test(text)
  ) {
    const range = listingRange(/\b(?:my|the) day\b/i.test(text) && !when.range ? readWhen('today', clock) : when, clock);
    return call('list_calendar_events', { from: iso(range.from, clock), to: iso(range.to, clock) });
  }
  void context;
  return null;
};

const todos: Reader = (text, clock, context) => {
  const todoTarget = (words: string, act: Find['act'], question: string = QUESTIONS.todoTarget): Understanding => {
    const ordinal = ordinalIn(words);
    const described = contentWords(withoutPriority(words).replace(/\b(?:the one|one|about|from my list|off my list|on my list|my list|as)\b/gi, ' '));
    const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this|them|those)\b/i.test(words) ? 'it' : null);
    if (described.length === 0 && reference === null) return ask(question);
    return { kind: 'find', find: { nouns: ['todo'], words: described, reference, startsAt: null, within: null, act, question } };
  };

  // Listing, by what is asked rather than by keyword: "anything left", "what have I finished", "am I behind".
  const asking = /^(?:what|which|how many|is there|are there|anything|any|do i|have i|did i|am i|read|list|show|tell me|give me|check|my)\b/i.test(text);
  const aboutTodos =
    TODO_WORDS.test(text) ||
    /\b(?:left|to do|get done|work on|finished|completed|done|overdue|behind|due)\b/i.test(text);
  const changing = /\b(?:add|create|mark|delete|remove|complete|put|make|set|rename|change|tick|check off|cross)\b/i.test(text);
  if (asking && aboutTodos && !changing) {
    const args: Json = { completed: /\b(?:have i|did i|i've|i have)\b.*\b(?:finished|completed|done|get done)\b|\b(?:completed|finished)\b/i.test(text) };
    const priority = priorityIn(text);
    if (priority && /\bpriority|urgent|important\b/i.test(text)) {
      args.priority = priority.priority;
      delete args.completed;
      args.completed = false;
    }
    if (/\b(?:overdue|behind|late)\b/i.test(text)) {
      args.completed = false;
      args.due_before = iso(clock.now, clock);
    } else if (/\bdue\b/i.test(text)) {
      const before = /\bdue\s+(?:before|by)\s+(.+)$/i.exec(text);
      const when = readWhen(before?.[1] ?? text, clock);
      if (when.range) {
        delete args.completed;
        args.completed = false;
        if (before) args.due_before = iso(when.range.from, clock);
        else {
          const from = when.range.from.getTime() <= clock.now.getTime() && !when.hasDay ? when.range.from : when.range.from;
          Object.assign(args, { due_after: iso(from, clock), due_before: iso(when.range.to, clock) });
        }
      }
    }
    return call('list_todos', args);
  }

  const rename = /\brename\s+(?:the\s+todo\s+|my\s+todo\s+)?(.+?)\s+to\s+(.+)$/i.exec(text);
  if (rename) return todoTarget(rename[1] ?? '', (row) => call('update_todo', { id: row.id, new_title: cleanTitle(rename[2] ?? '') }));

  const priority = priorityIn(text);
  const adding = /\b(?:a|an|new|one)\s+(?:[\w-]+\s+){0,2}(?:todo|task)\b/i.test(text) || NEED.test(text);
  if (/\b(?:priority|urgent|important|critical)\b/i.test(text) && /\b(?:make|set|change|update|raise|lower|bump|mark|move|put)\b/i.test(text) && !/\b(?:add|create|new)\b/i.test(text) && !adding) {
    const bump = /\b(?:bump|raise|up)\b/i.test(text) && !priority ? 1 : /\blower\b/i.test(text) && !priority ? -1 : 0;
    const words = withoutPriority(text).replace(/\b(?:make|set|change|update|raise|lower|bump|up|mark|the priority|priority|of|on|for|to|as|a|an|it's|that's|isn't|aren't|that|move)\b/gi, ' ');
    if (!priority && !bump) return todoTarget(words, () => ask(QUESTIONS.todoPriority), QUESTIONS.todoTarget).kind === 'ask' ? ask(QUESTIONS.todoTarget) : ask(QUESTIONS.todoPriority);
    const levels = ['low', 'medium', 'high', 'urgent'];
    return todoTarget(words.replace(/\b(?:it|that|them)\b/gi, (pronoun) => (contentWords(words).length ? ' ' : pronoun)), (row) => {
      const level = priority?.priority ?? levels[Math.min(3, Math.max(0, levels.indexOf(String(row.priority)) + bump))];
      return call('update_todo', { id: row.id, priority: level });
    });
  }

  if (/\b(?:due|deadline)\b/i.test(text) && /\b(?:make|set|change|move|now|push)\b/i.test(text) && !/^(?:add|create|new)\b/i.test(text)) {
    const when = readWhen(text, clock);
    if (when.at) {
      const words = when.rest.replace(/\b(?:make|set|change|move|push|the due date|due date|due|deadline|of|for|now|is|are|it's|to)\b/gi, ' ');
      return todoTarget(words, (row) => call('update_todo', { id: row.id, due_at: iso(when.at!, clock) }));
    }
  }

  const done =
    /^(?:mark|check off|tick off|cross off|cross|check|tick|complete|finish|close)\b(.*)$/i.exec(text) ??
    /^(?:i'm |i am )?done with\b(.*)$/i.exec(text) ??
    /^i(?:\s+have|'ve|\s+just|\s+already)*\s+(?:finished|completed|did|done)\b(.*)$/i.exec(text) ??
    /^(.+?)\s+(?:is|are|was)\s+(?:done|finished|complete|completed|sorted|taken care of)(?:,.*)?$/i.exec(text) ??
    /^(?:finished|completed|done)\b(.*)$/i.exec(text) ??
    /^(?:actually\s+)?i(?:'ve| have)?\s+(?:already\s+)?done\s+(that|it|this)(?:\s+one)?\b.*$/i.exec(text);
  const doneAlso = /\b(?:mark (?:it|that|this)(?: as)? (?:done|complete))\b/i.exec(text);
  if ((done || doneAlso || saysDone(text)) && !NEED.test(text)) {
    let words = doneAlso ? 'it' : done ? (done[1] ?? '') : text.replace(/^i\s+(?:have\s+|'ve\s+)?(?:just\s+|finally\s+|already\s+)*/i, '');
    words = words.replace(/\b(?:as\s+)?(?:done|complete|completed|finished|off(?: my list| the list)?|off)\b/gi, ' ').replace(/\b(?:todo|task)\b/gi, ' ');
    if (/^\s*(?:reviewing|doing)\b/i.test(words)) words = words.replace(/^\s*(\w+)ing\b/i, '$1');
    return todoTarget(words, (row) => call('complete_todo', { id: row.id }));
  }

  const remove = /^(?:(?:i don't need to|i no longer need to)\s+(.+?),?\s+)?(?:delete|remove|drop|erase|get rid of|scrap|cross out|take)\b(.*?)(?:\s+(?:from|off)\s+(?:my\s+|the\s+)?(?:todo list|todos|list|tasks))?(?:\s+anymore)?$/i.exec(text);
  if (remove) {
    const words = remove[1] ?? remove[2] ?? '';
    return todoTarget(words.replace(/\b(?:todo|task|off)\b/gi, ' '), (row) => call('delete_todo', { id: row.id }));
  }

  // Adding: "add a todo to ...", "put X on my list", "I need to remember to X", "note down X".
  const create =
    /\b(?:add|create|make|put|new|write down|jot down|note down|note|todo)\b[:,]?\s*(?:me\s+)?(?:(?:a|an|new|quick|one|another)\s+)*(?:(?:\w+[- ])?priority\s+)?(?:(?:urgent|important|critical)\s+)?(?:(?:todo|task|one)(?:\s+item)?\b[:,]?\s*)?(.*)$/i.exec(text);
  const need = NEED.exec(text);
  if (create || need) {
    const addsThat = /^(.+?),?\s+(?:add|put)\s+(?:that|it|this)\s+(?:to|on|in)\s+my\s+(?:todos|todo list|list|tasks)$/i.exec(text);
    let body = addsThat ? addsThat[1] ?? '' : need ? need[1] ?? '' : create?.[1] ?? '';
    body = body.replace(/^i(?:'ve| have)?\s+(?:got|need|have)\s+to\s+/i, '').replace(/^that\s+i\s+need\s+to\s+/i, '').replace(/^(?:i\s+need\s+to\s+)?remember\s+to\s+/i, '');
    body = body.replace(/\s+(?:to|on|in|onto)\s+(?:my|the)\s+(?:todo list|todos|list|tasks|to do list)\b/i, ' ');
    const priority = priorityIn(create?.[0].slice(0, 60) ?? text);
    const when = readWhen(withoutPriority(body), clock);
    const title = cleanTitle(when.rest.replace(/^(?:to|for me to|for|that says|saying|called|named|:)\s+/i, '').replace(/^(?:to|:)\s+/i, ''));
    if (!title || pronounOnly(title) || /^(?:to my list|on my list)$/i.test(title)) return ask(QUESTIONS.todoTitle);
    if (!create && !need) return null;
    return call('create_todo', {
      title,
      ...(priority ? { priority: priority.priority } : {}),
      ...(when.at && when.hasDay ? { due_at: iso(when.at, clock) } : {}),
    });
  }
  void context;
  return null;
};

// Order matters: the more specific readers first (a team's todo before a todo, a reminder before
// the calendar's "cancel", the calendar's "move" before a todo's).
const READERS: Reader[] = [smallTalk, more, transfer, feedback, teams, reminders, calendar, todos];

export function understand(utterance: string, clock: Clock, context: Context): Understanding {
  const text = normalize(utterance);
  if (!text) return { kind: 'unknown' };
  for (const read of READERS) {
    const understood = read(text, clock, context);
    if (understood) return understood;
  }
  return { kind: 'unknown' };
}
