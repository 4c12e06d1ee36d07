import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { newCallSid, postWebhook } from '../../src/simulator/call.ts';
import { RelayConnection } from '../../src/simulator/relay.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiError, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { spawnApp, TWILIO_TOKEN } from './spawned-app.ts';

describe('a ConversationRelay call at Sentry', function () {
  this.timeout(60_000);

  let database: TestDatabase;
  let sentry: FakeSentry;
  let openai: FakeOpenAi;
  let callSid: string;
  let heard: string;

  before(async () => {
    database = await createTestDatabase();
    const demo = await seedDemo(database.db, { pin: '3817' });
    sentry = await startFakeSentry();
    openai = await startFakeOpenAi();
    openai.otherwise(apiError(500, 'The server had an error while processing your request.'));
    const app = await spawnApp({
      DATABASE_URL: database.url,
      SENTRY_DSN: sentry.dsn,
      OPENAI_API_KEY: 'sk-test-relay-sentry-0123456789abcdef',
      OPENAI_BASE_URL: openai.baseURL,
      VOICE_MODE: 'relay',
    });
    try {
      callSid = newCallSid();
      const post = (path: string, params: Record<string, string>) => postWebhook(app.url, TWILIO_TOKEN, path, { CallSid: callSid, ...params });
      await post('/voice/incoming', { From: demo.phone, To: '+15555550199', CallStatus: 'ringing' });
      const connect = (await post('/voice/pin', { Digits: '3817' })).heard!.connect!;
      const relay = await RelayConnection.open(connect.url, TWILIO_TOKEN);
      relay.setup(callSid);
      heard = (await relay.prompt('list my reminders for the day')).text;
      await relay.close();
      await post('/voice/status', { CallStatus: 'completed', CallDuration: '12' });
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
    }
  });

  after(async () => {
    await sentry?.close();
    await openai?.close();
    await database?.drop();
  });

  it('when the model fails on a relay turn, then the caller hears an apology, and it is one Sentry issue on the call\'s trace, under the relay session', () => {
    expect(heard).to.match(/^Sorry, something went wrong on my side/);
    const incoming = sentry.otlpSpans.find((span) => span.name === 'voice_call.incoming' && span.attributes['twilio.call_sid'] === callSid);
    const session = sentry.otlpSpans.find((span) => span.name === 'voice_call.relay_session' && span.attributes['twilio.call_sid'] === callSid);
    expect(session?.traceId).to.be.a('string').and.equal(incoming?.traceId);
    const events = sentry.errorEvents();
    expect(events.map((event) => event.exception?.values?.at(-1)?.type)).to.deep.equal(['InternalServerError']);
    expect(events[0]?.contexts?.trace?.trace_id).to.equal(session?.traceId);
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
});
