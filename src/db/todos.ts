import type { Knex } from 'knex';
import type { Executor } from './knex.ts';
import { containing } from './like.ts';
import { DELETING_ROLES, teamIdsOf, WRITING_ROLES } from './teams.ts';

export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A todos row, with the names of its assignee and team joined in. */
export interface Todo {
  id: string;
  title: string;
  description: string | null;
  priority: Priority;
  due_at: Date | null;
  completed: boolean;
  completed_at: Date | null;
  creator_id: string;
  assignee_id: string | null;
  assignee_name: string | null;
  team_id: string | null;
  team_name: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewTodo {
  creatorId: string;
  title: string;
  description?: string | null;
  priority?: Priority;
  dueAt?: Date | null;
  assigneeId?: string | null;
  teamId?: string | null;
}

export interface TodoFilter {
  completed?: boolean;
  priority?: Priority;
  dueBefore?: Date;
  dueAfter?: Date;
  /** A team's todos (the user must be in the team); without it, the todos the user created or was given. */
  teamId?: string;
  limit?: number;
}

export interface TodoPatch {
  title?: string;
  description?: string | null;
  priority?: Priority;
  dueAt?: Date | null;
  assigneeId?: string | null;
}

type Where = (query: Knex.QueryBuilder) => void;

// Ownership is decided in SQL, in the same statement that reads or writes, so a guessed id of
// someone else's row matches nothing. Team roles come from the policy in teams.ts.
function visibleTo(userId: string, table: string): Where {
  return (q) => {
    q.where(`${table}.creator_id`, userId)
      .orWhere(`${table}.assignee_id`, userId)
      .orWhereIn(`${table}.team_id`, teamIdsOf(userId));
  };
}

function writableBy(userId: string, table: string): Where {
  return (q) => {
    q.where(`${table}.creator_id`, userId)
      .orWhere(`${table}.assignee_id`, userId)
      .orWhereIn(`${table}.team_id`, teamIdsOf(userId, WRITING_ROLES));
  };
}

// Deleting is stronger than changing: an assignee may finish a todo but only its creator, or a
// team owner or admin, may make it disappear.
function deletableBy(userId: string, table: string): Where {
  return (q) => {
    q.where(`${table}.creator_id`, userId).orWhereIn(`${table}.team_id`, teamIdsOf(userId, DELETING_ROLES));
  };
}

function selectTodos(db: Executor): Knex.QueryBuilder {
  return db('todos as t')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .leftJoin('teams as g', 'g.id', 't.team_id')
    .select('t.*', 'a.name as assignee_name', 'g.name as team_name');
}

export async function createTodo(db: Executor, todo: NewTodo): Promise<Todo> {
  const [row] = await db('todos')
    .insert({
      creator_id: todo.creatorId,
      title: todo.title,
      description: todo.description ?? null,
      priority: todo.priority ?? 'medium',
      due_at: todo.dueAt ?? null,
      assignee_id: todo.assigneeId ?? null,
      team_id: todo.teamId ?? null,
    })
    .returning<{ id: string }[]>('id');
  if (!row) throw new Error('insert into todos returned no row');
  const created = await selectTodos(db).where('t.id', row.id).first<Todo | undefined>();
  if (!created) throw new Error('created todo not found');
  return created;
}

/** The todo when `userId` may see it (created it, was given it, or is in its team). */
export async function getTodo(db: Executor, userId: string, id: string): Promise<Todo | null> {
  const row = await selectTodos(db).where('t.id', id).andWhere(visibleTo(userId, 't')).first<Todo | undefined>();
  return row ?? null;
}

export async function listTodos(db: Executor, userId: string, filter: TodoFilter = {}): Promise<Todo[]> {
  const query = selectTodos(db);
  if (filter.teamId) query.where('t.team_id', filter.teamId).andWhere(visibleTo(userId, 't'));
  else query.where((q) => q.where('t.creator_id', userId).orWhere('t.assignee_id', userId));
  if (filter.completed !== undefined) query.where('t.completed', filter.completed);
  if (filter.priority) query.where('t.priority', filter.priority);
  if (filter.dueBefore) query.where('t.due_at', '<', filter.dueBefore);
  if (filter.dueAfter) query.where('t.due_at', '>=', filter.dueAfter);
  const rows = await query
    .orderByRaw('t.due_at asc nulls last, t.created_at asc, t.id')
    .limit(filter.limit ?? 50)
    .select<Todo[]>();
  return rows;
}

/** Visible todos whose title contains `fragment`, case-insensitively. */
export async function findTodosByTitle(db: Executor, userId: string, fragment: string): Promise<Todo[]> {
  const rows = await selectTodos(db)
    .where('t.title', 'ilike', containing(fragment))
    .andWhere(visibleTo(userId, 't'))
    .orderBy('t.created_at')
    .limit(20)
    .select<Todo[]>();
  return rows;
}

/** Applies the patch when `userId` may change the todo; null when it is not theirs to change. */
export async function updateTodo(db: Executor, userId: string, id: string, patch: TodoPatch): Promise<Todo | null> {
  const changes: Record<string, unknown> = { updated_at: db.fn.now() };
  if (patch.title !== undefined) changes.title = patch.title;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.priority !== undefined) changes.priority = patch.priority;
  if (patch.dueAt !== undefined) changes.due_at = patch.dueAt;
  if (patch.assigneeId !== undefined) changes.assignee_id = patch.assigneeId;
  return writeTodo(db, userId, id, changes);
}

export async function completeTodo(db: Executor, userId: string, id: string, at: Date): Promise<Todo | null> {
  return writeTodo(db, userId, id, { completed: true, completed_at: at, updated_at: at });
}

async function writeTodo(db: Executor, userId: string, id: string, changes: Record<string, unknown>): Promise<Todo | null> {
  const updated = await db('todos').where('todos.id', id).andWhere(writableBy(userId, 'todos')).update(changes).returning('id');
  return updated.length > 0 ? getTodo(db, userId, id) : null;
}

/** True when the todo existed and `userId` was allowed to delete it. */
export async function deleteTodo(db: Executor, userId: string, id: string): Promise<boolean> {
  const deleted = await db('todos').where('todos.id', id).andWhere(deletableBy(userId, 'todos')).delete().returning('id');
  return deleted.length > 0;
}
