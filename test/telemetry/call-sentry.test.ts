import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { phoneCaller } from './phone-caller.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiError, completion, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { startFakeSentry, type FakeSentry, type SentryErrorEvent } from '../support/fake-sentry.ts';
import { spawnApp } from './spawned-app.ts';

const PIN = '5190';
const FEEDBACK_COMMENT = 'the reminder answer was wrong';
const SAID = {
  calendar: 'what is on my calendar this week',
  refused: 'add a todo to water the ferns',
  outage: 'list my reminders for the day',
  feedback: `feedback: ${FEEDBACK_COMMENT}`,
} as const;

/** The feedback fields Sentry's `captureFeedback` sends, as the fake Sentry received them. */
interface FeedbackEvent {
  type?: string;
  contexts?: { trace?: { trace_id?: string }; feedback?: { message?: string } };
  tags?: Record<string, string>;
}

interface CallOutcome {
  callSid: string;
  replies: Record<keyof typeof SAID, string>;
}

/**
 * The scripted call, each failure real: the calendar table is renamed away while the model asks
 * for the calendar (the tool's backend is gone), the model refuses the key (401), then fails with
 * 500s until the caller is told it is taking too long, and finally the caller leaves feedback.
 */
async function playFailingCall(url: string, phone: string, database: TestDatabase, openai: FakeOpenAi): Promise<CallOutcome> {
  const { callSid, ring, pin, hangUp, sayAndWait: say } = phoneCaller(url, phone);

  await ring();
  await pin(PIN);

  openai.script(
    completion({ toolCalls: [{ id: 'call_calendar', name: 'list_calendar_events', arguments: '{}' }] }),
    completion({ content: 'I cannot reach your calendar right now.' }),
  );
  await database.db.raw('alter table calendar_events rename to calendar_events_away');
  let calendar: string;
  try {
    calendar = await say(SAID.calendar);
  } finally {
    await database.db.raw('alter table calendar_events_away rename to calendar_events');
  }

  openai.script(apiError(401, 'Incorrect API key provided'));
  const refused = await say(SAID.refused);

  openai.otherwise(apiError(500, 'The server had an error'));
  const outage = await say(SAID.outage);
  openai.otherwise(apiError(500, 'no scripted reply left'));

  openai.script(
    completion({ toolCalls: [{ id: 'call_feedback', name: 'record_feedback', arguments: JSON.stringify({ comment: FEEDBACK_COMMENT }) }] }),
    completion({ content: 'Thanks, I have passed that on.' }),
  );
  const feedback = await say(SAID.feedback);
  await hangUp();
  return { callSid, replies: { calendar, refused, outage, feedback } };
}

function exceptionOf(event: SentryErrorEvent) {
  return event.exception?.values?.at(-1);
}

