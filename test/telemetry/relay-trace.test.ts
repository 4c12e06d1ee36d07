import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { newCallSid, postWebhook } from '../../src/simulator/call.ts';
import { RelayConnection } from '../../src/simulator/relay.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../telemetry/tail/otlp-receiver.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { MAX_ATTEMPTS } from '../../src/agent/openai-provider.ts';
import { apiError, completion, gate, startFakeOpenAi, streamed, type FakeOpenAi } from '../support/fake-openai.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { spawnApp, TWILIO_TOKEN } from './spawned-app.ts';

const PIN = '6170';

describe('one call, one trace, on ConversationRelay: sign-in, a streamed answer, a tool, a barge-in, a failing model and a transfer, at OTLP and Sentry at once', function () {
  this.timeout(60_000);

  let database: TestDatabase;
  let otlp: OtlpReceiver;
  let sentry: FakeSentry;
  let apology: string;
  let openai: FakeOpenAi;
  let callSid: string;
  let userId: string;
  let written: number;
  let dialled: string | undefined;
  let firstReply: string[];
  let phone: string;

  before(async () => {
    database = await createTestDatabase();
    const demo = await seedDemo(database.db, { pin: PIN });
    userId = demo.user.id;
    phone = demo.phone;
    otlp = await startOtlpReceiver();
    sentry = await startFakeSentry();
    openai = await startFakeOpenAi();
    const app = await spawnApp({
      DATABASE_URL: database.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      SENTRY_DSN: sentry.dsn,
      OPENAI_API_KEY: 'sk-test-relay-trace-0123456789abcdef',
      OPENAI_BASE_URL: openai.baseURL,
      VOICE_MODE: 'relay',
      TRANSFER_NUMBER: '+15555550142',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      callSid = newCallSid();
      const post = (path: string, params: Record<string, string>) => postWebhook(app.url, TWILIO_TOKEN, path, { CallSid: callSid, ...params });
      await post('/voice/incoming', { From: demo.phone, To: '+15555550199', CallStatus: 'ringing' });
      const signedIn = await post('/voice/pin', { Digits: PIN });
      const connect = signedIn.heard!.connect!;
      const relay = await RelayConnection.open(new URL(connect.url, app.url).href, TWILIO_TOKEN);
      relay.setup(callSid);

      openai.script(
        completion({ toolCalls: [{ id: 'call_trace_todo', name: 'create_todo', arguments: '{"title":"book the relay review"}' }] }),
        streamed(['Added book the relay review. ', 'Anything else?']),
      );
      firstReply = (await relay.prompt('add a todo to book the relay review')).tokens.map((token) => token.token);
      written = (await database.db('todos').where({ title: 'book the relay review' })).length;

      const held = gate();
      const requests = openai.requests.length;
      openai.script(streamed(['This week you have four meetings. ', held.opened, 'The first one is on Monday.']));
      relay.send({ type: 'prompt', voicePrompt: 'what is on this week', last: true });
      await relay.next();
      relay.interrupt('This week you have', 900);
      await openai.abandoned(requests);

      // Every attempt fails: the caller hears an apology, and Sentry gets one issue.
      openai.script(...Array.from({ length: MAX_ATTEMPTS }, () => apiError(500, 'The server had an error while processing your request.')));
      apology = (await relay.prompt('list my reminders for the day')).text;

      openai.script(completion({ toolCalls: [{ id: 'call_trace_person', name: 'transfer_to_human', arguments: '{}' }] }), streamed(['Putting you through.']));
      const transfer = await relay.prompt('put me through to a person');
      const handoff = transfer.end ?? ((await relay.next()) as { handoffData: string }).handoffData;
      await relay.close();
      const after = await post(connect.action, { SessionStatus: 'ended', HandoffData: handoff });
      dialled = after.heard?.dial?.number;
      await post('/voice/status', { CallStatus: 'completed', CallDuration: '30' });
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
    }
  });

  after(async () => {
    await otlp?.close();
    await sentry?.close();
    await openai?.close();
    await database?.drop();
  });

  const named = (name: string) => otlp.spans.filter((span) => span.name === name);
  const childrenOf = (parent: ReceivedSpan | undefined) => otlp.spans.filter((span) => parent && span.parentSpanId === parent.spanId);
  const metric = (name: string) => otlp.metrics.filter((candidate) => candidate.name === name).at(-1);

  it('when the call is played, then it streamed, wrote once and was put through', () => {
    expect(firstReply).to.deep.equal(['Added book the relay review. ', 'Anything else?']);
    expect(written).to.equal(1);
    expect(dialled).to.equal('+15555550142');
  });

  it('when the call is traced, then its webhooks, the relay session, its turns, model calls and tools are all one trace', () => {
    const incoming = named('voice_call.incoming').find((span) => span.attributes['twilio.call_sid'] === callSid)!;
    const session = named('voice_call.relay_session').find((span) => span.attributes['twilio.call_sid'] === callSid)!;
    expect(session, 'relay session span').to.exist;
    const ended = named('voice_call.relay_ended').find((span) => span.attributes['twilio.call_sid'] === callSid)!;
    const turns = childrenOf(session).filter((span) => span.name === 'voice_call.relay_turn');
    expect(turns).to.have.length(4);
    const everything = [incoming, session, ended, ...turns, ...turns.flatMap(childrenOf), ...turns.flatMap(childrenOf).flatMap(childrenOf)];
    expect(new Set(everything.map((span) => span.traceId))).to.have.property('size', 1);
    expect(session.kind).to.equal(2);
    expect(session.attributes).to.include({ 'convonet.voice.mode': 'relay', 'convonet.relay.end_reason': 'live-agent-handoff', 'enduser.pseudo.id': userId });
    expect(session.attributes['twilio.relay.session_id']).to.equal(`VX${callSid.slice(2)}`);

    const agents = turns.map((turn) => childrenOf(turn).find((span) => span.name === 'invoke_agent convonet'));
    expect(agents.every(Boolean)).to.equal(true);
    const tools = childrenOf(agents[0]).filter((span) => span.name.startsWith('execute_tool'));
    expect(tools.map((span) => span.name)).to.deep.equal(['execute_tool create_todo']);
    const chats = childrenOf(agents[0]).filter((span) => span.name.startsWith('chat '));
    expect(chats).to.have.length(2);
    for (const chat of chats) expect(chat.attributes['gen_ai.response.time_to_first_chunk']).to.be.a('number');
    // Every turn that spoke the agent's words has its time to first text; the failing one spoke only an apology.
    const spoke = turns.filter((turn) => turn.status.code !== 2);
    expect(spoke).to.have.length(3);
    for (const turn of spoke) expect(turn.attributes['convonet.turn.time_to_first_text']).to.be.a('number').above(0);
  });

  it('when the caller cut in, then the interruption is an event on that turn, which ended as interrupted', () => {
    const session = named('voice_call.relay_session').find((span) => span.attributes['twilio.call_sid'] === callSid)!;
    const cut = childrenOf(session).filter((span) => span.name === 'voice_call.relay_turn')[1]!;
    expect(cut.attributes['convonet.turn.end_reason']).to.equal('interrupted');
    const event = cut.events.find((candidate) => candidate.name === 'caller interrupted');
    expect(event?.attributes).to.include({ 'convonet.interrupt.heard_ms': 900, 'convonet.interrupt.heard_chars': 'This week you have'.length });
    expect(cut.status.code).to.not.equal(2);
  });

  it('when the model fails on a relay turn, then the caller hears an apology, and it is one Sentry issue on the call\'s trace, under that turn', () => {
    expect(apology).to.match(/^Sorry, something went wrong on my side/);
    const session = sentry.otlpSpans.find((span) => span.name === 'voice_call.relay_session' && span.attributes['twilio.call_sid'] === callSid);
    const events = sentry.errorEvents();
    expect(events.map((event) => event.exception?.values?.at(-1)?.type)).to.deep.equal(['InternalServerError']);
    expect(events[0]?.contexts?.trace?.trace_id).to.be.a('string').and.equal(session?.traceId);
    // The span the issue names, and the spans above it up to the session.
    const chain: string[] = [];
    for (let id = events[0]?.contexts?.trace?.span_id; id && id !== session?.spanId; ) {
      const span = sentry.otlpSpans.find((candidate) => candidate.spanId === id);
      if (!span) break;
      chain.push(span.name);
      id = span.parentSpanId;
    }
    expect(chain).to.deep.equal(['chat gpt-4.1-mini', 'invoke_agent convonet', 'voice_call.relay_turn']);
  });

  it('when metrics are exported, then time to first text, time to first chunk and interruptions are there', () => {
    expect(metric('convonet.turn.time_to_first_text')?.dataPoints[0]).to.have.property('count', 3);
    // Five model calls, of which the one cut in on never completed: four replies with a first chunk measured.
    expect(metric('gen_ai.client.operation.time_to_first_chunk')?.dataPoints.reduce((sum, point) => sum + Number(point.count), 0)).to.equal(4);
    expect(metric('convonet.turn.interruptions')?.dataPoints[0]).to.have.property('value', 1);
  });

  it('when the caller spoke, then their words and the caller\'s number are not on any span', () => {
    const sent = Buffer.concat([...otlp.requests, ...sentry.requests].map((request) => request.body)).toString('latin1');
    expect(sent).to.not.include('book the relay review');
    expect(sent).to.not.include('what is on this week');
    expect(sent).to.not.include(phone);
  });
});
