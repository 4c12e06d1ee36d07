// Teams: who is on one, its todos, adding to them, and the caller's own teams.
import { cleanTitle, priorityIn, pronounOnly, withoutPriority } from '../phrases.ts';
import { ask, call, iso, QUESTIONS, type Reader } from '../understanding.ts';
import { readWhen } from '../when.ts';

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

/** "assigned to Alice", "and give it to Bob", "assign Priya a task": the assignee, and the text without it. */
function takeAssignee(text: string): { assignee?: string; rest: string } {
  const after = /[\s,]+(?:and\s+)?(?:assign(?:ed)?(?:\s+it)?\s+to|give\s+it\s+to|for)\s+((?:me|myself)|[A-Za-z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s*$/i.exec(text);
  if (after?.[1]) return { assignee: after[1], rest: text.slice(0, after.index) };
  const before = /\bassign\s+([A-Z][\w'-]*)\s+(?:a\s+)?(?:task|todo)\b/.exec(text);
  if (before?.[1]) return { assignee: before[1], rest: text.replace(before[0], 'add a task') };
  return { rest: text };
}

export const teams: Reader = (text, clock) => {
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
