// The caller's own todos: listing them by what is asked, completing, changing, deleting, adding.
import { nameOf, type Context, type Json } from '../context.ts';
import type { Intent } from '../intent-model.ts';
import { contentWords, isFiller, saysDone } from '../language.ts';
import { askedAbout, cleanTitle, NEED, ordinalIn, priorityIn, pronounOnly, TODO_QUESTION, TODO_WORDS, withoutPriority, withoutReason } from '../phrases.ts';
import { ask, call, iso, QUESTIONS, type Find, type Reader, type Understanding } from '../understanding.ts';
import { readWhen, type Clock } from '../when.ts';

// Words said before "todo" that are not its title: "a new one", "a really important todo", "a high-priority task".
const BEFORE_TODO = 'a|an|new|quick|one|another|really|very|super|quite|pretty|extremely|urgent|important|critical|minor|major|top|\\w+[- ]priority';

/** The todo the words describe: by name, "it", "that", "the second one"; asked back when they name none. */
function todoTarget(intent: Intent, words: string, act: Find['act'], question: string = QUESTIONS.todoTarget, nouns: Find['nouns'] = ['todo']): Understanding {
  const ordinal = ordinalIn(words);
  const described = contentWords(withoutPriority(words).replace(/\b(?:the one|one|about|from my list|off my list|on my list|my list|as)\b/gi, ' '));
  const reference = ordinal ?? (described.length === 0 && /\b(?:it|that|this|them|those)\b/i.test(words) ? 'it' : null);
  if (described.length === 0 && reference === null) return ask(question);
  // "it", "the second one": the kind of thing the call was about, never a guess between kinds.
  const kinds = reference === null ? nouns : nouns.slice(0, 1);
  const intents: Intent[] = kinds.map((noun) => (noun === 'reminder' ? 'delete_reminder' : intent));
  return { kind: 'find', find: { intents, nouns: kinds, words: described, reference, startsAt: null, within: null, act, question } };
}

// "did I already do the expense report": a question about what is done.
const DID_I = /^did i (?:already |ever |actually )?do\b/i;

/**
 * Listing, by what is asked rather than by keyword: "anything left", "what's still open", "what
 * have I ticked off". `sure`: the request is known to be this kind (the intent model said so), so
 * only its details are read.
 */
