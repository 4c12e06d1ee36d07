import { expect } from 'chai';
import type { ChatMessage } from '../../../src/agent/messages.ts';
import { createOfflineProvider } from '../../../src/agent/offline/provider.ts';
import type { ModelReply, ToolSpec } from '../../../src/agent/provider.ts';
import { toolSpecs } from '../../../src/tools/index.ts';

// Wednesday 2 December 2026, 10:00 in New York (UTC-5).
const NOW = new Date('2026-12-02T15:00:00Z');
const TIMEZONE = 'America/New_York';
const provider = createOfflineProvider();

async function complete(messages: ChatMessage[], tools: ToolSpec[] = toolSpecs()): Promise<ModelReply> {
  return provider.complete({ messages, tools, now: NOW, timezone: TIMEZONE, signal: new AbortController().signal });
}

async function understood(utterance: string): Promise<{ name: string; args: unknown }> {
  const reply = await complete([{ role: 'user', content: utterance }]);
  expect(reply.finishReason, reply.message.content ?? '').to.equal('tool_calls');
  const calls = reply.message.toolCalls ?? [];
  expect(calls).to.have.length(1);
  const [call] = calls;
  expect(call?.id).to.match(/^call_[\w-]{8,}$/);
  return { name: call?.name ?? '', args: JSON.parse(call?.arguments ?? 'null') };
}

/** Plays the caller's lines one after another, keeping the provider's questions in between. */
async function converse(...lines: string[]): Promise<{ replies: ModelReply[]; messages: ChatMessage[] }> {
  const messages: ChatMessage[] = [];
  const replies: ModelReply[] = [];
  for (const line of lines) {
    messages.push({ role: 'user', content: line });
    const reply = await complete(messages);
    replies.push(reply);
    messages.push(reply.message);
  }
  return { replies, messages };
}

/** What the provider says once the tool it chose for `utterance` returns `result`. */
async function spokenAfter(utterance: string, result: unknown): Promise<string> {
  const user: ChatMessage = { role: 'user', content: utterance };
  const first = await complete([user]);
  const call = first.message.toolCalls?.[0];
  if (!call) expect.fail(`no tool call for "${utterance}": ${first.message.content}`);
  const reply = await complete([
    user,
    first.message,
    { role: 'tool', toolCallId: call.id, content: JSON.stringify(result) },
  ]);
  expect(reply.finishReason).to.equal('stop');
  expect(reply.message.toolCalls ?? []).to.have.length(0);
  return reply.message.content ?? '';
}

