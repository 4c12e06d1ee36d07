import { z } from 'zod';
import type { Executor } from '../db/knex.ts';
import { findMemberships, listMemberships, type Membership } from '../db/teams.ts';
import {
  completeTodo,
  createTodo,
  deleteTodo,
  findTodosByTitle,
  getTodo,
  listTodos,
  updateTodo,
  type Todo,
  type TodoFilter,
} from '../db/todos.ts';
import { dateTime, idOrName, priority } from './arguments.ts';
import { chooseOne, findTarget } from './targets.ts';
import { defineTool, ToolError } from './tool.ts';

/** A todo as the model sees it: small, with the id for follow-up calls and dates as ISO strings. */
export function todoView(todo: Todo): Record<string, unknown> {
  return {
    id: todo.id,
    title: todo.title,
    priority: todo.priority,
    due_at: todo.due_at?.toISOString() ?? null,
    completed: todo.completed,
    ...(todo.description ? { description: todo.description } : {}),
    ...(todo.team_name ? { team: todo.team_name } : {}),
    ...(todo.assignee_name ? { assigned_to: todo.assignee_name } : {}),
  };
}

/** The caller's team named (or with the id) `team`, or a ToolError the caller can act on. */
export async function resolveTeam(db: Executor, userId: string, team: string): Promise<Membership> {
  const found = await findMemberships(db, userId, team);
  if (found.length === 0) throw new ToolError(`You're not on a team called "${team}".`);
  return chooseOne(found, team, { noun: 'team', name: (t) => t.name });
}

const todoByTitle = { noun: 'todo', name: 'title', description: 'Part of the todo title, as the caller said it, when there is no id.' } as const;

/** The todo the caller means, by id or by title, among those they may see. */
function findTodo(db: Executor, userId: string, said: { id?: string; title?: string }, preferOpen: boolean): Promise<Todo> {
  return findTarget(
    { id: said.id, name: said.title },
    {
      noun: 'todo',
      byId: (todoId) => getTodo(db, userId, todoId),
      byName: (fragment) => findTodosByTitle(db, userId, fragment),
      name: (todo) => todo.title,
      preferred: preferOpen ? (todo) => !todo.completed : undefined,
    },
  );
}

export const createTodoTool = defineTool({
  name: 'create_todo',
  description: "Add a todo to the caller's own list, optionally with a due date and a priority.",
  effect: 'write',
  parameters: z.object({
    title: z.string().trim().min(1).max(200).describe('What to do, e.g. "buy milk".'),
    description: z.string().max(2000).optional(),
    priority: priority.optional().describe('Defaults to medium.'),
    due_at: dateTime.optional().describe('When it is due, ISO 8601 with offset.'),
  }),
  async run(args, { db, caller }) {
    const todo = await createTodo(db, {
      creatorId: caller.id,
      title: args.title,
      description: args.description,
      priority: args.priority,
      dueAt: args.due_at ? new Date(args.due_at) : null,
    });
    return { todo: todoView(todo) };
  },
});

/** Which todos a listing wants: shared by the caller's own list and a team's. */
export const todoFilter = z.object({
  completed: z.boolean().optional().describe('false: open todos only; true: finished ones; omit for both.'),
  priority: priority.optional().describe('Only todos of this priority.'),
  due_before: dateTime.optional(),
  due_after: dateTime.optional(),
});

export function todoFilterOf(args: z.infer<typeof todoFilter>): TodoFilter {
  return {
    completed: args.completed,
    priority: args.priority,
    dueBefore: args.due_before ? new Date(args.due_before) : undefined,
    dueAfter: args.due_after ? new Date(args.due_after) : undefined,
  };
}

export const listTodosTool = defineTool({
  name: 'list_todos',
  description:
    "List the caller's own todos (created by or assigned to them), and with teams=true their teams' too. Use completed=false for open ones; list_team_todos lists one team's.",
  effect: 'read',
  parameters: todoFilter.extend({ teams: z.boolean().optional().describe("true: also the todos of every team the caller is on.") }),
  async run(args, { db, caller }) {
    const filter = todoFilterOf(args);
    const todos = await listTodos(db, caller.id, filter);
    if (args.teams) {
      const seen = new Set(todos.map((todo) => todo.id));
      for (const team of await listMemberships(db, caller.id)) {
        for (const todo of await listTodos(db, caller.id, { ...filter, teamId: team.id })) if (!seen.has(todo.id)) todos.push(todo);
      }
      todos.sort(byDueDate);
    }
    return { count: todos.length, todos: todos.map(todoView) };
  },
});

/** The order listTodos gives: due first, undated last, then oldest first. */
function byDueDate(a: Todo, b: Todo): number {
  const due = (todo: Todo) => todo.due_at?.getTime() ?? Number.POSITIVE_INFINITY;
  return due(a) - due(b) || a.created_at.getTime() - b.created_at.getTime();
}

export const completeTodoTool = defineTool({
  name: 'complete_todo',
  description: 'Mark a todo as done, by its id or by (part of) its title.',
  effect: 'write',
  parameters: idOrName(todoByTitle),
  async run(args, { db, caller, now }) {
    const todo = await findTodo(db, caller.id, args, true);
    if (todo.completed) return { todo: todoView(todo), already_completed: true };
    const done = await completeTodo(db, caller.id, todo.id, now);
    if (!done) throw new ToolError(`You can't change "${todo.title}": you only have read access to it.`);
    return { todo: todoView(done) };
  },
});

export const updateTodoTool = defineTool({
  name: 'update_todo',
  description: "Change a todo's title, description, priority or due date. Name it by id or by (part of) its title.",
  effect: 'write',
  parameters: idOrName(
    { ...todoByTitle, description: 'Part of the current title, when there is no id.' },
    {
      new_title: z.string().trim().min(1).max(200).optional(),
      description: z.string().max(2000).nullable().optional(),
      priority: priority.optional(),
      due_at: dateTime.nullable().optional().describe('null removes the due date.'),
    },
  ),
  async run(args, { db, caller }) {
    const todo = await findTodo(db, caller.id, args, true);
    if (
      args.new_title === undefined &&
      args.description === undefined &&
      args.priority === undefined &&
      args.due_at === undefined
    ) {
      throw new ToolError(`What should I change about "${todo.title}"?`);
    }
    const updated = await updateTodo(db, caller.id, todo.id, {
      title: args.new_title,
      description: args.description,
      priority: args.priority,
      dueAt: args.due_at === undefined ? undefined : args.due_at === null ? null : new Date(args.due_at),
    });
    if (!updated) throw new ToolError(`You can't change "${todo.title}": you only have read access to it.`);
    return {
      todo: todoView(updated),
      changed: Object.keys(args).filter((key) => key !== 'id' && key !== 'title'),
    };
  },
});

export const deleteTodoTool = defineTool({
  name: 'delete_todo',
  description: 'Delete a todo for good, by its id or by (part of) its title.',
  effect: 'write',
  parameters: idOrName(todoByTitle),
  async run(args, { db, caller }) {
    const todo = await findTodo(db, caller.id, args, false);
    if (!(await deleteTodo(db, caller.id, todo.id))) {
      throw new ToolError(`You can't delete "${todo.title}": only its creator or a team owner or admin can.`);
    }
    return { deleted: todoView(todo) };
  },
});

export const todoTools = [createTodoTool, listTodosTool, completeTodoTool, updateTodoTool, deleteTodoTool];
