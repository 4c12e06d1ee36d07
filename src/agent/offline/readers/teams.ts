/**
 * Teams: who is on one, its todos, adding to them, and the caller's own teams.
 *
 * A team is named outright ("the design team"), loosely ("a task for engineering", "the eng
 * board", "the design folks"), by "they" once one was talked about, or not at all ("add a team
 * todo"). A loose name is only a team if the caller has one that fits it: the reader asks the
 * provider to look the caller's teams up first, and when none fits, the later readers' reading
 * of the same words stands ("a todo for Sam" is the caller's own).
 */
import type { Context, Json } from '../context.ts';
import { contentWords } from '../language.ts';
import { askedAbout, cleanTitle, ordinalIn, priorityIn, pronounOnly, REMINDER_WORDS, TODO_WORDS, withoutPriority } from '../phrases.ts';
import { ask, call, iso, QUESTIONS, type Reader, type Understanding } from '../understanding.ts';
import { readWhen, type Clock } from '../when.ts';
import { todoFilter } from './todos.ts';

type Action = 'members' | 'add' | 'todos';

/** What the caller wants of a team, from how they ask. */
function actionIn(text: string): Action | null {
  if (/\b(?:who|members?|owner)\b|\bpeople (?:are )?(?:in|on)\b|^is \w+ (?:in|on)\b|^does \w+(?: \w+)? (?:work|belong) (?:in|on|to|with)\b/i.test(text) && !/\b(?:todos?|tasks?)\b/i.test(text)) return 'members';
  if (/^(?:what|which|anything|any|is there|is anything|are there|show|read|list|tell|does|do|has|have|how)\b/i.test(text)) {
    return /\b(?:todos?|tasks?|list|board|backlog|working|up to|got on|doing|outstanding|left|anything|finished|done|completed|urgent|due|to do|going on|ha(?:s|ve) on)\b/i.test(text) ? 'todos' : null;
  }
  if (/\b(?:add|create|put|give|assign|new|take on|should|must)\b|^ask \w+ to\b|\bmake an? (?:\w+ )?(?:todo|task)\b|\b(?:needs?|has|have|ought) to\b/i.test(text)) return 'add';
  return null;
}

/** How a team was named: its name as said (null: "a team", "my team"), and the words that said it. */
interface Naming {
  name: string | null;
  said: string;
  /** Said without the word "team": only a team if the caller has one by that name. */
  loose: boolean;
  /** "a team task for the offsite": a team was asked for, so a name that fits none is asked about, not read otherwise. */
  teamSaid?: boolean;
}

// Words that stand where a team's name would but are not one: "a todo for tomorrow", "my list".
const NOT_A_NAME = new Set(
  `a an the my your our their his her this that these those it them me us you i we one another new quick
  todo todos task tasks list lists item to do team group shopping grocery same whole other
  today tonight tomorrow morning afternoon evening week weekend month monday tuesday wednesday
  thursday friday saturday sunday low medium high urgent important critical priority
  there here now later next last anything something everything nothing
  open completed finished done overdue remaining pending outstanding old other all
  add create make put give assign what who which show read list tell is are for to on in of from with
  one two three four five six seven eight nine ten eleven twelve half quarter noon midnight`.split(/\s+/),
);
const NAME = String.raw`([a-z][\w-]*)`;
const GROUP = String.raw`(?:folks|people|crew|side|guys|lot|board|backlog|(?:todo|task) list|list|todos|tasks)`;

