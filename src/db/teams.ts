import type { Knex } from 'knex';
import type { Executor } from './knex.ts';

export type TeamRole = 'owner' | 'admin' | 'member' | 'viewer';

/** Roles that may add or change a team's todos; viewers only read. */
export const WRITING_ROLES: readonly TeamRole[] = ['owner', 'admin', 'member'];

/** Roles that may delete any of a team's todos, not only the ones they created. */
export const DELETING_ROLES: readonly TeamRole[] = ['owner', 'admin'];

export interface Team {
  id: string;
  name: string;
}

/** A team as one of its members sees it: with that member's role. */
export interface Membership extends Team {
  role: TeamRole;
}

export interface TeamMember {
  user_id: string;
  name: string;
  role: TeamRole;
}

/**
 * The ids of the teams `userId` is in (with one of `roles`, when given), as a subquery:
 * `whereIn('todos.team_id', teamIdsOf(userId, WRITING_ROLES))`.
 */
export function teamIdsOf(userId: string, roles?: readonly TeamRole[]): Knex.QueryCallback {
  return (query) => {
    query.select('team_id').from('team_members').where('user_id', userId);
    if (roles) query.whereIn('role', roles);
  };
}

export async function createTeam(db: Executor, name: string): Promise<Team> {
  const [row] = await db<Team>('teams').insert({ name }).returning(['id', 'name']);
  if (!row) throw new Error('insert into teams returned no row');
  return row;
}

export async function findTeamByName(db: Executor, name: string): Promise<Team | null> {
  const row = await db<Team>('teams').whereRaw('lower(name) = lower(?)', [name]).first('id', 'name');
  return row ?? null;
}

/** Adds the user to the team, or changes their role when they are in it already. */
export async function addTeamMember(db: Executor, teamId: string, userId: string, role: TeamRole): Promise<void> {
  await db('team_members')
    .insert({ team_id: teamId, user_id: userId, role })
    .onConflict(['team_id', 'user_id'])
    .merge(['role']);
}

export async function listMemberships(db: Executor, userId: string): Promise<Membership[]> {
  return db('team_members as m')
    .join('teams as t', 't.id', 'm.team_id')
    .where('m.user_id', userId)
    .orderBy('t.name')
    .select<Membership[]>('t.id', 't.name', 'm.role');
}

/**
 * The caller's teams whose id is `idOrName`, or whose name contains it ("design" finds
 * "Design"). Only teams the user belongs to: a team they are not in does not exist for them.
 */
export async function findMemberships(db: Executor, userId: string, idOrName: string): Promise<Membership[]> {
  const teams = await listMemberships(db, userId);
  const wanted = idOrName
    .trim()
    .toLowerCase()
    .replace(/^(?:the|my|our)\s+/, '')
    .replace(/\s+team$/, '');
  const byId = teams.filter((team) => team.id === idOrName.trim());
  if (byId.length > 0) return byId;
  const exact = teams.filter((team) => team.name.toLowerCase() === wanted);
  if (exact.length > 0) return exact;
  return teams.filter((team) => team.name.toLowerCase().includes(wanted));
}

export async function getRole(db: Executor, teamId: string, userId: string): Promise<TeamRole | null> {
  const row = await db('team_members')
    .where({ team_id: teamId, user_id: userId })
    .first<{ role: TeamRole } | undefined>('role');
  return row?.role ?? null;
}

/** The team's members, or null when `viewerId` is not one of them (so cannot see the list). */
export async function listTeamMembers(db: Executor, teamId: string, viewerId: string): Promise<TeamMember[] | null> {
  if ((await getRole(db, teamId, viewerId)) === null) return null;
  return db('team_members as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.team_id', teamId)
    .orderByRaw(`case m.role when 'owner' then 0 when 'admin' then 1 when 'member' then 2 else 3 end, u.name`)
    .select<TeamMember[]>('u.id as user_id', 'u.name', 'm.role');
}
