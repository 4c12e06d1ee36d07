import { expect } from 'chai';
import twilio from 'twilio';
import { newCallSid } from '../../src/simulator/call.ts';
import { RelayConnection, RelayRefused } from '../../src/simulator/relay.ts';
import { startTestApp, AUTH_TOKEN, type TestApp } from '../support/app.ts';
import { eventually } from '../support/eventually.ts';
import { completion, DROP, gate, startFakeOpenAi, streamed, type FakeOpenAi } from '../support/fake-openai.ts';

/** Rings in and signs in on a relay-mode app: the <Connect> TwiML it answers the PIN with. */
async function signIn(app: TestApp) {
  const callSid = newCallSid();
  await app.post('/voice/incoming', { CallSid: callSid, From: app.demo.phone, To: '+15555550199', CallStatus: 'ringing' });
  const pin = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
  const connect = pin.heard?.connect;
  if (!connect) throw new Error(`no <Connect>: ${pin.reply}`);
  return { callSid, connect };
}

async function connected(app: TestApp) {
  const { callSid, connect } = await signIn(app);
  const relay = await RelayConnection.open(connect.url, AUTH_TOKEN);
  relay.setup(callSid);
  return { callSid, connect, relay };
}

async function refusal(open: Promise<RelayConnection>): Promise<number> {
  try {
    await (await open).close();
  } catch (error) {
    if (error instanceof RelayRefused) return error.status;
    throw error;
  }
  return 101;
}

/** The demo caller's thread as the model is given it: role and words (or tool calls) of each message. */
async function history(app: TestApp) {
  const rows = await app
    .db('messages')
    .join('threads', 'threads.id', 'messages.thread_id')
    .where({ 'threads.user_id': app.demo.userId, 'threads.status': 'active' })
    .orderBy('messages.id')
    .select<{ role: string; content: string | null; tool_calls: { name: string }[] | null; tool_call_id: string | null }[]>(
      'messages.role',
      'messages.content',
      'messages.tool_calls',
      'messages.tool_call_id',
    );
  return rows;
}

/** A relay-mode app whose model is the fake OpenAI server; `env` adds to its configuration. */
function relayAppWithModel(env: Record<string, string>) {
  const started = {} as { app: TestApp; openai: FakeOpenAi };
  before(async () => {
    started.openai = await startFakeOpenAi();
    started.app = await startTestApp({ VOICE_MODE: 'relay', OPENAI_API_KEY: 'sk-test-relay-0123456789', OPENAI_BASE_URL: started.openai.baseURL, ...env });
  });
  after(async () => {
    await started.app.close();
    await started.openai.close();
  });
  return started;
}