/** Where a name stands when it is a team's without the word "team". */
const LOOSE: RegExp[] = [
  // "a design todo", "new design task for Bob: ..."
  new RegExp(String.raw`\b(?:an?|new|another)\s+${NAME}\s+(?=todo|task)`, 'i'),
  // "the design folks", "engineering's board", "the marketing todo list" (never "my open todos")
  new RegExp(String.raw`\b(?:(?:for|to|on|in|from|with)\s+)?(?:the\s+)?(?<!\b(?:my|your)\s+)${NAME}(?:'s)?\s+${GROUP}\b`, 'i'),
  // "for engineering to ...", "a task for eng: ...", "who is in marketing"
  // "the members of eng", "what's due for engineering this week": a time may follow the name.
  new RegExp(String.raw`\b(?:for|to|on|in|from|with|of)\s+(?:the\s+)?${NAME}(?=\s*(?:$|[:,]|\b(?:to|needs?|with|this|next|today|tomorrow|by|before)\b))`, 'i'),
  // "engineering needs to ...", "what is marketing up to", "show me what design has on"
  new RegExp(String.raw`^(?:the\s+)?${NAME}\s+(?:(?:needs?|has|have|ought)\s+to|should|must)\b`, 'i'),
  // "has anyone on design done ...", "is anybody in marketing working on ..."
  new RegExp(String.raw`\b(?:anyone|anybody|someone|somebody|everyone)\s+(?:on|in|from)\s+(?:the\s+)?${NAME}\b`, 'i'),
  new RegExp(String.raw`\b(?:what(?:'s| is| has| does)?|how(?:'s| is)|does|has|is)\s+(?:the\s+)?${NAME}\s+(?=got|working|up to|doing|have|has|left|need|finished)`, 'i'),
  // "can marketing take on ...", "give the engineers a todo", "a design todo"
  new RegExp(String.raw`^(?:can|could|will|would|should)\s+(?:the\s+)?${NAME}\s+(?=\w)`, 'i'),
  new RegExp(String.raw`\bgive\s+(?:the\s+)?${NAME}\s+an?\s+(?:todo|task)\b`, 'i'),
];

