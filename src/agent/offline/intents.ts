/**
 * What the offline agent makes of one utterance. Readers look for what a request is about (todos,
 * reminders, the calendar, teams) and what the caller wants done with it, from cue words and
 * lemmas rather than whole sentences; dates come from when.ts, and the thing a request acts on
 * is described by its content words, to be matched against the caller's own items (targets.ts).
 *
 * Which kind of request it is has a second opinion: the intent model (intent-model.ts), learned
 * from the development phrasings. Where the rules make nothing of the words, or the model is sure
 * of another kind the rules' reading is unlikely to be, the reader of the model's kind reads the
 * details instead.
 */
import type { Context } from './context.ts';
import type { Intent, IntentModel, Ranked } from './intent-model.ts';
import { normalize } from './language.ts';
import { calendar, calendarRequests } from './readers/calendar.ts';
import { conversationRequests, elsewhere, feedback, more, smallTalk, transfer } from './readers/conversation.ts';
import { reminderRequests, reminders } from './readers/reminders.ts';
import { teamRequests, teams } from './readers/teams.ts';
import { todoRequests, todos } from './readers/todos.ts';
import { HELP, QUESTIONS, type Reader, type Understanding } from './understanding.ts';
import { localDate, type LocalDate } from '../zoned-time.ts';
import { onThatDay, type Clock } from './when.ts';

// Order matters: the more specific readers first (a team's todo before a todo, a reminder before
// the calendar's "cancel", the calendar's "move" before a todo's).
const READERS: Reader[] = [smallTalk, more, transfer, feedback, elsewhere, teams, reminders, calendar, todos];

/** For each kind of request, the reader of its details once the kind is known. */
const REQUESTS: Record<Intent, (text: string, clock: Clock, context: Context) => Understanding | null> = {
  ...todoRequests,
  ...reminderRequests,
  ...calendarRequests,
  ...teamRequests,
  ...conversationRequests,
};

// How sure the model must be: to read words the rules made nothing of, and to overrule a reading
// it finds unlikely.
const ALONE = 0.6;
const OVERRULE = 0.9;
const UNLIKELY = 0.02;

export function understand(utterance: string, clock: Clock, context: Context, model?: IntentModel): Understanding {
  // "at 10 that morning": the day the call was just about.
  const text = onThatDay(normalize(utterance), dayTalkedAbout(context, clock));
  if (!text) return { kind: 'unknown' };
  const ruled = readFrom(0, text, clock, context);
  return model ? decide(ruled, model.rank(text), text, clock, context) : ruled;
}

/** The rules' reading, unless the model is sure of another kind of request (see ALONE and OVERRULE). */
function decide(ruled: Understanding, ranked: Ranked[], text: string, clock: Clock, context: Context): Understanding {
  const [top] = ranked;
  const said = intentsOf(ruled);
  // The model reads the words alone: a reading that rests on the call so far ("the second one", "more") stands.
  const fromContext = ruled.kind === 'more' || (ruled.kind === 'find' && ruled.find.reference !== null);
  if (!top || said.includes(top.intent) || fromContext) return ruled;
  const likelihood = Math.max(0, ...said.map((intent) => ranked.find((r) => r.intent === intent)?.probability ?? 0));
  const trusted = said.length === 0 ? top.probability >= ALONE && top.intent !== 'fallback' : top.probability >= OVERRULE && likelihood < UNLIKELY;
  return (trusted && REQUESTS[top.intent](text, clock, context)) || ruled;
}

const DAY = 24 * 3_600_000;

/** The one day the call was last about: a day of the calendar just read, or the day of the thing last talked about. */
function dayTalkedAbout(context: Context, clock: Clock): LocalDate | null {
  const { from, to } = context.listing?.args ?? {};
  if (typeof from === 'string' && typeof to === 'string' && Date.parse(to) - Date.parse(from) <= DAY + 3_600_000) return localDate(new Date(from), clock.timezone);
  const row = context.item?.row;
  const at = row?.starts_at ?? row?.due_at ?? row?.remind_at;
  return typeof at === 'string' ? localDate(new Date(at), clock.timezone) : null;
}

const QUESTION_INTENTS: Record<string, Intent[]> = {
  [QUESTIONS.todoTitle]: ['create_todo'],
  [QUESTIONS.todoTarget]: ['complete_todo', 'update_todo', 'delete_todo'],
  [QUESTIONS.todoPriority]: ['update_todo'],
  [QUESTIONS.todoChange]: ['update_todo'],
  [QUESTIONS.reminderMessage]: ['create_reminder'],
  [QUESTIONS.reminderTime]: ['create_reminder'],
  [QUESTIONS.reminderTarget]: ['delete_reminder'],
  [QUESTIONS.eventTitle]: ['create_calendar_event'],
  [QUESTIONS.eventTime]: ['create_calendar_event'],
  [QUESTIONS.eventTarget]: ['cancel_calendar_event'],
  [QUESTIONS.eventNewTime]: ['move_calendar_event', 'update_todo'],
  [QUESTIONS.team]: ['list_team_members', 'list_team_todos', 'create_team_todo'],
  [QUESTIONS.teamTodoTitle]: ['create_team_todo'],
  [QUESTIONS.feedback]: ['record_feedback'],
};

/** The kinds of request a reading serves: none when the rules made nothing of the words. */
export function intentsOf(understood: Understanding): Intent[] {
  switch (understood.kind) {
    case 'call':
      return [understood.tool === 'delete_calendar_event' ? 'cancel_calendar_event' : (understood.tool as Intent)];
    case 'find':
      return [...understood.find.intents, ...(understood.find.otherwise ? intentsOf(understood.find.otherwise) : [])];
    case 'ask':
      return QUESTION_INTENTS[understood.question] ?? [];
    case 'say':
      return understood.text === HELP || /^(?:just )?say\b/i.test(understood.text) ? ['help'] : ['fallback'];
    case 'more':
      return ['more'];
    case 'elsewhere':
      return ['fallback'];
    case 'unknown':
      return [];
  }
}

function readFrom(first: number, text: string, clock: Clock, context: Context): Understanding {
  for (const [index, read] of READERS.entries()) {
    if (index < first) continue;
    const understood = read(text, clock, context);
    if (!understood) continue;
    // A name that may be a team's ("a todo for Sam"): what the later readers make of the words
    // stands when the caller has no team by that name. A second lookup is not chained on the first.
    if (understood.kind === 'find' && understood.find.nouns.includes('team') && understood.find.words.length > 0 && !understood.find.otherwise) {
      const otherwise = readFrom(index + 1, text, clock, context);
      return otherwise.kind === 'find' ? otherwise : { kind: 'find', find: { ...understood.find, otherwise } };
    }
    return understood;
  }
  return { kind: 'unknown' };
}