describe('offline provider', () => {
  it('when asked who it is, then it names itself convonet.offline with model offline-1', () => {
    expect(provider.name).to.equal('convonet.offline');
    expect(provider.model).to.equal('offline-1');
  });

  describe('understanding', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['add a todo to buy milk', 'create_todo', { title: 'buy milk' }],
      ['Add a to-do to call the dentist tomorrow.', 'create_todo', { title: 'call the dentist', due_at: '2026-12-03T09:00:00-05:00' }],
      ['add a high priority task to file taxes by next Monday', 'create_todo', { title: 'file taxes', priority: 'high', due_at: '2026-12-07T09:00:00-05:00' }],
      ['add buy bread to my todo list', 'create_todo', { title: 'buy bread' }],
      ['what are my todos', 'list_todos', { completed: false }],
      ['what are my completed todos', 'list_todos', { completed: true }],
      ['what todos are due tomorrow', 'list_todos', { completed: false, due_after: '2026-12-03T00:00:00-05:00', due_before: '2026-12-04T00:00:00-05:00' }],
      ['remind me to call mom tomorrow at 3 pm', 'create_reminder', { message: 'call mom', remind_at: '2026-12-03T15:00:00-05:00' }],
      ['remind me to stretch in two hours', 'create_reminder', { message: 'stretch', remind_at: '2026-12-02T12:00:00-05:00' }],
      ['remind me at noon to eat lunch', 'create_reminder', { message: 'eat lunch', remind_at: '2026-12-02T12:00:00-05:00' }],
      // After the switch to daylight saving time: the offset follows the date, not today.
      ['remind me to file taxes on March 20th at 9 am', 'create_reminder', { message: 'file taxes', remind_at: '2027-03-20T09:00:00-04:00' }],
      ['what are my reminders', 'list_reminders', {}],
      ["what's on my calendar on Friday", 'list_calendar_events', { from: '2026-12-04T00:00:00-05:00', to: '2026-12-05T00:00:00-05:00' }],
      ["what's on my calendar today", 'list_calendar_events', { from: '2026-12-02T00:00:00-05:00', to: '2026-12-03T00:00:00-05:00' }],
      ["what's on my calendar", 'list_calendar_events', { from: '2026-12-02T00:00:00-05:00', to: '2026-12-09T00:00:00-05:00' }],
      ['schedule a meeting with Bob on Monday at 10 am for an hour', 'create_calendar_event', { title: 'meeting with Bob', starts_at: '2026-12-07T10:00:00-05:00', ends_at: '2026-12-07T11:00:00-05:00' }],
      ['add an event called design review next Friday at 10:30', 'create_calendar_event', { title: 'design review', starts_at: '2026-12-11T10:30:00-05:00' }],
      ['book lunch with Alice on the 3rd of January from noon to 1:30 pm', 'create_calendar_event', { title: 'lunch with Alice', starts_at: '2027-01-03T12:00:00-05:00', ends_at: '2027-01-03T13:30:00-05:00' }],
      ['what teams am I on', 'list_teams', {}],
      ['who is on the design team', 'list_team_members', { team: 'design' }],
      ['add a todo for the design team to review the mockups assigned to Alice', 'create_team_todo', { team: 'design', title: 'review the mockups', assignee: 'Alice' }],
      ['put me through to a person', 'transfer_to_human', { reason: 'put me through to a person' }],
      ['that was wrong', 'record_feedback', { comment: 'that was wrong' }],
      ['feedback: the voice is too fast', 'record_feedback', { comment: 'the voice is too fast' }],
    ];
    for (const [utterance, name, args] of cases) {
      it(`when the caller says "${utterance}", then it calls ${name} with ${JSON.stringify(args)}`, async () => {
        expect(await understood(utterance)).to.deep.equal({ name, args });
      });
    }

    it('when a tool call is made, then its arguments fit that tool\'s schema', async () => {
      const { tools } = await import('../../../src/tools/index.ts');
      for (const [utterance] of cases) {
        const { name, args } = await understood(utterance);
        const parsed = tools.find((tool) => tool.name === name)?.parameters.safeParse(args);
        expect(parsed?.success, `${utterance}: ${JSON.stringify(parsed?.error?.issues)}`).to.equal(true);
      }
    });
  });

  describe('asking back', () => {
    it('when the todo has no text, then it asks what it should say, and the answer completes it', async () => {
      const { replies } = await converse('add a todo', 'buy milk');
      expect(replies[0]?.message.content).to.equal('What should the todo say?');
      expect(replies[0]?.finishReason).to.equal('stop');
      expect(replies[1]?.message.toolCalls?.[0]?.name).to.equal('create_todo');
      expect(JSON.parse(replies[1]?.message.toolCalls?.[0]?.arguments ?? '')).to.deep.equal({ title: 'buy milk' });
    });

    it('when a reminder lacks both message and time, then it asks for each in turn and keeps both answers', async () => {
      const { replies } = await converse('remind me', 'to call mom', 'tomorrow at 3 pm');
      expect(replies.map((r) => r.message.content)).to.deep.equal([
        'What should I remind you about?',
        'When should I remind you?',
        null,
      ]);
      expect(JSON.parse(replies[2]?.message.toolCalls?.[0]?.arguments ?? '')).to.deep.equal({
        message: 'call mom',
        remind_at: '2026-12-03T15:00:00-05:00',
      });
    });

    it('when a meeting has no time, then it asks when, and the answer keeps the title', async () => {
      const { replies } = await converse('schedule a meeting with Bob', 'Monday at 10 am');
      expect(replies[0]?.message.content).to.equal('When is it?');
      expect(JSON.parse(replies[1]?.message.toolCalls?.[0]?.arguments ?? '')).to.deep.equal({
        title: 'meeting with Bob',
        starts_at: '2026-12-07T10:00:00-05:00',
      });
    });

    it('when the priority is missing, then it asks for it and completes the update', async () => {
      const { replies } = await converse('change the priority of buy milk', 'high');
      expect(replies[0]?.message.content).to.equal('What priority should it have: low, medium, high or urgent?');
      // The answer completes the request, which first looks the todo up among the caller's own.
      expect(replies[1]?.message.toolCalls?.map((c) => c.name)).to.deep.equal(['list_todos']);
    });

    it('when the caller answers a question with a new request, then the new request wins', async () => {
      const { replies } = await converse('add a todo', 'what are my reminders');
      expect(replies[1]?.message.toolCalls?.[0]?.name).to.equal('list_reminders');
    });

    it('when the caller says never mind, then the pending request is dropped', async () => {
      const { replies } = await converse('add a todo', 'never mind');
      expect(replies[1]?.message.content).to.match(/dropped that/);
      expect(replies[1]?.message.toolCalls).to.equal(undefined);
    });
  });

  describe('not understanding', () => {
    it('when the request makes no sense to it, then it says so briefly and names what it can do', async () => {
      const reply = await complete([{ role: 'user', content: 'purple elephants dancing on the ceiling' }]);
      expect(reply.finishReason).to.equal('stop');
      expect(reply.message.toolCalls).to.equal(undefined);
      expect(reply.message.content).to.equal("Sorry, I didn't get that. You can ask about your todos, calendar, reminders or teams.");
    });

    it('when the tool it would call is not offered, then it says it cannot do that now', async () => {
      const reply = await complete([{ role: 'user', content: 'add a todo to buy milk' }], []);
      expect(reply.message.toolCalls).to.equal(undefined);
      expect(reply.message.content).to.equal("Sorry, I can't do that right now.");
    });
  });

  describe('answering from tool results', () => {
    const todo = (title: string, due: string | null = null) => ({ id: crypto.randomUUID(), title, priority: 'medium', due_at: due, completed: false });

    it('when a todo was added, then it confirms by title', async () => {
      expect(await spokenAfter('add a todo to buy milk', { todo: todo('buy milk') })).to.equal('Added buy milk to your todos.');
    });

    it('when todos are listed, then it counts them and speaks due dates in the caller\'s time zone', async () => {
      const said = await spokenAfter('what are my todos', {
        count: 2,
        todos: [todo('buy milk'), todo('call the dentist', '2026-12-03T20:00:00.000Z')],
      });
      expect(said).to.equal('You have 2 open todos: buy milk and call the dentist, due tomorrow at 3 PM.');
    });

    it('when there are no todos, then it says so', async () => {
      expect(await spokenAfter('what are my todos', { count: 0, todos: [] })).to.equal('You have no open todos.');
    });

    it('when the calendar is empty on the day asked, then it names that day', async () => {
      const said = await spokenAfter("what's on my calendar on Friday", {
        from: '2026-12-04T05:00:00.000Z',
        to: '2026-12-05T05:00:00.000Z',
        count: 0,
        events: [],
      });
      expect(said).to.equal("There's nothing on your calendar on Friday.");
    });

    it('when events are listed for one day, then each is spoken with its time', async () => {
      const said = await spokenAfter("what's on my calendar tomorrow", {
        from: '2026-12-03T05:00:00.000Z',
        to: '2026-12-04T05:00:00.000Z',
        count: 2,
        events: [
          { id: 'e1', title: 'Design review', starts_at: '2026-12-03T15:00:00.000Z', ends_at: '2026-12-03T16:00:00.000Z' },
          { id: 'e2', title: 'Lunch with Alice', starts_at: '2026-12-03T17:30:00.000Z', ends_at: '2026-12-03T18:30:00.000Z' },
        ],
      });
      expect(said).to.equal('You have 2 events tomorrow: Design review at 10 AM and Lunch with Alice at 12:30 PM.');
    });

    it('when a meeting was scheduled, then it confirms the day and the hours', async () => {
      const said = await spokenAfter('schedule a meeting with Bob on Monday at 10 am for an hour', {
        event: { id: 'e1', title: 'meeting with Bob', starts_at: '2026-12-07T15:00:00.000Z', ends_at: '2026-12-07T16:00:00.000Z' },
      });
      expect(said).to.equal('Scheduled meeting with Bob on Monday from 10 AM to 11 AM.');
    });

    it('when a reminder was set, then it repeats what and when', async () => {
      const said = await spokenAfter('remind me to call mom tomorrow at 3 pm', {
        reminder: { id: 'r1', message: 'call mom', remind_at: '2026-12-03T20:00:00.000Z' },
      });
      expect(said).to.equal("Okay, I'll remind you to call mom tomorrow at 3 PM.");
    });

    it('when team members are listed, then the caller is "you" and roles other than member are said in words, without brackets', async () => {
      const said = await spokenAfter('who is on the design team', {
        team: { id: 't1', name: 'Design' },
        count: 3,
        members: [
          { id: 'u1', name: 'Alice Martin', role: 'owner', is_you: false },
          { id: 'u2', name: 'Casey Caller', role: 'member', is_you: true },
          { id: 'u3', name: 'Victor Viewer', role: 'viewer', is_you: false },
        ],
      });
      expect(said).to.equal('The Design team has 3 members: Alice Martin as the owner, you and Victor Viewer as a viewer.');
    });

    it('when a tool refuses, then its words are relayed without quotes or internal text', async () => {
      expect(await spokenAfter('add a todo to buy milk', { error: "You're not on a team called \"x\"." })).to.equal("You're not on a team called x.");
      expect(await spokenAfter('add a todo to buy milk', { error: 'The arguments do not fit: title: Too big.' })).to.equal(
        "Sorry, I couldn't do that. Could you say it another way?",
      );
    });

    it('when the caller asked for a person, then it says it is putting them through', async () => {
      expect(await spokenAfter('put me through to a person', { transfer: true, reason: 'x' })).to.match(/putting you through/);
    });
  });
});