const MEETING = /\b(?:calendar|meetings?|events?|appointments?|lunch|dinner|breakfast|standup|sync)\b/i;
// "the design team", "for the customer success team's list", "a team": up to two words of a name
// before "team", never a command ("add a team todo" names no team).
const TEAM = /\b(?:(?:for|to|on|in|from|of)\s+)?(?:(?:the|my|our|a|an|your)\s+)?((?:(?!(?:add|create|make|put|give|new|assign|what|who|which|show|read|list|tell)\b)[a-z][\w-]*\s+){1,2})?(?:team|group)(?:'s)?(?:\s+(?:todo list|list|todos|tasks|backlog))?\b(?!\s+(?:drinks?|lunch|dinner|breakfast|meal|party|outing|offsite|away ?day|building|social|meeting|call|photo|night|event|sync|standup|catch-?up)\b)/i;

function namingIn(text: string, context: { team: string | null }): Naming | null {
  const named = TEAM.exec(text);
  const words = (named?.[1] ?? '').trim().split(/\s+/).filter((word) => word && !NOT_A_NAME.has(word.toLowerCase()));
  if (named && words.length > 0) return { name: words.join(' '), said: named[0], loose: false };
  if (context.team && /\b(?:they|them|their|theirs)\b/i.test(text)) return { name: context.team, said: '', loose: false };
  // "a new team task for design": "team" said without its name, and the name elsewhere.
  for (const pattern of LOOSE) {
    const loose = pattern.exec(named ? text.replace(named[0], ' ') : text);
    const name = loose?.[1];
    if (loose && name && !NOT_A_NAME.has(name.toLowerCase())) return { name, said: loose[0], loose: true, teamSaid: !!named };
  }
  return named ? { name: null, said: named[0], loose: false } : null;
}

// Who a team todo is for, as a name said or "me": "Alice", "Priya Patel", "me".
const WHO = String.raw`(me|myself|[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)`;
const NOT_WHO = /^(?:today|tonight|tomorrow|next|this|the|(?:mon|tues|wednes|thurs|fri|satur|sun)day)$/i;

/**
 * "assigned to Alice", "and assign it to me: ...", "give Priya a task", "for Alice to sign off
 * ...": the assignee, and the text without the words that said it.
 */
function takeAssignee(text: string): { assignee?: string; rest: string } {
  const forms: [RegExp, string][] = [
    // "..., and assign it to me: review the pull requests", "..., give it to Bob"
    [new RegExp(String.raw`[\s,]+(?:and\s+)?(?:assign(?:ed)?(?:\s+it)?\s+to|give\s+it\s+to)\s+${WHO}\s*(?=$|[:,])`, 'i'), ' '],
    // "give Priya a task on engineering: ...", "assign Bob a todo"
    [new RegExp(String.raw`\b(?:[Gg]ive|[Aa]ssign)\s+${WHO}\s+(?:a\s+|an\s+|another\s+)?(?:new\s+)?(?:task|todo)\b`), 'add a task'],
    // "ask Bob to update the onboarding doc"
    [new RegExp(String.raw`^[Aa]sk\s+${WHO}\s+to\s+`), 'add '],
    // "a design task for Bob: check the icon sizes"
    [new RegExp(String.raw`\b[Ff]or\s+${WHO}\s*:\s*`), ': '],
    // "a todo for Alice to sign off the palette": who, then what they are to do.
    [new RegExp(String.raw`\b[Ff]or\s+${WHO}\s+to\s+`), ' to '],
    // "... for Alice" at the end: never "for Friday".
    [new RegExp(String.raw`[\s,]+for\s+${WHO}\s*$`, 'i'), ' '],
  ];
  for (const [form, instead] of forms) {
    const said = form.exec(text);
    const who = said?.[1];
    if (said && who && !NOT_WHO.test(who.split(/\s+/)[0] ?? '')) return { assignee: who, rest: `${text.slice(0, said.index)}${instead}${text.slice(said.index + said[0].length)}` };
  }
  return { rest: text };
}

/** A team todo's arguments without the team: the title with the team, the command and the times taken out. */
function newTodo(text: string, naming: Naming, clock: Clock): Json | null {
  const { assignee, rest } = takeAssignee(naming.said ? text.replace(naming.said, ' ') : text);
  const priority = priorityIn(rest);
  const when = readWhen(withoutPriority(rest), clock);
  const title = cleanTitle(
    when.rest
      .replace(/^.*?\b(?:add|create|make|put|give|new|take on)\b\s*(?:(?:a|an|new|one|another|team)\s+)*(?:(?:todo|task)s?(?:\s+item)?\b)?/i, '')
      .replace(/^.*?\b(?:(?:needs?|has|have|ought)\s+to|should|must)\s+/i, '')
      .replace(/\s+(?:to|on)\s+(?:the|their)\s+(?:todo\s+)?(?:list|todos)\b.*$/i, '')
      .trim()
      .replace(/^(?:(?:to|for|them)\s+|:\s*)+/i, ''),
  );
  if (!title || pronounOnly(title) || /^team todo$/i.test(title)) return null;
  return {
    title,
    ...(assignee ? { assignee } : {}),
    ...(priority ? { priority: priority.priority } : {}),
    ...(when.at && when.hasDay ? { due_at: iso(when.at, clock) } : when.due ? { due_at: iso(when.due, clock) } : {}),
  };
}

/** The tool call for a team once it is known, and what a question about it asks about ("is Victor on it"). */
function teamRequest(action: Action, text: string, naming: Naming, clock: Clock): { act: (team: string) => Understanding; about?: string[] } | Understanding {
  const unnamed = naming.said ? text.replace(naming.said, ' ') : text;
  if (action === 'members') {
    // "is Victor on the design team": only Victor is asked about.
    const who = /^(?:is|are|does|do)\s+(.+?)\s+(?:(?:work|belong)\s+)?(?:in|on|to|with|part of|a member of)\b/i.exec(text)?.[1];
    const about = who ? contentWords(who) : undefined;
    return { act: (team) => call('list_team_members', { team }, about), about };
  }
  if (action === 'todos') {
    const completed = /\b(?:finished|done|completed)\b/i.test(text);
    const args = { completed, ...todoFilter(text, clock, completed) };
    // "has anyone on design done the business cards": only those are answered.
    const about = askedAbout(contentWords(readWhen(unnamed, clock).rest.replace(TODO_WORDS, ' ')));
    return { act: (team) => call('list_team_todos', { team, ...args }, about), about };
  }
  const todo = newTodo(text, naming, clock);
  if (!todo) return ask(QUESTIONS.teamTodoTitle);
  return { act: (team) => call('create_team_todo', { team, ...todo }) };
}

/** Asks the provider to find the team among the caller's own: by a loose name, an ordinal, or (none named) which one. */
function findTeam(action: Action, text: string, naming: Naming | null, act: (team: string) => Understanding, about?: string[]): Understanding {
  return {
    kind: 'find',
    find: {
      intents: [action === 'members' ? 'list_team_members' : action === 'todos' ? 'list_team_todos' : 'create_team_todo'],
      nouns: ['team'],
      words: naming?.name ? [naming.name.toLowerCase()] : [],
      reference: naming ? null : ordinalIn(text),
      startsAt: null,
      within: null,
      act: (row) => act(String(row.name)),
      question: QUESTIONS.team,
      ...(about?.length ? { about } : {}),
      // A viewer cannot add to a team: asked which, only the teams they can add to are offered.
      ...(action === 'add' && !naming?.name ? { only: (row: Json) => row.role !== 'viewer' } : {}),
      ...(naming?.teamSaid ? { otherwise: ask(QUESTIONS.team) } : {}),
    },
  };
}

/** A request about a team once it is known which (members, its todos, adding to them): the team it names, or which one. */
function teamAction(action: Action, text: string, clock: Clock, context: Context, sure = false): Understanding | null {
  // "..., assign it to Bob": Bob is not a team.
  const naming = namingIn(text.replace(/[\s,]+(?:and\s+)?(?:assign(?:ed)?(?:\s+it)?|give\s+it)\s+to\s+\S+(?:\s+\S+)?$/i, ''), context);
  // "who's in the second one", after the caller heard their teams.
  if (!naming && action === 'members' && context.listing?.noun === 'team' && ordinalIn(text) !== null) {
    return findTeam(action, text, null, (team) => call('list_team_members', { team }));
  }
  if (!naming && !sure) return null;
  const request = teamRequest(action, text, naming ?? { name: null, said: '', loose: false }, clock);
  if (!('act' in request)) return request;
  if (naming?.name && !naming.loose) return request.act(naming.name);
  return findTeam(action, text, naming?.name ? naming : null, request.act, request.about);
}

/** The team readers, each for a request known to be its kind: only the details are read. */
export const teamRequests = {
  list_teams: () => call('list_teams', {}),
  list_team_members: (text: string, clock: Clock, context: Context) => teamAction('members', text, clock, context, true),
  list_team_todos: (text: string, clock: Clock, context: Context) => teamAction('todos', text, clock, context, true),
  create_team_todo: (text: string, clock: Clock, context: Context) => teamAction('add', text, clock, context, true),
};

export const teams: Reader = (text, clock, context) => {
  if (/\b(?:what|which|list|tell me about|show)\b.*\b(?:teams|groups)\b|\bmy teams\b|\bteams?\s+(?:am i|i'm|i am)\b|\bam i (?:in|on|part of) any (?:teams|groups)\b/i.test(text)) {
    return call('list_teams', {});
  }
  // "what's my role on the marketing team": the caller's teams, answering about the one named.
  if (/\b(?:my|what)\s+roles?\b|\bwhat am i (?:on|in)\b/i.test(text)) {
    const named = namingIn(text, context)?.name;
    return call('list_teams', {}, named ? [named.toLowerCase()] : undefined);
  }
  // A meeting or a reminder that mentions a team is the calendar's or the reminders'.
  if ((MEETING.test(text) || REMINDER_WORDS.test(text)) && !TODO_WORDS.test(text)) return null;
  const action = actionIn(text);
  return action ? teamAction(action, text, clock, context) : null;
};
