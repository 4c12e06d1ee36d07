import { expect } from 'chai';
import { addTeamMember, createTeam, type Team } from '../../src/db/teams.ts';
import { createTodo, getTodo } from '../../src/db/todos.ts';
import type { User } from '../../src/db/users.ts';
import { createTeamTodoTool, listTeamMembersTool, listTeamsTool, listTeamTodosTool } from '../../src/tools/teams.ts';
import { completeTodoTool, deleteTodoTool, listTodosTool } from '../../src/tools/todos.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addUser, call, contextFor, refusal } from './context.ts';

describe('team tools', () => {
  let database: TestDatabase;
  let caller: User;
  let alice: User;
  let bob: User;
  let victor: User;
  let outsider: User;
  let design: Team;
  let engineering: Team;

  before(async () => {
    database = await createTestDatabase();
    const db = database.db;
    caller = await addUser(db, 'Casey Caller');
    alice = await addUser(db, 'Alice Martin');
    bob = await addUser(db, 'Bob Stone');
    victor = await addUser(db, 'Victor Viewer');
    outsider = await addUser(db, 'Olga Outsider');
    design = await createTeam(db, 'Design');
    engineering = await createTeam(db, 'Engineering');
    await addTeamMember(db, design.id, alice.id, 'owner');
    await addTeamMember(db, design.id, caller.id, 'member');
    await addTeamMember(db, design.id, bob.id, 'member');
    await addTeamMember(db, design.id, victor.id, 'viewer');
    await addTeamMember(db, engineering.id, bob.id, 'owner');
    await addTeamMember(db, engineering.id, caller.id, 'viewer');
  });
  after(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await database.db('todos').delete();
  });

  it('when the caller asks for their teams, then each comes with their role', async () => {
    const result = await call(listTeamsTool, {}, contextFor(database.db, caller));
    expect(result.teams).to.deep.equal([
      { id: design.id, name: 'Design', role: 'member' },
      { id: engineering.id, name: 'Engineering', role: 'viewer' },
    ]);
  });

  it('when the caller asks who is on a team by a loose name, then the members come back, owner first', async () => {
    const result = await call(listTeamMembersTool, { team: 'the design team' }, contextFor(database.db, caller));
    const members = result.members as { name: string; role: string; is_you: boolean }[];
    expect(members.map((m) => [m.name, m.role])).to.deep.equal([
      ['Alice Martin', 'owner'],
      ['Bob Stone', 'member'],
      ['Casey Caller', 'member'],
      ['Victor Viewer', 'viewer'],
    ]);
    expect(members.find((m) => m.is_you)?.name).to.equal('Casey Caller');
  });

  it('when someone outside a team asks who is on it, then the team does not exist for them', async () => {
    const error = await refusal(listTeamMembersTool, { team: 'Design' }, contextFor(database.db, outsider));
    expect(error.message).to.equal('You\'re not on a team called "Design".');
  });

  it('when a member adds a team todo assigned to a member by first name, then it belongs to the team and the assignee', async () => {
    const result = await call(
      createTeamTodoTool,
      { team: 'design', title: 'review the mockups', assignee: 'Alice' },
      contextFor(database.db, caller),
    );
    expect(result.todo).to.include({ title: 'review the mockups', team: 'Design', assigned_to: 'Alice Martin' });
    const row = await database.db('todos').first();
    expect(row).to.include({ team_id: design.id, assignee_id: alice.id, creator_id: caller.id });
  });

  it('when the assignee is not a member of the team, then the todo is refused and nothing is stored', async () => {
    const error = await refusal(
      createTeamTodoTool,
      { team: 'Design', title: 'review the mockups', assignee: 'Olga' },
      contextFor(database.db, caller),
    );
    expect(error.message).to.equal("Olga isn't on the Design team.");
    expect(await database.db('todos').count<{ count: string }[]>('*')).to.deep.equal([{ count: '0' }]);
  });

  it('when a viewer adds a team todo, then it is refused and nothing is stored', async () => {
    const error = await refusal(createTeamTodoTool, { team: 'Engineering', title: 'ship it' }, contextFor(database.db, caller));
    expect(error.message).to.equal("You're a viewer on the Engineering team, so you can't add its todos.");
    expect(await database.db('todos').count<{ count: string }[]>('*')).to.deep.equal([{ count: '0' }]);
  });

  it('when a non-member adds a todo to a team, then it is refused as an unknown team', async () => {
    const error = await refusal(createTeamTodoTool, { team: 'Design', title: 'sneak in' }, contextFor(database.db, outsider));
    expect(error.message).to.match(/not on a team/);
  });

  it("when a member lists a team's todos, then they hear that team's open todos, not their own, and an outsider is refused", async () => {
    await createTodo(database.db, { creatorId: caller.id, title: 'my own errand' });
    await createTodo(database.db, { creatorId: alice.id, teamId: design.id, title: 'pick the palette', priority: 'high' });
    await createTodo(database.db, { creatorId: bob.id, teamId: engineering.id, title: 'fix the build' });
    const done = await createTodo(database.db, { creatorId: alice.id, teamId: design.id, title: 'order cards' });
    await database.db('todos').where({ id: done.id }).update({ completed: true });

    const listed = await call(listTeamTodosTool, { team: 'the design team', completed: false }, contextFor(database.db, caller));

    expect(listed.team).to.equal('Design');
    expect((listed.todos as { title: string }[]).map((todo) => todo.title)).to.deep.equal(['pick the palette']);
    const high = await call(listTeamTodosTool, { team: 'Design', priority: 'low' }, contextFor(database.db, caller));
    expect(high.count).to.equal(0);
    const error = await refusal(listTeamTodosTool, { team: 'Design' }, contextFor(database.db, outsider));
    expect(error.message).to.match(/not on a team/);
  });

  it("when the caller lists their todos with teams, then their own and their teams' come back by due date, and no other team's", async () => {
    const db = database.db;
    const elsewhere = await createTeam(db, `Elsewhere ${Date.now()}`);
    await addTeamMember(db, elsewhere.id, outsider.id, 'owner');
    await createTodo(db, { creatorId: caller.id, title: 'own todo', dueAt: new Date('2026-12-05T15:00:00Z') });
    await createTodo(db, { creatorId: alice.id, teamId: design.id, title: 'design todo', dueAt: new Date('2026-12-03T15:00:00Z') });
    await createTodo(db, { creatorId: bob.id, teamId: engineering.id, title: 'engineering todo' });
    await createTodo(db, { creatorId: outsider.id, teamId: elsewhere.id, title: 'not theirs' });

    const withTeams = await call(listTodosTool, { teams: true }, contextFor(db, caller));
    const own = await call(listTodosTool, {}, contextFor(db, caller));

    expect((withTeams.todos as { title: string }[]).map((t) => t.title)).to.deep.equal(['design todo', 'own todo', 'engineering todo']);
    expect((own.todos as { title: string }[]).map((t) => t.title)).to.deep.equal(['own todo']);
  });

  it('when a viewer reads a team todo but tries to complete it, then they may read but not change it', async () => {
    const todo = await createTodo(database.db, { creatorId: alice.id, teamId: design.id, title: 'pick the palette' });
    const listed = await call(listTeamTodosTool, { team: 'Design' }, contextFor(database.db, victor));
    expect(listed.count).to.equal(1);
    const error = await refusal(completeTodoTool, { id: todo.id }, contextFor(database.db, victor));
    expect(error.message).to.match(/read access/);
    expect((await getTodo(database.db, alice.id, todo.id))?.completed).to.equal(false);
  });

  it('when a team member completes a team todo, then it is done; deleting it is left to its creator or an owner', async () => {
    const todo = await createTodo(database.db, { creatorId: alice.id, teamId: design.id, title: 'pick the palette' });
    await call(completeTodoTool, { title: 'palette' }, contextFor(database.db, bob));
    expect((await getTodo(database.db, alice.id, todo.id))?.completed).to.equal(true);
    const error = await refusal(deleteTodoTool, { id: todo.id }, contextFor(database.db, bob));
    expect(error.message).to.match(/only its creator or a team owner or admin/);
    await call(deleteTodoTool, { id: todo.id }, contextFor(database.db, alice));
    expect(await getTodo(database.db, alice.id, todo.id)).to.equal(null);
  });
});