function list(text: string, clock: Clock, sure = false): Understanding | null {
  const asking = /^(?:what|which|when|how many|how(?:'s| is| does)|is there|are there|anything|any|do i|have i|did i|am i|read|list|show|tell me|give me|check|my)\b/i.test(text);
  const aboutTodos = TODO_WORDS.test(text) || TODO_QUESTION.test(text) || DID_I.test(text);
  const changing = /\b(?:add|create|mark|delete|remove|complete|put|make|set|rename|change|tick|check off|cross)\b/i.test(text);
  if (!sure && (!asking || !aboutTodos || changing)) return null;
  const finished = /\b(?:have i|did i|i've|i have)\b(?!\s+to\b).*\b(?:finish(?:ed)?|complete(?:d)?|done|get done|(?:ticked|crossed|checked) off)\b|\b(?:completed|finished)\b/i;
  const completed = (finished.test(text) || DID_I.test(text)) && !/\b(?:not|n't|yet to)\b/i.test(text);
  const args: Json = { completed, ...todoFilter(text, clock, completed) };
  // "do I need to do anything about the car", "when do I need to call the dentist by": only those are answered.
  const about = askedAbout(contentWords(readWhen(withoutPriority(text), clock).rest.replace(TODO_WORDS, ' ')));
  return call('list_todos', args, about);
}

/** What a question about todos narrows them to: a priority, overdue, or (still open) due by or within a span. */
export function todoFilter(text: string, clock: Clock, completed: boolean): Json {
  const priority = priorityIn(text);
  if (priority && /\bpriority|urgent|important\b/i.test(text)) return { completed: false, priority: priority.priority };
  if (/\b(?:overdue|behind|late)\b/i.test(text)) return { completed: false, due_before: iso(clock.now, clock) };
  if (completed) return {};
  // "due before Friday": before that day; "by Friday": that day too; "due this week", "to do this weekend": within it.
  const by = /\b(?:due\s+)?(before|by)\s+(.+)$/i.exec(text);
  const range = readWhen(by?.[2] ?? text, clock).range;
  if (range && by) return { due_before: iso(/^by$/i.test(by[1] ?? '') ? range.to : range.from, clock) };
  if (range) return { due_after: iso(range.from, clock), due_before: iso(range.to, clock) };
  return {};
}

const LEVELS = ['low', 'medium', 'high', 'urgent'];

/**
 * "make the plumber one urgent", "the plants aren't important", "bump up the flights one".
 * "Bump the bill to tomorrow" names a day and no level: a new date, never a priority.
 */
function reprioritise(text: string, clock: Clock, sure = false): Understanding | null {
  const when = readWhen(text, clock);
  if (!priorityIn(text) && (when.at || when.range)) return null;
  const verbs = /\b(?:priority|urgent|important|critical)\b/i.test(text) ? /\b(?:make|set|change|update|raise|lower|bump|mark|move|put)\b/i : /^(?:bump|raise|lower)\b/i;
  // Said of the thing: "the car insurance isn't that urgent", "the plants are important".
  const said = /^(?:the|my)\s.+?\s(?:is|are|isn't|aren't|is not|are not)\s+(?:\w+\s+)?(?:urgent|important|critical|a priority)$/i;
  if (!sure && !verbs.test(text) && !said.test(text)) return null;
  const priority = priorityIn(text);
  const step = priority ? 0 : /\b(?:bump|raise|up)\b/i.test(text) ? 1 : /\blower\b/i.test(text) ? -1 : 0;
  const words = withoutPriority(text).replace(/\b(?:make|set|change|update|raise|lower|bump|up|mark|the priority|priority|of|on|for|to|as|a|an|it's|that's|isn't|aren't|is|are|not|actually|really|move)\b/gi, ' ');
  const target = todoTarget('update_todo', words.replace(/\b(?:it|that|them)\b/gi, (pronoun) => (contentWords(words).length ? ' ' : pronoun)), (row) => {
    const level = priority?.priority ?? LEVELS[Math.min(3, Math.max(0, LEVELS.indexOf(String(row.priority)) + step))];
    return call('update_todo', { id: row.id, priority: level });
  });
  // Which todo is asked first; then, with no level said, which level.
  return target.kind === 'ask' || priority || step ? target : ask(QUESTIONS.todoPriority);
}

// "take the deadline off the flights one", "the plants don't need a due date": no due date.
const UNDATE = /\b(?:take|remove|clear|drop|get rid of|lose|delete)\s+(?:the\s+)?(?:deadline|due date|date)\b(?:\s+(?:off|from))?|\b(?:no|without a|doesn't need a|don't need a)\s+(?:deadline|due date)\b/i;

const DONE_BY = /\b(?:needs? to be|has to be|have to be|should be|must be)\s+(?:done|finished|sorted|ready|paid|sent|booked)\b/;

/** A new due date: "the report is due Friday now", "change the plumber todo to Monday"; or none. */
function redate(text: string, clock: Clock, sure = false): Understanding | null {
  const undated = UNDATE.exec(text);
  if (undated) {
    const words = withoutReason(text).replace(undated[0], ' ').replace(/\b(?:of|on|for|off|from)\b/gi, ' ');
    return todoTarget('update_todo', words, (row) => call('update_todo', { id: row.id, due_at: null }));
  }
  // "the birthday present needs to be done by the 18th": a date for a thing already on the list.
  const byWhen = new RegExp(String.raw`^(?:the|my)\s.+?\s${DONE_BY.source}\s+(?:by|on|before)\b`, 'i');
  const said = (/\b(?:due|deadline|todo|task)\b/i.test(text) && /\b(?:make|set|change|move|now|push)\b/i.test(text) && !/^(?:add|create|new)\b/i.test(text)) || byWhen.test(text);
  if (!sure && !said) return null;
  const when = readWhen(text, clock);
  if (!when.at) return null;
  const at = iso(when.at, clock);
  const words = when.rest.replace(new RegExp(DONE_BY.source, 'gi'), ' ').replace(/\b(?:make|set|change|move|push|the due date|due date|due|deadline|of|for|now|is|are|it's|to)\b/gi, ' ');
  return todoTarget('update_todo', words, (row) => call('update_todo', { id: row.id, due_at: at }));
}

const NOT_DONE = /\b(?:not|un)[\s-]?(?:done|completed?|finished|ticked|checked)\b|\bincomplete\b|\b(?:re-?open|uncheck|untick)\b/i;
const NOT_REOPENED = "Sorry, I can't mark a todo as not done yet. You can add it again as a new todo.";

// Ways of saying a todo is done; the group, when there is one, names it.
const DONE: RegExp[] = [
  /^(?:mark|check off|tick off|cross off|cross|check|tick|complete|finish|close)\b(.*)$/i,
  /^(?:i'm |i am )?done with\b(.*)$/i,
  /^i(?:\s+have|'ve|\s+just|\s+already)*\s+(?:finished|completed|did|done)\b(.*)$/i,
  /^(.+?)(?:\s+(?:is|are|was)|'s)\s+(?:done|finished|complete|completed|sorted|taken care of)(?:\s+(?:too|as well|now|already))?(?:,.*)?$/i,
  // Said of the thing: "the plumber's been called", "the flights are booked": its name and the verb.
  /^((?:the\s+|my\s+)?.+?(?:'s|\s+(?:has|have|is|are|was|were))\s+(?:been\s+|already\s+|all\s+|now\s+)*(?:\w+ed|paid|sent|bought|made|written|done|sorted))$/i,
  /^(?:finished|completed|done)\b(.*)$/i,
  /^(?:actually\s+)?i(?:'ve| have)?\s+(?:already\s+)?done\s+(that|it|this)(?:\s+one)?\b.*$/i,
  // "I fixed the login bug last night, mark it complete": what was done is said first.
  /^(?:i\s+(?:just\s+|finally\s+|already\s+)*)?(.+?),?\s+(?:so\s+)?(?:you can\s+)?mark (?:it|that|this)(?: as)? (?:done|complete|completed|finished)\b/i,
];

function complete(text: string, sure = false): Understanding | null {
  // "mark it as not done": there is no tool to open a todo again, and it must not be marked done.
  if (NOT_DONE.test(text)) return { kind: 'say', text: NOT_REOPENED };
  // "did I already do the expense report" asks; it does not say so, whatever the model thinks.
  if (/^(?:did|have|has|had|was|is)\s+(?:i|it|that)\b/i.test(text)) return null;
  const done = DONE.map((pattern) => pattern.exec(text)).find((match) => match !== null);
  if (!sure && ((!done && !saysDone(text)) || NEED.test(text))) return null;
  // "I called the dentist": what they did, without "I".
  const said = done ? (done[1] ?? '') : text.replace(/^i\s+(?:have\s+|'ve\s+)?(?:just\s+|finally\s+|already\s+)*/i, '');
  const words = said
    .replace(/\b(?:taken care of|take care of|dealt with|sorted(?: out)?|got round to|got around to|job done on|done and dusted|you can)\b/gi, ' ')
    .replace(/\b(?:as\s+)?(?:done|complete|completed|finished|off(?: my list| the list)?|off)\b/gi, ' ')
    .replace(/\b(?:todo|task)\b/gi, ' ')
    // When it was done says nothing of which: "I rang the plumber this morning".
    .replace(/\b(?:(?:this|yesterday|last)\s+(?:morning|afternoon|evening|night|week)|yesterday|today|earlier|just now|at last)\b/gi, ' ');
  return todoTarget('complete_todo', words, (row) => call('complete_todo', { id: row.id }));
}

function remove(said: string, sure = false): Understanding | null {
  const text = withoutReason(said);
  // "I don't need to water the plants anymore": the todo that says so goes.
  const noLonger = /^i (?:don't|do not|no longer) (?:need|have) to (.+?)(?:\s+any ?more)?$/i.exec(text);
  const removed =
    noLonger ??
    /^(?:(?:i don't need to|i no longer need to)\s+(.+?),?\s+)?(?:delete|remove|drop|erase|get rid of|scrap|trash|ditch|bin|forget about|forget|cross out|clear out|take)\b(.*?)(?:\s+(?:from|off)\s+(?:my\s+|the\s+)?(?:todo list|todos|list|tasks))?(?:\s+anymore)?$/i.exec(text) ??
    // "never mind the plants todo, bin it": the thing first, then what to do with it.
    /^(?:never ?mind\s+)?(.+?),?\s+(?:delete|remove|drop|scrap|ditch|bin|get rid of|take)\s+(?:it|that|this)(?:\s+one)?(?:\s+(?:off|from)\s+(?:my\s+|the\s+)?(?:todo list|todos|list|tasks))?$/i.exec(text);
  if (!removed && !sure) return null;
  const named = removed ? (removed[1] ?? removed[2] ?? '') : text.replace(/\b(?:never ?mind|bin|ditch|lose|i don't need|don't need|any ?more|from my list|off my list)\b/gi, ' ');
  const words = named.replace(/\b(?:todo|task|off)\b/gi, ' ').replace(/^(?:i(?:'ve| have)? decided\s+)?(?:not to|i won't|i'm not going to|i can't be bothered to|don't)\s+bother(?:\s+with)?\b/i, ' ');
  // Named without saying what it is ("scrap the one about mum"): a todo, or else a reminder.
  const nouns: Find['nouns'] = TODO_WORDS.test(text) || sure ? ['todo'] : ['todo', 'reminder'];
  return todoTarget('delete_todo', words, (row, noun) => call(noun === 'reminder' ? 'delete_reminder' : 'delete_todo', { id: row.id }), QUESTIONS.todoTarget, nouns);
}

// Adding: "add a todo to ...", "put X on my list", "note down X"; the group is what to do.
const ADD = new RegExp(
  String.raw`\b(?:add|create|make|put down|put|stick|pop|new(?=\s+(?:todo|task|item|one|thing)|\s*:)|write down|jot down|note down|note|todo)\b[:,]?\s*(?:me\s+)?(?:(?:${BEFORE_TODO})\s+)*(?:(?:todo|task|one)(?:\s+item)?\b[:,]?\s*)?(.*)$`,
  'i',
);

// "..., whenever, no due date": said of when it is due, never part of the title.
const NO_DATE = /(?:,\s*(?:whenever|any ?time|no rush|no hurry))*,?\s*(?:no|without a|with no)\s+(?:due date|deadline|date)$/i;

// "something for my list: renew the permit"
const FOR_MY_LIST = /^(?:something|one more|another one) for my (?:list|todos)\b[:,]?\s*(.*)$/i;

// What a caller may say before a todo's title when the request is known to be adding one.
const ASKING_TO_ADD = /^.*?\b(?:add|put|stick|pop|jot|write|note|make a note|new todo|new task|todo|task)\b(?:\s+(?:down|in|on|to|that|a|an|the|new|todo|task|one|item|note|for me))*[:,]?\s+/i;

function add(text: string, clock: Clock, context: Context, sure = false): Understanding | null {
  const create = FOR_MY_LIST.exec(text) ?? ADD.exec(text);
  const need = NEED.exec(text);
  if (!create && !need && !sure) return null;
  // "I've got to finish the slides by Thursday, add that to my todos": what comes before "that".
  const before = /^(.+?),?\s+(?:(?:can|could|would|will) you\s+|please\s+)?(?:add|put|stick|pop)\s+(?:that|it|this)(?:\s+(?:to|on|in|down|as|onto))?(?:\s+(?:on\s+)?(?:a|an|my|the))?(?:\s+(?:todos?|todo list|list|tasks?))?(?:\s+for me)?(?:\s+(?:too|as well|also))?((?:\s+(?:for|on|by|before)\s+.+)?)$/i.exec(text);
  // "yeah put that on my list": a filler before "that" names nothing.
  const addsThat = before && !isFiller(before[1] ?? '') ? before : null;
  // "..., put it on the list for Sunday": when it is due may come after.
  const body = (addsThat ? `${addsThat[1] ?? ''}${addsThat[2] ?? ''}` : (need?.[1] ?? create?.[1] ?? text.replace(ASKING_TO_ADD, '')))
    .replace(/^i(?:'ve| have)?\s+(?:got|need|have)\s+to\s+/i, '')
    .replace(/^i\s+(?:keep|always)\s+forgetting\s+to\s+/i, '')
    .replace(/^i\s+(?:should|must|ought to|gotta)\s+/i, '')
    .replace(/^(?:add|put|write down|note down|jot down)\s+/i, '')
    .replace(/^that\s+i\s+need\s+to\s+/i, '')
    .replace(/^(?:i\s+need\s+to\s+)?remember\s+to\s+/i, '')
    .replace(/(?:^|\s+)(?:to|on|in|onto)\s+(?:my|the)\s+(?:todo list|todos|list|tasks|to do list)\b:?/i, ' ');
  // A priority said before the title, or after it: "..., it's pretty urgent" (never one inside the title).
  const priority = priorityIn(create?.[0].slice(0, 60) ?? text) ?? priorityIn(/,\s*(?:it's|it is|that's)\b.*$/i.exec(text)?.[0] ?? '');
  const when = readWhen(withoutPriority(body.replace(NO_DATE, '')), clock);
  const said = cleanTitle(when.rest.replace(/^(?:to|for me to|for|that says|saying|called|named|:)\s+/i, '').replace(/^(?:to|:)\s+/i, ''));
  // "put it on my list too" after a reminder: "it" is the thing just talked about; with nothing before it, asked.
  const title = pronounOnly(said) && context.item ? nameOf(context.item.row) : said;
  if (!title || pronounOnly(title) || isFiller(title) || /^(?:to my list|on my list)$/i.test(title)) return ask(QUESTIONS.todoTitle);
  return call('create_todo', {
    title,
    ...(priority ? { priority: priority.priority } : {}),
    ...(when.at && (when.hasDay || when.hasTime) ? { due_at: iso(when.at, clock) } : when.due ? { due_at: iso(when.due, clock) } : {}),
  });
}

/**
 * A new title: "rename X to Y", or "change X to Y" when Y is neither a time nor a priority
 * ("change the plumber todo to Monday" is a new date).
 */
function rename(text: string, clock: Clock): Understanding | null {
  const said = /\brename\s+(?:the\s+todo\s+|my\s+todo\s+)?(.+?)\s+to\s+(.+)$/i.exec(text) ?? /^(?:change|update)\s+(?:the\s+(?:todo|task)\s+)?(?!(?:the\s+)?(?:due|date|deadline|time|priority|it|that)\b)(.+?)\s+to\s+(?:say\s+|read\s+)?(.+)$/i.exec(text);
  const title = said?.[2] ?? '';
  if (!said || (!/^rename\b/i.test(said[0]) && (priorityIn(title) || readWhen(title, clock).at || readWhen(title, clock).range))) return null;
  return todoTarget('update_todo', said[1] ?? '', (row) => call('update_todo', { id: row.id, new_title: cleanTitle(title) }));
}

/** A change to a todo: its priority, its date, or (said with neither) asked what. */
function change(text: string, clock: Clock): Understanding {
  const renamed = rename(text, clock);
  if (renamed) return renamed;
  if (UNDATE.test(text)) return redate(text, clock, true) ?? ask(QUESTIONS.todoChange);
  if (priorityIn(text) || /\b(?:bump|raise|lower)\b/i.test(text)) return reprioritise(text, clock, true) ?? redate(text, clock, true) ?? ask(QUESTIONS.todoChange);
  return redate(text, clock, true) ?? ask(QUESTIONS.todoChange);
}

/** The todo readers, each for a request known to be its kind: only the details are read. */
export const todoRequests = {
  create_todo: (text: string, clock: Clock, context: Context) => add(text, clock, context, true),
  list_todos: (text: string, clock: Clock) => list(text, clock, true),
  complete_todo: (text: string) => complete(text, true),
  update_todo: change,
  delete_todo: (text: string) => remove(text, true),
};

export const todos: Reader = (text, clock, context) => {
  const listed = list(text, clock);
  if (listed) return listed;
  const renamed = rename(text, clock);
  if (renamed) return renamed;
  // "add a high priority todo", "I need to ...": adding, even with a priority or a date in it.
  const adding = /\b(?:a|an|new|one)\s+(?:[\w-]+\s+){0,2}(?:todo|task)\b/i.test(text) || NEED.test(text) || /\b(?:add|create|new)\b|^(?:put|jot|write|note) down\b/i.test(text);
  if (UNDATE.test(text) && !adding) return redate(text, clock);
  return (adding ? null : (reprioritise(text, clock) ?? redate(text, clock))) ?? complete(text) ?? remove(text) ?? add(text, clock, context);
};
