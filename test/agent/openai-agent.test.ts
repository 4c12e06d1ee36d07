import { expect } from 'chai';
import { createServer } from 'node:net';
import { MAX_ATTEMPTS } from '../../src/agent/openai-provider.ts';
import { deadlineAt } from '../../src/deadline.ts';
import { failTurn } from '../../src/db/turns.ts';
import { failureMessage } from '../../src/voice/turns.ts';
import { apiError, completion, gate, startFakeOpenAi, type ChatRequest, type FakeOpenAi } from '../support/fake-openai.ts';
import { startTestApp, turnParams, type TestApp } from '../support/app.ts';
import { eventually } from '../support/eventually.ts';

/** Every tool_call_id an assistant message asked for, and whether a tool message answered it right after. */
function danglingToolCalls(request: ChatRequest): string[] {
  const dangling: string[] = [];
  request.messages.forEach((message, index) => {
    for (const call of message.tool_calls ?? []) {
      const answered = request.messages
        .slice(index + 1)
        .findIndex((later) => later.role !== 'tool' || later.tool_call_id === call.id);
      const next = request.messages[index + 1 + answered];
      if (answered === -1 || next?.role !== 'tool') dangling.push(call.id);
    }
  });
  return dangling;
}

/** The tool results of the turn in flight: those after the caller's last words. */
function toolMessages(request: ChatRequest) {
  const lastUser = request.messages.findLastIndex((message) => message.role === 'user');
  return request.messages.slice(lastUser + 1).filter((message) => message.role === 'tool');
}