describe('the scripted call at Sentry: feedback and error issues on the call\'s trace', function () {
  this.timeout(60_000);

  let database: TestDatabase;
  let phone: string;
  let sentry: FakeSentry;
  let openai: FakeOpenAi;

  before(async () => {
    database = await createTestDatabase();
    ({ phone } = await seedDemo(database.db, { pin: PIN }));
    sentry = await startFakeSentry();
    openai = await startFakeOpenAi();
  });

  after(async () => {
    await sentry?.close();
    await openai?.close();
    await database?.drop();
  });

  /** Plays the call on a freshly spawned app and stops it; once stopped, Sentry has all it will get. */
  async function callThenStop(env: Record<string, string>): Promise<CallOutcome> {
    sentry.reset();
    const app = await spawnApp({
      DATABASE_URL: database.url,
      SENTRY_DSN: sentry.dsn,
      OPENAI_API_KEY: 'sk-test-call-sentry-0123456789abcdef',
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_MODEL: 'gpt-fake',
      AGENT_TURN_TIMEOUT_MS: '500',
      AGENT_MAX_REDIRECTS: '2',
      ...env,
    });
    try {
      return await playFailingCall(app.url, phone, database, openai);
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
    }
  }

  const feedbackEvents = () => sentry.items.filter((item) => item.header.type === 'feedback').map((item) => item.payload as FeedbackEvent);

  describe('with spans sent to Sentry over OTLP', () => {
    let outcome: CallOutcome;
    let traceId: string | undefined;

    before(async () => {
      outcome = await callThenStop({});
      traceId = sentry.otlpSpans.find(
        (span) => span.name === 'voice_call.incoming' && span.attributes['twilio.call_sid'] === outcome.callSid,
      )?.traceId;
    });

    it('when the caller leaves feedback, then it is Sentry user feedback on the call\'s trace, without their words', async () => {
      expect(outcome.replies.feedback).to.equal('Thanks, I have passed that on.');
      const [stored] = await database.db('feedback').where({ call_sid: outcome.callSid });
      const feedback = feedbackEvents();
      expect(feedback).to.have.length(1);
      expect(feedback[0]?.contexts?.trace?.trace_id).to.be.a('string').and.equal(traceId);
      expect(feedback[0]?.contexts?.feedback?.message).to.equal(
        `Caller left feedback (feedback id ${stored.id}; text kept in the database)`,
      );
      expect(feedback[0]?.tags).to.include({ 'convonet.feedback.id': stored.id, 'twilio.call_sid': outcome.callSid });
      const sent = sentry.requests.map((request) => request.body.toString('latin1')).join('\n');
      expect(sent).not.to.include(FEEDBACK_COMMENT);
    });

    it('when the calendar\'s table is gone, a key is refused and the model fails, then each is an error issue with its stack on the call\'s trace', () => {
      expect(outcome.replies.calendar).to.equal('I cannot reach your calendar right now.');
      expect(outcome.replies.refused).to.match(/sorry, something went wrong/i);
      expect(outcome.replies.outage).to.match(/taking much longer/i);

      const events = sentry.errorEvents();
      const summary = events.map((event) => `${exceptionOf(event)?.type}: ${exceptionOf(event)?.value}`);
      const find = (pattern: RegExp) => events.find((event) => pattern.test(`${exceptionOf(event)?.type}: ${exceptionOf(event)?.value}`));
      for (const [what, pattern] of [
        ['the tool backend gone', /calendar_events.*does not exist/],
        ['the refused key', /401|Incorrect API key/],
        ['the model failing', /500|server had an error/],
        ['the caller told to ask again', /AgentTimeoutError/],
      ] as const) {
        const event = find(pattern);
        expect(event, `${what} in ${JSON.stringify(summary)}`).not.to.equal(undefined);
        expect(event?.contexts?.trace?.trace_id, what).to.equal(traceId);
        expect(exceptionOf(event!)?.stacktrace?.frames?.length, what).to.be.greaterThan(0);
      }
    });

    it('when the tool backend is gone, then Sentry logs say so at error level on the call\'s trace', () => {
      const log = sentry.logs().find((record) => record.body === 'tool backend unreachable');
      expect(log?.trace_id).to.equal(traceId);
      expect((log as { level?: string } | undefined)?.level).to.equal('error');
    });
  });

  describe("with Sentry's own tracer provider", () => {
    it('when the caller leaves feedback, then it is user feedback on the trace of the call\'s native spans', async () => {
      const outcome = await callThenStop({ TELEMETRY_TRACER_PROVIDER: 'sentry', TELEMETRY_CAPTURE_CONTENT: 'true' });
      const incoming = sentry
        .nativeSpans()
        .find((span) => (span.name ?? span.description) === 'voice_call.incoming');
      const feedback = feedbackEvents();
      expect(feedback).to.have.length(1);
      expect(feedback[0]?.contexts?.trace?.trace_id).to.be.a('string').and.equal(incoming?.trace_id);
      // Content capture is on: the caller's words are the feedback.
      expect(feedback[0]?.contexts?.feedback?.message).to.equal(FEEDBACK_COMMENT);
      expect(sentry.errorEvents().every((event) => event.contexts?.trace?.trace_id === incoming?.trace_id)).to.equal(true);
      expect(sentry.errorEvents().length).to.be.at.least(3);
      expect(outcome.replies.feedback).to.equal('Thanks, I have passed that on.');
    });
  });
});
