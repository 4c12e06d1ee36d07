import { expect } from 'chai';
import type { User } from '../../src/db/users.ts';
import { createTodo, getTodo } from '../../src/db/todos.ts';
import {
  completeTodoTool,
  createTodoTool,
  deleteTodoTool,
  listTodosTool,
  updateTodoTool,
} from '../../src/tools/todos.ts';
import type { TestDatabase } from '../support/database.ts';
import { callerAndStranger, call, contextFor, refusal } from './context.ts';

interface TodoView {
  id: string;
  title: string;
  priority: string;
  due_at: string | null;
  completed: boolean;
}

describe('todo tools', () => {
  let database: TestDatabase;
  let caller: User;
  let stranger: User;

  before(async () => {
    ({ database, caller, stranger } = await callerAndStranger());
  });
  after(() => database.drop());
  beforeEach(async () => {
    await database.db('todos').delete();
  });

  it('when the caller adds a todo with a due date, then it is stored as theirs and returned with its id', async () => {
    const result = await call(
      createTodoTool,
      { title: 'buy milk', due_at: '2026-12-03T09:00:00-05:00', priority: 'high' },
      contextFor(database.db, caller),
    );
    const todo = result.todo as TodoView;
    expect(todo).to.include({ title: 'buy milk', priority: 'high', completed: false, due_at: '2026-12-03T14:00:00.000Z' });
    const stored = await getTodo(database.db, caller.id, todo.id);
    expect(stored?.creator_id).to.equal(caller.id);
  });

  it('when a due date has no offset, then the arguments are refused before anything is written', async () => {
    expect(createTodoTool.parameters.safeParse({ title: 'x', due_at: '2026-12-03T09:00:00' }).success).to.equal(false);
  });

  it('when the caller lists open todos, then they hear only their own open ones, soonest due first', async () => {
    await createTodo(database.db, { creatorId: caller.id, title: 'call the dentist', dueAt: new Date('2026-12-05T15:00:00Z') });
    await createTodo(database.db, { creatorId: caller.id, title: 'buy milk', dueAt: new Date('2026-12-03T15:00:00Z') });
    const done = await createTodo(database.db, { creatorId: caller.id, title: 'old thing' });
    await call(completeTodoTool, { id: done.id }, contextFor(database.db, caller));
    await createTodo(database.db, { creatorId: stranger.id, title: 'stranger secret' });

    const result = await call(listTodosTool, { completed: false }, contextFor(database.db, caller));

    expect(result.count).to.equal(2);
    expect((result.todos as TodoView[]).map((t) => t.title)).to.deep.equal(['buy milk', 'call the dentist']);
  });

  it('when the caller filters by due date, then only todos due in that window come back', async () => {
    await createTodo(database.db, { creatorId: caller.id, title: 'tomorrow thing', dueAt: new Date('2026-12-03T15:00:00Z') });
    await createTodo(database.db, { creatorId: caller.id, title: 'next week thing', dueAt: new Date('2026-12-09T15:00:00Z') });
    const result = await call(
      listTodosTool,
      { due_after: '2026-12-03T00:00:00-05:00', due_before: '2026-12-04T00:00:00-05:00' },
      contextFor(database.db, caller),
    );
    expect((result.todos as TodoView[]).map((t) => t.title)).to.deep.equal(['tomorrow thing']);
  });

  it('when the caller completes a todo by a fragment of its title, then that todo is marked done', async () => {
    const todo = await createTodo(database.db, { creatorId: caller.id, title: 'Buy milk' });
    const result = await call(completeTodoTool, { title: 'milk' }, contextFor(database.db, caller));
    expect((result.todo as TodoView).completed).to.equal(true);
    expect((await getTodo(database.db, caller.id, todo.id))?.completed_at).to.be.instanceOf(Date);
  });

  it('when two todos match the title, then the caller is asked which one and nothing changes', async () => {
    await createTodo(database.db, { creatorId: caller.id, title: 'buy milk' });
    await createTodo(database.db, { creatorId: caller.id, title: 'buy bread' });
    const error = await refusal(completeTodoTool, { title: 'buy' }, contextFor(database.db, caller));
    expect(error.message).to.match(/Which one/);
    expect(await database.db('todos').where({ completed: true }).count<{ count: string }[]>('*')).to.deep.equal([{ count: '0' }]);
  });

  it('when the caller changes the priority and the due date, then both are stored', async () => {
    const todo = await createTodo(database.db, { creatorId: caller.id, title: 'buy milk' });
    const result = await call(
      updateTodoTool,
      { title: 'buy milk', priority: 'high', due_at: '2026-12-04T17:00:00-05:00' },
      contextFor(database.db, caller),
    );
    expect(result.todo).to.include({ id: todo.id, priority: 'high', due_at: '2026-12-04T22:00:00.000Z' });
    expect(result.changed).to.have.members(['priority', 'due_at']);
  });

  it('when an update names nothing to change, then the caller is asked what to change', async () => {
    await createTodo(database.db, { creatorId: caller.id, title: 'buy milk' });
    const error = await refusal(updateTodoTool, { title: 'buy milk' }, contextFor(database.db, caller));
    expect(error.message).to.equal('What should I change about "buy milk"?');
  });

  it('when the caller deletes a todo by title, then it is gone', async () => {
    const todo = await createTodo(database.db, { creatorId: caller.id, title: 'buy milk' });
    const result = await call(deleteTodoTool, { title: 'the todo buy milk' }, contextFor(database.db, caller));
    expect((result.deleted as TodoView).id).to.equal(todo.id);
    expect(await getTodo(database.db, caller.id, todo.id)).to.equal(null);
  });

  it('when neither id nor title is given, then the arguments are refused', () => {
    expect(completeTodoTool.parameters.safeParse({}).success).to.equal(false);
  });

  describe("another user's todo", () => {
    let theirs: { id: string };
    beforeEach(async () => {
      theirs = await createTodo(database.db, { creatorId: stranger.id, title: 'stranger secret', priority: 'low' });
    });

    async function unchanged(): Promise<void> {
      const row = await database.db('todos').where({ id: theirs.id }).first();
      expect(row).to.include({ title: 'stranger secret', priority: 'low', completed: false });
    }

    for (const [tool, args] of [
      [completeTodoTool, {}],
      [updateTodoTool, { priority: 'urgent', new_title: 'pwned' }],
      [deleteTodoTool, {}],
    ] as const) {
      it(`when the caller runs ${tool.name} with its id, then they are told it was not found and nothing changes`, async () => {
        const error = await refusal(tool, { id: theirs.id, ...args }, contextFor(database.db, caller));
        expect(error.message).to.equal("I couldn't find that todo.");
        await unchanged();
      });

      it(`when the caller runs ${tool.name} with its title, then they are told it was not found and nothing changes`, async () => {
        const error = await refusal(tool, { title: 'stranger secret', ...args }, contextFor(database.db, caller));
        expect(error.message).to.match(/couldn't find a todo/);
        await unchanged();
      });
    }

    it('when the caller lists todos, then the stranger\'s todo is not among them', async () => {
      const result = await call(listTodosTool, {}, contextFor(database.db, caller));
      expect(result.count).to.equal(0);
    });
  });
});