describe('ConversationRelay with the OpenAI provider, streamed', () => {
  const started = relayAppWithModel({ TRANSFER_NUMBER: '+15555550142' });
  let app: TestApp;
  let openai: FakeOpenAi;
  before(() => {
    ({ app, openai } = started);
  });

  it('when the PIN is accepted in relay mode, then the call connects to a relay session on the same port, which greets the caller', async () => {
    const { connect } = await signIn(app);
    const url = new URL(connect.url);
    expect(url.protocol).to.equal('ws:');
    expect(url.host).to.equal(new URL(app.url).host);
    expect(url.pathname).to.equal('/voice/relay');
    expect(url.searchParams.get('session')).to.match(/^[\w-]{32}$/);
    expect(connect.action).to.match(/^\/voice\/relay\/ended/);
    expect(connect.greeting).to.match(/^Thanks, .+\. What can I do for you\?$/);
  });

  it('when the model streams an answer, then its first sentence reaches Twilio while the rest is still being generated', async () => {
    const { relay } = await connected(app);
    const rest = gate();
    openai.script(streamed(['Your next meeting ', 'is the design review. ', rest.opened, 'It starts ', 'at ten.']));
    relay.send({ type: 'prompt', voicePrompt: 'what is my next meeting', last: true });
    const first = await relay.next();
    expect(first).to.deep.equal({ type: 'text', token: 'Your next meeting is the design review. ', last: false });
    rest.open();
    const reply = await relay.reply();
    expect(reply.text).to.equal('It starts at ten.');
    await relay.close();
  });

  it('when the model stream breaks off after words were spoken, then it is not asked again, and the caller hears an apology after them', async () => {
    const { relay } = await connected(app);
    const requests = openai.requests.length;
    const spoken = gate();
    // Nothing else is scripted: a second request would get the fake's 500, and be counted.
    openai.script(streamed(['Your next meeting is the design review. ', spoken.opened, DROP]));
    relay.send({ type: 'prompt', voicePrompt: 'when is my next meeting', last: true });
    expect(await relay.next()).to.deep.include({ token: 'Your next meeting is the design review. ' });
    spoken.open();
    const rest = await relay.reply();
    expect(rest.text).to.match(/^ *Sorry, something went wrong on my side/);
    expect(openai.requests.length).to.equal(requests + 1);
    await relay.close();
  });

  it('when the model stream breaks off before any words, then it is asked again, and the caller hears the second answer', async () => {
    const { relay } = await connected(app);
    const requests = openai.requests.length;
    openai.script(streamed([DROP]), streamed(['Your next meeting is at ten.']));
    const reply = await relay.prompt('when is my next meeting, again');
    expect(reply.text).to.equal('Your next meeting is at ten.');
    expect(openai.requests.length).to.equal(requests + 2);
    await relay.close();
  });

  it('when the model calls a write tool, then its effect commits exactly once and the answer is streamed after it', async () => {
    const { callSid, relay } = await connected(app);
    openai.script(
      completion({ toolCalls: [{ id: 'call_relay_todo', name: 'create_todo', arguments: '{"title":"renew the relay passport"}' }] }),
      streamed(['Added renew the relay passport. ', 'Anything else?']),
    );
    const reply = await relay.prompt('add a todo to renew the relay passport');
    expect(reply.tokens.map((token) => token.token)).to.deep.equal(['Added renew the relay passport. ', 'Anything else?']);
    const todos = await app.db('todos').where({ title: 'renew the relay passport' });
    expect(todos).to.have.length(1);
    const turn = await app.db('turns').where({ call_sid: callSid }).first();
    expect(turn).to.include({ status: 'answered', end_reason: 'completed', answer: 'Added renew the relay passport. Anything else?' });
    expect(turn.idempotency_key).to.match(/^relay:VX[0-9a-f]{32}:1$/);
    await relay.close();
  });

  it('when the caller cuts in mid-answer, then the model call stops, only what they heard stays in history, and a committed effect stays', async () => {
    const { relay } = await connected(app);
    const never = gate();
    const before = openai.requests.length;
    openai.script(
      completion({ toolCalls: [{ id: 'call_cut_todo', name: 'create_todo', arguments: '{"title":"water the office plants"}' }] }),
      streamed(['I added water the office plants, ', 'and while I was at it there, ', never.opened, 'I also looked at your week.']),
    );
    relay.send({ type: 'prompt', voicePrompt: 'add a todo to water the office plants', last: true });
    expect(await relay.next()).to.deep.equal({ type: 'text', token: 'I added water the office plants, ', last: false });
    expect(await relay.next()).to.deep.equal({ type: 'text', token: 'and while I was at it there, ', last: false });
    // Twilio spoke the first words when the caller cut in, in its own spelling.
    relay.interrupt('I added water the office plants and');
    await openai.abandoned(before + 1);

    openai.script(streamed(['Sure.']));
    const next = await relay.prompt('never mind');
    expect(next.text).to.equal('Sure.');
    const messages = openai.requests.at(-1)!.messages;
    const sinceCut = messages.slice(messages.findIndex((message) => message.content === 'add a todo to water the office plants'));
    expect(sinceCut.map((message) => [message.role, message.content ?? null, message.tool_calls?.[0]?.function.name ?? null])).to.deep.equal([
      ['user', 'add a todo to water the office plants', null],
      ['assistant', null, 'create_todo'],
      ['tool', sinceCut[2]!.content, null],
      ['assistant', 'I added water the office plants, and', null],
      ['user', 'never mind', null],
    ]);
    expect(JSON.parse(sinceCut[2]!.content!)).to.have.nested.property('todo.title', 'water the office plants');
    expect(await app.db('todos').where({ title: 'water the office plants' })).to.have.length(1);
    await relay.close();
  });

  it('when the caller cuts in while a tool runs, then it rolls back, the calls after it are marked not started, and no tool call dangles', async () => {
    const { callSid, relay } = await connected(app);
    const [todo] = await app.db('todos').insert({ title: 'locked relay todo', creator_id: app.demo.userId }).returning<{ id: string }[]>('id');
    const holder = await app.db.transaction();
    await holder('todos').where({ id: todo!.id }).forUpdate();
    try {
      openai.script(
        completion({
          toolCalls: [
            { id: 'call_cut_hang', name: 'complete_todo', arguments: JSON.stringify({ id: todo!.id }) },
            { id: 'call_cut_after', name: 'create_todo', arguments: '{"title":"never started relay todo"}' },
          ],
        }),
      );
      relay.send({ type: 'prompt', voicePrompt: 'finish the locked relay todo and add another', last: true });
      // The tool is inside its transaction, waiting for the row another transaction holds.
      await eventually(async () => {
        const waiting = await app.db.raw<{ rows: unknown[] }>(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
        return waiting.rows.length === 1;
      }, 'the tool waits for the row lock');
      relay.interrupt('');
      await relay.roundTrip();
    } finally {
      // The tool gets its row only now, after the interrupt: it must not commit.
      await holder.rollback();
    }
    openai.script(streamed(['Okay.']));
    await relay.prompt('wait, stop');
    const request = openai.requests.at(-1)!;
    const results = request.messages.filter((message) => message.role === 'tool' && ['call_cut_hang', 'call_cut_after'].includes(message.tool_call_id ?? ''));
    expect(results.map((message) => [message.tool_call_id, JSON.parse(message.content!).error])).to.deep.equal([
      ['call_cut_hang', 'The caller interrupted before this finished, so it was stopped; nothing was changed.'],
      ['call_cut_after', 'Not started: the turn stopped before this call; nothing was changed.'],
    ]);
    expect(await app.db('todos').where({ id: todo!.id }).first()).to.include({ completed: false });
    expect(await app.db('todos').where({ title: 'never started relay todo' })).to.have.length(0);
    const turn = await app.db('turns').where({ call_sid: callSid }).orderBy('created_at').first();
    expect(turn).to.include({ status: 'answered', end_reason: 'interrupted' });
    await relay.close();
  });

  it('when the caller cuts in after the whole answer was generated, then the stored answer is cut to what they heard', async () => {
    const { relay } = await connected(app);
    openai.script(streamed(['You have three meetings today. ', 'The first is at nine, the second at noon.']));
    const reply = await relay.prompt('how busy am I today');
    expect(reply.text).to.equal('You have three meetings today. The first is at nine, the second at noon.');
    relay.interrupt('You have three meetings today');
    openai.script(streamed(['Okay.']));
    await relay.prompt('stop');
    const thread = await history(app);
    expect(thread.slice(-4).map((message) => [message.role, message.content])).to.deep.equal([
      ['user', 'how busy am I today'],
      ['assistant', 'You have three meetings today.'],
      ['user', 'stop'],
      ['assistant', 'Okay.'],
    ]);
    await relay.close();
  });

  it('when the caller asks for a person, then the session ends with handoffData, and the action URL dials the transfer number', async () => {
    const { callSid, connect, relay } = await connected(app);
    openai.script(
      completion({ toolCalls: [{ id: 'call_person', name: 'transfer_to_human', arguments: '{}' }] }),
      streamed(['Putting you through to a person now.']),
    );
    const reply = await relay.prompt('put me through to a person');
    expect(reply.text).to.equal('Putting you through to a person now.');
    const end = reply.end ?? ((await relay.next()) as { handoffData: string } | null)?.handoffData;
    expect(JSON.parse(end!)).to.deep.equal({ reasonCode: 'live-agent-handoff' });
    await relay.close();
    const after = await app.post(connect.action, { CallSid: callSid, SessionStatus: 'ended', HandoffData: end! });
    expect(after.heard?.dial).to.deep.equal({ number: '+15555550142' });
  });

  it('when the action URL gets a transfer handoff the agent never decided, then the caller is not put through', async () => {
    const { callSid, connect } = await signIn(app);
    const after = await app.post(connect.action, { CallSid: callSid, SessionStatus: 'ended', HandoffData: '{"reasonCode":"live-agent-handoff"}' });
    expect(after.heard?.dial).to.equal(undefined);
    expect(after.heard?.hangup).to.equal(true);
  });

  it('when the caller says goodbye, then they hear it and the session ends, and the action URL hangs up', async () => {
    const { callSid, connect, relay } = await connected(app);
    const requests = openai.requests.length;
    const reply = await relay.prompt('goodbye');
    expect(reply.text).to.match(/^Goodbye, /);
    const end = reply.end ?? ((await relay.next()) as { handoffData: string } | null)?.handoffData;
    expect(JSON.parse(end!)).to.deep.equal({ reasonCode: 'goodbye' });
    const after = await app.post(connect.action, { CallSid: callSid, SessionStatus: 'ended', HandoffData: end! });
    expect(after.heard).to.include({ hangup: true });
    expect(openai.requests.length).to.equal(requests);
    await relay.close();
  });

  it('when a session is lost, then the action URL connects a new one, a few times at most', async () => {
    const { callSid, connect } = await signIn(app);
    const again = await app.post(connect.action, { CallSid: callSid, SessionStatus: 'failed' });
    expect(again.heard?.connect?.url).to.match(/\/voice\/relay\?session=/);
    expect(again.heard?.connect?.url).to.not.equal(connect.url);
    await app.post(connect.action, { CallSid: callSid, SessionStatus: 'failed' });
    const last = await app.post(connect.action, { CallSid: callSid, SessionStatus: 'failed' });
    expect(last.heard?.connect).to.equal(undefined);
    expect(last.heard?.hangup).to.equal(true);
  });
});

describe('ConversationRelay handshake and messages', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ VOICE_MODE: 'relay' });
  });
  after(() => app.close());

  it('when the handshake is not signed with the auth token, then it gets 403, and the session stays unused for Twilio', async () => {
    const { callSid, connect } = await signIn(app);
    expect(await refusal(RelayConnection.open(connect.url, 'not-the-auth-token'))).to.equal(403);
    expect(await refusal(RelayConnection.open(connect.url, AUTH_TOKEN, ''))).to.equal(403);
    const relay = await RelayConnection.open(connect.url, AUTH_TOKEN);
    relay.setup(callSid);
    const reply = await relay.prompt('what are my todos');
    expect(reply.text).to.match(/^You have \d+ open todos/);
    await relay.close();
  });

  it('when a session URL is used a second time, or made up, then the handshake gets 403', async () => {
    const { connect } = await signIn(app);
    const first = await RelayConnection.open(connect.url, AUTH_TOKEN);
    expect(await refusal(RelayConnection.open(connect.url, AUTH_TOKEN))).to.equal(403);
    const madeUp = new URL(connect.url);
    madeUp.searchParams.set('session', 'A'.repeat(32));
    expect(await refusal(RelayConnection.open(madeUp.href, AUTH_TOKEN))).to.equal(403);
    await first.close();
  });

  it('when the call has ended before its session connects, then the handshake gets 403', async () => {
    const { callSid, connect } = await signIn(app);
    await app.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '3' });
    expect(await refusal(RelayConnection.open(connect.url, AUTH_TOKEN))).to.equal(403);
  });

  for (const [name, message] of [
    ['not JSON', '{"type":"prompt",'],
    ['of an unknown type', { type: 'launch', what: 'everything' }],
    ['a prompt before setup', { type: 'prompt', voicePrompt: 'delete all my todos', last: true }],
  ] as const) {
    it(`when a message is ${name}, then the caller hears an apology, the session ends and closes cleanly, and nothing else happens`, async () => {
      const { connect } = await signIn(app);
      const relay = await RelayConnection.open(connect.url, AUTH_TOKEN);
      const turns = await app.db('turns').count<{ n: string }[]>('* as n');
      relay.send(typeof message === 'string' ? message : { ...message });
      const reply = await relay.reply();
      expect(reply.text).to.match(/^Sorry, something went wrong on my side/);
      expect(reply.end && JSON.parse(reply.end)).to.deep.equal({ reasonCode: 'refused' });
      expect((await relay.next()) ?? relay.closed).to.deep.equal({ code: 1008, reason: 'unexpected message' });
      expect(await app.db('turns').count<{ n: string }[]>('* as n')).to.deep.equal(turns);
    });
  }

  it('when setup names another call than the session was issued for, then the session is refused', async () => {
    const { connect } = await signIn(app);
    const relay = await RelayConnection.open(connect.url, AUTH_TOKEN);
    relay.setup(newCallSid());
    const reply = await relay.reply();
    expect(reply.end && JSON.parse(reply.end)).to.deep.equal({ reasonCode: 'refused' });
  });

  it('when the offline agent answers on relay, then its answer goes through the same streamed path', async () => {
    const { relay } = await connected(app);
    const reply = await relay.prompt('add a todo to buy relay milk');
    expect(reply.text).to.match(/buy relay milk/i);
    expect(reply.firstTextMs).to.be.a('number');
    await relay.close();
  });

  it('when a path other than the relay is upgraded, then it gets 404', async () => {
    const url = app.url.replace(/^http/, 'ws') + '/voice/turn';
    expect(await refusal(RelayConnection.open(url, AUTH_TOKEN))).to.equal(404);
  });
});

