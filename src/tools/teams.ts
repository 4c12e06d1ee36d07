import { z } from 'zod';
import { listMemberships, listTeamMembers, WRITING_ROLES, type TeamMember } from '../db/teams.ts';
import { createTodo, listTodos } from '../db/todos.ts';
import { dateTime, priority } from './arguments.ts';
import { defineTool, ToolError } from './tool.ts';
import { resolveTeam, todoFilter, todoFilterOf, todoView } from './todos.ts';

export const listTeamsTool = defineTool({
  name: 'list_teams',
  description: 'List the teams the caller belongs to, with their role in each.',
  effect: 'read',
  parameters: z.object({}),
  async run(_args, { db, caller }) {
    const teams = await listMemberships(db, caller.id);
    return { count: teams.length, teams: teams.map((t) => ({ id: t.id, name: t.name, role: t.role })) };
  },
});

export const listTeamMembersTool = defineTool({
  name: 'list_team_members',
  description: 'List the members of one of the caller\'s teams, with their roles.',
  effect: 'read',
  parameters: z.object({ team: z.string().min(1).describe('The team name (e.g. "Design") or id.') }),
  async run(args, { db, caller }) {
    const team = await resolveTeam(db, caller.id, args.team);
    const members = (await listTeamMembers(db, team.id, caller.id)) ?? [];
    return {
      team: { id: team.id, name: team.name },
      count: members.length,
      members: members.map((m) => ({ id: m.user_id, name: m.name, role: m.role, is_you: m.user_id === caller.id })),
    };
  },
});

/** The member the caller named: their id, "me", their full name or their first name. */
function findAssignee(members: TeamMember[], said: string, callerId: string): TeamMember | null {
  const wanted = said.trim().toLowerCase();
  if (['me', 'myself', 'i'].includes(wanted)) return members.find((m) => m.user_id === callerId) ?? null;
  const matches = [
    (m: TeamMember) => m.user_id === said.trim(),
    (m: TeamMember) => m.name.toLowerCase() === wanted,
    (m: TeamMember) => m.name.toLowerCase().split(/\s+/)[0] === wanted,
    (m: TeamMember) => m.name.toLowerCase().includes(wanted),
  ];
  for (const match of matches) {
    const found = members.filter(match);
    if (found.length === 1) return found[0] ?? null;
    if (found.length > 1) {
      throw new ToolError(`More than one member matches "${said}": ${found.map((m) => m.name).join(', ')}. Which one?`);
    }
  }
  return null;
}

export const createTeamTodoTool = defineTool({
  name: 'create_team_todo',
  description:
    "Add a todo to one of the caller's teams, optionally assigned to a team member. Viewers cannot add todos.",
  effect: 'write',
  parameters: z.object({
    team: z.string().min(1).describe('The team name or id.'),
    title: z.string().trim().min(1).max(200),
    assignee: z.string().min(1).optional().describe('A team member\'s name or id, or "me".'),
    priority: priority.optional(),
    due_at: dateTime.optional(),
    description: z.string().max(2000).optional(),
  }),
  async run(args, { db, caller }) {
    const team = await resolveTeam(db, caller.id, args.team);
    if (!WRITING_ROLES.includes(team.role)) {
      throw new ToolError(`You're a ${team.role} on the ${team.name} team, so you can't add its todos.`);
    }
    let assigneeId: string | null = null;
    if (args.assignee !== undefined) {
      const members = (await listTeamMembers(db, team.id, caller.id)) ?? [];
      const assignee = findAssignee(members, args.assignee, caller.id);
      if (!assignee) throw new ToolError(`${args.assignee} isn't on the ${team.name} team.`);
      assigneeId = assignee.user_id;
    }
    const todo = await createTodo(db, {
      creatorId: caller.id,
      teamId: team.id,
      assigneeId,
      title: args.title,
      priority: args.priority,
      description: args.description,
      dueAt: args.due_at ? new Date(args.due_at) : null,
    });
    return { todo: todoView(todo) };
  },
});

export const listTeamTodosTool = defineTool({
  name: 'list_team_todos',
  description: "List the todos of one of the caller's teams. Use completed=false for open ones.",
  effect: 'read',
  parameters: todoFilter.extend({ team: z.string().min(1).describe('The team name (e.g. "Design") or id.') }),
  async run(args, { db, caller }) {
    const team = await resolveTeam(db, caller.id, args.team);
    const todos = await listTodos(db, caller.id, { ...todoFilterOf(args), teamId: team.id });
    return { team: team.name, count: todos.length, todos: todos.map(todoView) };
  },
});

export const teamTools = [listTeamsTool, listTeamMembersTool, listTeamTodosTool, createTeamTodoTool];