describe('OpenAI agent', function () {
  let fake: FakeOpenAi;
  let app: TestApp;

  before(async () => {
    fake = await startFakeOpenAi();
    app = await startTestApp({
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_MODEL: 'gpt-fake',
      AGENT_TURN_TIMEOUT_MS: '500',
      TOOL_TIMEOUT_MS: '300',
      AGENT_MAX_REDIRECTS: '2',
    });
  });
  after(async () => {
    await app.close();
    await fake.close();
  });
  beforeEach(() => {
    expect(fake.pending(), 'replies scripted by the previous test and never asked for').to.equal(0);
    fake.requests.length = 0;
    fake.arrivals.length = 0;
    fake.otherwise(apiError(500, 'no scripted reply left'));
  });

  const todosTitled = (title: string) => app.db('todos').where({ creator_id: app.demo.userId, title });

  it('when a key is set, then the OpenAI provider is chosen and told the date, time zone and tools', async () => {
    const callSid = await app.signedInCall();
    fake.script(completion({ content: 'Hello there.' }));
    const { reply } = await app.post('/voice/turn', turnParams(callSid, 'hello'));
    expect(reply).to.equal('Hello there.');
    const [request] = fake.requests;
    expect(request?.model).to.equal('gpt-fake');
    const system = request?.messages[0];
    expect(system?.role).to.equal('system');
    expect(system?.content).to.include(new Date().getUTCFullYear().toString()).and.include('UTC');
    expect(request?.tools?.map((tool) => tool.function.name)).to.include.members(['create_todo', 'list_calendar_events']);
  });

  it('when the model calls a tool, then the todo is created and the result goes back to the model', async () => {
    const callSid = await app.signedInCall();
    fake.script(
      completion({ toolCalls: [{ id: 'call_milk', name: 'create_todo', arguments: '{"title":"buy oat milk"}' }] }),
      completion({ content: 'I added buy oat milk to your todos.' }),
    );
    const { reply } = await app.post('/voice/turn', turnParams(callSid, 'add a todo to buy oat milk'));
    expect(reply).to.equal('I added buy oat milk to your todos.');
    expect(await todosTitled('buy oat milk')).to.have.length(1);
    const [result] = toolMessages(fake.requests[1]!);
    expect(result?.tool_call_id).to.equal('call_milk');
    expect(JSON.parse(result?.content ?? '{}')).to.have.nested.property('todo.title', 'buy oat milk');
  });

  it('when the model asks for two tools in one message, then both run and both results go back', async () => {
    const callSid = await app.signedInCall();
    fake.script(
      completion({
        toolCalls: [
          { id: 'call_a', name: 'create_todo', arguments: '{"title":"parallel one"}' },
          { id: 'call_b', name: 'create_todo', arguments: '{"title":"parallel two"}' },
        ],
      }),
      completion({ content: 'Both added.' }),
    );
    await app.post('/voice/turn', turnParams(callSid, 'add parallel one and parallel two'));
    expect(await todosTitled('parallel one')).to.have.length(1);
    expect(await todosTitled('parallel two')).to.have.length(1);
    expect(toolMessages(fake.requests[1]!).map((message) => message.tool_call_id)).to.deep.equal(['call_a', 'call_b']);
  });

  it('when the arguments are not JSON or the tool does not exist, then the model is told and the caller still gets an answer', async () => {
    const callSid = await app.signedInCall();
    fake.script(
      completion({
        toolCalls: [
          { id: 'call_bad_json', name: 'create_todo', arguments: '{"title": "unterminated' },
          { id: 'call_no_tool', name: 'order_pizza', arguments: '{}' },
          { id: 'call_bad_args', name: 'create_todo', arguments: '{"priority":"whenever"}' },
        ],
      }),
      completion({ content: 'Sorry, I could not do that.' }),
    );
    const { reply, status } = await app.post('/voice/turn', turnParams(callSid, 'do something odd'));
    expect(status).to.equal(200);
    expect(reply).to.equal('Sorry, I could not do that.');
    const results = toolMessages(fake.requests[1]!).map((message) => JSON.parse(message.content ?? '{}') as { error?: string });
    expect(results).to.have.length(3);
    expect(results[0]?.error).to.match(/not valid JSON/);
    expect(results[1]?.error).to.match(/no tool named order_pizza/);
    expect(results[2]?.error).to.match(/do not fit/);
  });

  it('when the model takes longer than the deadline, then the caller is held, the redirect speaks the result, and one todo exists', async () => {
    const callSid = await app.signedInCall();
    const slow = gate();
    fake.script(
      async () => {
        await slow.opened;
        return completion({ toolCalls: [{ id: 'call_slow', name: 'create_todo', arguments: '{"title":"slow model todo"}' }] });
      },
      completion({ content: 'Added slow model todo.' }),
    );
    const token = { 'I-Twilio-Idempotency-Token': `slow-${callSid}` };
    const first = await app.post('/voice/turn', turnParams(callSid, 'add slow model todo'), token);
    expect(first.status).to.equal(200);
    expect(first.heard?.redirect).to.match(/^\/voice\/turn\/result\?turn=/);
    expect(first.reply).to.match(/one moment/i);

    // Twilio retrying the same webhook meanwhile neither starts the work again nor waits forever.
    const retry = await app.post('/voice/turn', turnParams(callSid, 'add slow model todo'), token);
    expect(retry.heard?.redirect).to.equal(first.heard?.redirect);
    expect(fake.requests).to.have.length(1);

    slow.open();
    const collected = await app.post(first.heard!.redirect!, { CallSid: callSid });
    expect(collected.reply).to.equal('Added slow model todo.');
    expect(collected.heard?.gather?.action).to.equal('/voice/turn?seq=2');
    expect(await todosTitled('slow model todo')).to.have.length(1);

    const turn = await app.db('turns').where({ call_sid: callSid }).first();
    expect(turn).to.include({ status: 'answered', end_reason: 'redirected', redirects: 1 });
  });

  it('when the database fails as the redirect comes back, then the caller hears it is not known and is listened to with the next number', async () => {
    const callSid = await app.signedInCall();
    const slow = gate();
    fake.script(async () => {
      await slow.opened;
      return completion({ content: 'Too late to matter.' });
    });
    const first = await app.post('/voice/turn?seq=1', turnParams(callSid, 'think it over'));
    expect(first.heard?.redirect).to.match(/^\/voice\/turn\/result\?turn=[^&]+&seq=1$/);
    await app.db.raw('alter table turns rename to turns_away');
    try {
      const collected = await app.post(first.heard!.redirect!, { CallSid: callSid });
      expect(collected.reply).to.match(/can't tell whether that was done/);
      expect(collected.heard?.gather?.action).to.equal('/voice/turn?seq=2');
    } finally {
      await app.db.raw('alter table turns_away rename to turns');
      slow.open();
    }
  });

  it('when a redirect names another call\'s turn, then nothing is revealed', async () => {
    const callSid = await app.signedInCall();
    const other = await app.signedInCall();
    fake.script(completion({ content: 'Private answer.' }));
    await app.post('/voice/turn', turnParams(callSid, 'tell me a secret'));
    const turn = await app.db('turns').where({ call_sid: callSid }).first();
    const { reply, heard } = await app.post(`/voice/turn/result?turn=${turn.id}`, { CallSid: other });
    expect(reply).to.not.include('Private answer.');
    expect(heard?.hangup).to.equal(true);
  });

  it('when the model never answers, then after the redirects the caller hears an honest apology', async () => {
    const callSid = await app.signedInCall();
    const never = gate();
    fake.script(async () => {
      await never.opened;
      return completion({ content: 'too late' });
    });
    let exchange = await app.post('/voice/turn', turnParams(callSid, 'what is on my calendar'));
    const heard = [exchange.reply];
    while (exchange.heard?.redirect) {
      exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
      heard.push(exchange.reply);
    }
    expect(heard).to.have.length(3); // the turn, then AGENT_MAX_REDIRECTS redirects
    expect(exchange.reply).to.match(/taking much longer/);
    expect(exchange.heard?.gather?.action).to.equal('/voice/turn?seq=2');
    never.open();
  });

  it('when a tool hangs past its timeout, then the model hears so and every tool call in history keeps its result', async () => {
    const callSid = await app.signedInCall();
    const [todo] = await app
      .db('todos')
      .insert({ title: 'locked todo', creator_id: app.demo.userId })
      .returning<{ id: string }[]>('id');
    // A real hang: another transaction holds the row the tool must update.
    const holder = await app.db.transaction();
    await holder('todos').where({ id: todo!.id }).forUpdate();
    try {
      fake.script(
        completion({ toolCalls: [{ id: 'call_hang', name: 'complete_todo', arguments: JSON.stringify({ id: todo!.id }) }] }),
        completion({ content: 'That took too long, sorry.' }),
      );
      let exchange = await app.post('/voice/turn', turnParams(callSid, 'mark locked todo as done'));
      // On a loaded machine the hang plus two model rounds can outlast the turn's deadline: follow the hold.
      while (exchange.heard?.redirect) exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
      expect(exchange.reply).to.equal('That took too long, sorry.');
      const [timedOut] = toolMessages(fake.requests[1]!);
      expect(timedOut?.tool_call_id).to.equal('call_hang');
      expect(timedOut?.content).to.match(/too long.*nothing was changed/);
    } finally {
      await holder.rollback();
    }
    // What the model was told is what the data shows: the transaction rolled back, claim and all.
    expect(await app.db('todos').where({ id: todo!.id }).first()).to.include({ completed: false });
    expect(await app.db('tool_executions').where({ tool_call_id: 'call_hang' })).to.have.length(0);

    fake.script(completion({ content: 'Anything else?' }));
    await app.post('/voice/turn', turnParams(callSid, 'what now'));
    const next = fake.requests.at(-1)!;
    expect(danglingToolCalls(next)).to.deep.equal([]);
  });

  it('when the model repeats a write with a new call id in the same turn, then it runs once', async () => {
    const callSid = await app.signedInCall();
    fake.script(
      completion({ toolCalls: [{ id: 'call_once', name: 'create_todo', arguments: '{"title":"only once"}' }] }),
      completion({ toolCalls: [{ id: 'call_again', name: 'create_todo', arguments: '{"title":"only once"}' }] }),
      completion({ content: 'Added only once.' }),
    );
    await app.post('/voice/turn', turnParams(callSid, 'add only once'));
    expect(await todosTitled('only once')).to.have.length(1);
  });

  it('when the model answers 429 once, then the turn retries and succeeds', async () => {
    const callSid = await app.signedInCall();
    fake.script(apiError(429, 'Rate limit reached', { 'retry-after': '0' }), completion({ content: 'Done after a retry.' }));
    const { reply } = await app.post('/voice/turn', turnParams(callSid, 'hello again'));
    expect(reply).to.equal('Done after a retry.');
    expect(fake.requests).to.have.length(2);
  });

  it('when the model answers 500 forever, then the caller hears an apology and the next turn starts a fresh thread', async () => {
    const callSid = await app.signedInCall();
    fake.otherwise(apiError(500, 'The server had an error'));
    let exchange = await app.post('/voice/turn', turnParams(callSid, 'list my reminders'));
    while (exchange.heard?.redirect) exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
    expect(exchange.reply).to.match(/sorry/i);
    expect(fake.requests).to.have.length(MAX_ATTEMPTS);
    const failed = await app.db('turns').where({ call_sid: callSid }).first();
    expect(failed.status).to.equal('failed');

    fake.otherwise(apiError(500, 'no scripted reply left'));
    fake.requests.length = 0;
    fake.script(completion({ content: 'Fresh start.' }));
    await app.post('/voice/turn', turnParams(callSid, 'hello after the outage'));
    const userMessages = fake.requests[0]!.messages.filter((message) => message.role === 'user');
    expect(userMessages.map((message) => message.content)).to.deep.equal(['hello after the outage']);
    const threads = await app.db('threads').where({ user_id: app.demo.userId }).orderBy('created_at');
    expect(threads.filter((thread) => thread.status === 'reset').at(-1)).to.include({ reset_reason: 'error' });
  });

  it('when the model answers 500 without Retry-After, then each retry waits longer than the one before, and the attempts stop at the cap', async () => {
    const callSid = await app.signedInCall();
    fake.otherwise(apiError(500, 'The server had an error'));
    let exchange = await app.post('/voice/turn', turnParams(callSid, 'list my todos'));
    while (exchange.heard?.redirect) exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
    expect(exchange.reply).to.match(/sorry/i);
    expect(fake.arrivals).to.have.length(MAX_ATTEMPTS);
    const gaps = fake.arrivals.slice(1).map((at, i) => at - fake.arrivals[i]!);
    // Jittered between half and all of 250 ms, then of 500 ms.
    expect(gaps[0]).to.be.at.least(125);
    expect(gaps[1]).to.be.at.least(250);
  });

  it('when the model asks for a wait with retry-after-ms, then the retry comes no sooner', async () => {
    const callSid = await app.signedInCall();
    fake.script(apiError(429, 'Slow down', { 'retry-after-ms': '350' }), completion({ content: 'After the wait.' }));
    let exchange = await app.post('/voice/turn', turnParams(callSid, 'hello once more'));
    while (exchange.heard?.redirect) exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
    expect(exchange.reply).to.equal('After the wait.');
    expect(fake.arrivals[1]! - fake.arrivals[0]!).to.be.at.least(340);
  });

  it('when the model asks for a wait longer than any turn has, then the caller hears an apology after that one request', async () => {
    const callSid = await app.signedInCall();
    fake.script(apiError(429, 'Come back in a minute', { 'retry-after': '60' }));
    const { reply, heard } = await app.post('/voice/turn', turnParams(callSid, 'hello later'));
    expect(heard?.redirect).to.equal(undefined);
    expect(reply).to.match(/sorry/i);
    expect(fake.requests).to.have.length(1);
  });

  it('when the turn is given up on elsewhere while the model thinks, then the tool it asks for next commits nothing', async () => {
    const callSid = await app.signedInCall();
    const thinking = gate();
    fake.script(
      async () => {
        await thinking.opened;
        return completion({ toolCalls: [{ id: 'call_late', name: 'create_todo', arguments: '{"title":"written too late"}' }] });
      },
    );
    const first = await app.post('/voice/turn', turnParams(callSid, 'add written too late'));
    expect(first.heard?.redirect).to.match(/turn=/);
    const turn = await app.db('turns').where({ call_sid: callSid }).first();
    // What another instance does when the caller's last redirect reaches it.
    const given = await failTurn(app.db, turn.id, { endReason: 'timed_out', say: failureMessage('timed_out'), deadline: deadlineAt(Date.now() + 2_000) });
    expect(given?.answer).to.match(/nothing was changed/);
    thinking.open();
    const collected = await app.post(first.heard!.redirect!, { CallSid: callSid });
    expect(collected.reply).to.equal(given!.answer);
    // The work finishes on its own (no more requests to the model); the todo was never written.
    await fake.received(1);
    await eventually(async () => (await app.db('messages').where({ tool_call_id: 'call_late' })).length > 0, 'the stopped tool is recorded');
    expect(await todosTitled('written too late')).to.have.length(0);
    expect(await app.db('tool_executions').where({ tool_call_id: 'call_late' })).to.have.length(0);
    expect(fake.requests).to.have.length(1);
    expect((await app.db('turns').where({ id: turn.id }).first()).status).to.equal('failed');
  });

  it('when an effect committed before the turn was given up on, then the caller is told part of it was done', async () => {
    const callSid = await app.signedInCall();
    const thinking = gate();
    fake.script(completion({ toolCalls: [{ id: 'call_done', name: 'create_todo', arguments: '{"title":"done before the stop"}' }] }), async () => {
      await thinking.opened;
      return completion({ content: 'Added.' });
    });
    let exchange = await app.post('/voice/turn', turnParams(callSid, 'add done before the stop'));
    while (exchange.heard?.redirect) exchange = await app.post(exchange.heard.redirect, { CallSid: callSid });
    thinking.open();
    expect(exchange.reply).to.match(/part of it was already done/);
    expect(await todosTitled('done before the stop')).to.have.length(1);
  });

  it('when even the failure cannot be stored, then the caller hears that it is not known, never silence', async () => {
    const callSid = await app.signedInCall();
    fake.script(completion({ content: 'An answer nobody can store.' }));
    await app.db.raw(`create function refuse_turn_updates() returns trigger language plpgsql as $$ begin raise exception 'turns are read-only'; end $$`);
    await app.db.raw(`create trigger refuse_turn_updates before update on turns for each row execute function refuse_turn_updates()`);
    try {
      const { reply, heard } = await app.post('/voice/turn', turnParams(callSid, 'say something'));
      expect(reply).to.match(/can't tell whether that was done/);
      expect(heard?.gather?.action).to.match(/^\/voice\/turn/);
    } finally {
      await app.db.raw('drop trigger refuse_turn_updates on turns');
      await app.db.raw('drop function refuse_turn_updates');
    }
    const line = app.logs.findLast((entry) => entry.msg === 'webhook' && entry['twilio.call_sid'] === callSid);
    expect(line?.['convonet.webhook.outcome']).to.equal('apology');
  });

  it('when the key is refused, then the caller hears an apology at once, without retries', async () => {
    const callSid = await app.signedInCall();
    fake.script(apiError(401, 'Incorrect API key provided'));
    const { reply, heard } = await app.post('/voice/turn', turnParams(callSid, 'hello'));
    expect(heard?.redirect).to.equal(undefined);
    expect(reply).to.match(/sorry/i);
    expect(fake.requests).to.have.length(1);
  });

  it('when the stored history has a tool call without a result, then it is repaired before reaching the model', async () => {
    const callSid = await app.signedInCall();
    // Start from a known thread, then break it the way an old crash would have.
    fake.script(completion({ content: 'Hi.' }));
    await app.post('/voice/turn', turnParams(callSid, 'hi'));
    const thread = await app.db('threads').where({ user_id: app.demo.userId, status: 'active' }).first();
    await app.db('messages').insert({
      thread_id: thread.id,
      role: 'assistant',
      content: null,
      tool_calls: JSON.stringify([{ id: 'call_dangling', name: 'list_todos', arguments: '{}' }]),
    });

    fake.script(completion({ content: 'Repaired.' }));
    const { reply } = await app.post('/voice/turn', turnParams(callSid, 'are you ok'));
    expect(reply).to.equal('Repaired.');
    const request = fake.requests.at(-1)!;
    expect(danglingToolCalls(request)).to.deep.equal([]);
    const repaired = request.messages.find((message) => message.tool_call_id === 'call_dangling');
    expect(repaired?.content).to.match(/never finished/);

  });
});

describe('OpenAI agent, server unreachable', () => {
  let app: TestApp;
  before(async () => {
    // A port nothing listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    app = await startTestApp({
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      AGENT_TURN_TIMEOUT_MS: '2000',
    });
  });
  after(() => app.close());

  it('when nothing listens at OPENAI_BASE_URL, then the caller hears an apology in the first answer, without holds', async () => {
    const callSid = await app.signedInCall();
    const { reply, heard } = await app.post('/voice/turn', turnParams(callSid, 'what are my todos'));
    expect(heard?.redirect).to.equal(undefined);
    expect(reply).to.match(/sorry/i);
    expect((await app.db('turns').where({ call_sid: callSid }).first()).status).to.equal('failed');
  });
});