describe('ConversationRelay behind a public URL', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ VOICE_MODE: 'relay', PUBLIC_BASE_URL: 'https://voice.example.com' });
  });
  after(() => app.close());

  it('when PUBLIC_BASE_URL is set, then the session URL is wss:// on it, and only a signature over that URL opens it', async () => {
    const callSid = newCallSid();
    const publicly = (path: string, params: Record<string, string>) =>
      app.post(path, { CallSid: callSid, ...params }, { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `https://voice.example.com${path}`, { CallSid: callSid, ...params }) });
    await publicly('/voice/incoming', { From: app.demo.phone, To: '+15555550199', CallStatus: 'ringing' });
    const connect = (await publicly('/voice/pin', { Digits: app.demo.pin })).heard!.connect!;
    expect(connect.url).to.match(/^wss:\/\/voice\.example\.com\/voice\/relay\?session=/);
    const here = app.url.replace(/^http/, 'ws') + connect.url.slice('wss://voice.example.com'.length);
    expect(await refusal(RelayConnection.open(here, AUTH_TOKEN))).to.equal(403);
    const relay = await RelayConnection.open(here, AUTH_TOKEN, twilio.getExpectedTwilioSignature(AUTH_TOKEN, connect.url, {}));
    relay.setup(callSid);
    expect((await relay.prompt('what are my todos')).text).to.match(/^You have \d+ open todos/);
    await relay.close();
    const ended = app.logs.find((line) => line.msg === 'relay session ended' && line['twilio.call_sid'] === callSid);
    expect(ended).to.include({ prompts: 1, 'convonet.relay.end_reason': 'hangup' });
  });
});

describe('ConversationRelay deadlines', () => {
  // A short hold time and no redirects: a turn's budget is (1 s + 5 s) × 1.
  const started = relayAppWithModel({ AGENT_TURN_TIMEOUT_MS: '1000', AGENT_MAX_REDIRECTS: '0' });
  let app: TestApp;
  let openai: FakeOpenAi;
  before(() => {
    ({ app, openai } = started);
  });

  it('when no words come by the hold time, then the caller hears why they wait, and a cut-in after it keeps only the answer heard', async () => {
    const { relay } = await connected(app);
    const thinking = gate();
    const rest = gate();
    openai.script(streamed([thinking.opened, 'Your next meeting is the design review. ', rest.opened, 'It is at ten.']));
    relay.send({ type: 'prompt', voicePrompt: 'what is my next meeting', last: true });
    expect(await relay.next()).to.deep.equal({ type: 'text', token: 'One moment, I am working on that. ', last: false });
    thinking.open();
    expect(await relay.next()).to.deep.include({ token: 'Your next meeting is the design review. ' });
    relay.interrupt('One moment, I am working on that. Your next meeting is');
    await relay.roundTrip();
    openai.script(streamed(['Okay.']));
    await relay.prompt('stop');
    const messages = openai.requests.at(-1)!.messages;
    expect(messages.slice(-3).map((message) => [message.role, message.content])).to.deep.equal([
      ['user', 'what is my next meeting'],
      ['assistant', 'Your next meeting is'],
      ['user', 'stop'],
    ]);
    expect(app.logs.some((line) => line.event === 'agent timeout')).to.equal(true);
    rest.open();
    await relay.close();
  });

  it('when the turn outlasts every hold a Gather caller could sit through, then it is given up on and the caller told so', async function () {
    this.timeout(30_000);
    const { callSid, relay } = await connected(app);
    const never = gate();
    const requests = openai.requests.length;
    openai.script(streamed([never.opened, 'Too late.']));
    const reply = await relay.prompt('what is on my calendar');
    expect(reply.tokens.map((token) => token.token)).to.deep.equal([
      'One moment, I am working on that. ',
      " Sorry, that's taking much longer than it should, so I stopped, and nothing was changed. Please ask me again in a moment.",
    ]);
    await openai.abandoned(requests);
    const turn = await app.db('turns').where({ call_sid: callSid }).first();
    expect(turn).to.include({ status: 'failed', end_reason: 'timed_out' });
    never.open();
    await relay.close();
  });
});
