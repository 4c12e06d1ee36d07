import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { phoneCaller } from './phone-caller.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiError, completion, gate, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { startFakeSentry, type FakeSentry, type SentryErrorEvent } from '../support/fake-sentry.ts';
import { spawnApp } from './spawned-app.ts';

const PIN = '5190';
const FEEDBACK_COMMENT = 'the reminder answer was wrong';
const SAID = {
  calendar: 'what is on my calendar this week',
  refused: 'add a todo to water the ferns',
  outage: 'list my reminders for the day',
  stalled: 'list my reminders for tomorrow',
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
 * for the calendar (the tool's backend is gone), the model refuses the key (401), fails with 500s
 * (three attempts, then an apology), then stalls until the caller is told it is taking too long,
 * and finally the caller leaves feedback.
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

  const never = gate();
  openai.script(async () => {
    await never.opened;
    return completion({ content: 'too late' });
  });
  const stalled = await say(SAID.stalled);
  never.open();

  openai.script(
    completion({ toolCalls: [{ id: 'call_feedback', name: 'record_feedback', arguments: JSON.stringify({ comment: FEEDBACK_COMMENT }) }] }),
    completion({ content: 'Thanks, I have passed that on.' }),
  );
  const feedback = await say(SAID.feedback);
  await hangUp();
  return { callSid, replies: { calendar, refused, outage, stalled, feedback } };
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
  async function callThenStop(env: Record<string, string>): Promise<CallOutcome & { stderr: string[] }> {
    sentry.reset();
    openai.headers.length = 0;
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
      return { ...(await playFailingCall(app.url, phone, database, openai)), stderr: app.stderr };
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
    }
  }

  const feedbackEvents = () => sentry.items.filter((item) => item.header.type === 'feedback').map((item) => item.payload as FeedbackEvent);

  /** Each failure of the scripted call as the one Sentry issue it must be: type, and what it says. */
  const FAILURES = [
    ['the tool backend gone', '42P01', /calendar_events.*does not exist/],
    ['the refused key', 'AuthenticationError', /401|Incorrect API key/],
    ['the model failing', 'InternalServerError', /500|server had an error/],
    ['the caller told to ask again', 'AgentTimeoutError', /no answer after/],
  ] as const;

  /** The one event of each failure (asserting it is one), by what it says. */
  function issuesOfTheCall(): Record<(typeof FAILURES)[number][0], SentryErrorEvent> {
    const events = sentry.errorEvents();
    const summary = events.map((event) => `${exceptionOf(event)?.type}: ${exceptionOf(event)?.value}`);
    expect(events, JSON.stringify(summary)).to.have.length(FAILURES.length);
    return Object.fromEntries(
      FAILURES.map(([what, , pattern]) => {
        const matching = events.filter((event) => pattern.test(`${exceptionOf(event)?.type}: ${exceptionOf(event)?.value}`));
        expect(matching, `${what} in ${JSON.stringify(summary)}`).to.have.length(1);
        return [what, matching[0]!];
      }),
    ) as Record<(typeof FAILURES)[number][0], SentryErrorEvent>;
  }

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

    it('when the calendar\'s table is gone, a key is refused and the model fails, then each is exactly one issue with its stack on the call\'s trace', () => {
      expect(outcome.replies.calendar).to.equal('I cannot reach your calendar right now.');
      expect(outcome.replies.refused).to.match(/sorry, something went wrong/i);
      expect(outcome.replies.outage).to.match(/sorry, something went wrong/i);
      expect(outcome.replies.stalled).to.match(/taking much longer/i);
      for (const [what, event] of Object.entries(issuesOfTheCall())) {
        expect(event.contexts?.trace?.trace_id, what).to.equal(traceId);
        expect(sentry.otlpSpans.some((span) => span.spanId === event.contexts?.trace?.span_id), `${what}: the span it names`).to.equal(true);
        expect(exceptionOf(event)?.stacktrace?.frames?.length, what).to.be.greaterThan(0);
      }
    });

    it('when a query or the model fails, then the issue and the span name it precisely: the SQLSTATE, the OpenAI error class', () => {
      const issues = issuesOfTheCall();
      for (const [what, type] of FAILURES) {
        const span = sentry.otlpSpans.find((candidate) => candidate.spanId === issues[what].contexts?.trace?.span_id);
        expect(span?.attributes['error.type'], `${what}: error.type`).to.equal(type);
      }
      expect(exceptionOf(issues['the refused key'])?.type).to.equal('AuthenticationError');
      expect(exceptionOf(issues['the model failing'])?.type).to.equal('InternalServerError');
      expect(exceptionOf(issues['the tool backend gone'])?.type).to.equal('DatabaseError');
      const query = sentry.otlpSpans.find((span) => span.name === 'SELECT calendar_events' && span.status.code === 2);
      expect(query?.attributes).to.include({ 'error.type': '42P01', 'db.response.status_code': '42P01' });
    });

    it('when a query fails, then its issue shows where the app issued it, not only the driver\'s frames', () => {
      const frames = exceptionOf(issuesOfTheCall()['the tool backend gone'])?.stacktrace?.frames ?? [];
      const files = frames.map((frame) => frame.filename ?? '');
      expect(files.some((file) => /src\/(db|tools)\/calendar\.ts$/.test(file)), files.join('\n')).to.equal(true);
    });

    it('when a turn is a Sentry transaction, then its HTTP span holds the agent, model, tool and database work of that turn', () => {
      const turns = sentry.otlpSpans.filter((span) => span.traceId === traceId && span.kind === 2 && span.attributes['http.route'] === '/voice/turn');
      expect(turns).to.have.length(5);
      const under = (parent: { spanId: string }): typeof sentry.otlpSpans =>
        sentry.otlpSpans.filter((span) => span.parentSpanId === parent.spanId).flatMap((child) => [child, ...under(child)]);
      const first = under(turns.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))[0]!);
      const names = first.map((span) => span.name);
      expect(names).to.include.members(['voice_call.process_audio', 'invoke_agent convonet', 'chat gpt-fake', 'execute_tool list_calendar_events', 'SELECT calendar_events']);
    });

    it('when the tool backend is gone, then Sentry logs say so at error level on the call\'s trace, under the span that wrote it', () => {
      const log = sentry.logs().find((record) => record.body === 'tool backend unreachable');
      expect(log?.trace_id).to.equal(traceId);
      expect((log as { level?: string } | undefined)?.level).to.equal('error');
      const parent = sentry.otlpSpans.find((span) => span.spanId === log?.attributes?.['sentry.trace.parent_span_id']?.value);
      expect(parent?.name).to.equal('execute_tool list_calendar_events');
    });
  });

  describe('with every call sampled out (OTEL_TRACES_SAMPLER=traceidratio, OTEL_TRACES_SAMPLER_ARG=0)', () => {
    for (const bridge of ['opentelemetry', 'sentry'] as const) {
      it(`when the call fails and the caller leaves feedback (${bridge} tracer provider), then each error is still exactly one issue and the feedback arrives, on one trace id`, async () => {
        await callThenStop({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', TELEMETRY_TRACER_PROVIDER: bridge });
        expect(sentry.otlpSpans, 'no span is sampled').to.have.length(0);
        expect(sentry.nativeSpans(), 'no span is sampled').to.have.length(0);
        const issues = Object.values(issuesOfTheCall());
        const feedback = feedbackEvents();
        expect(feedback).to.have.length(1);
        const traceIds = new Set([...issues, ...feedback].map((event) => event.contexts?.trace?.trace_id));
        expect([...traceIds]).to.have.length(1);
        expect([...traceIds][0]).to.match(/^[0-9a-f]{32}$/);
      });
    }
  });

  describe("with Sentry's own tracer provider", () => {
    let outcome: CallOutcome & { stderr: string[] };

    before(async () => {
      outcome = await callThenStop({ TELEMETRY_TRACER_PROVIDER: 'sentry', TELEMETRY_CAPTURE_CONTENT: 'true' });
    });

    const incoming = () => sentry.nativeSpans().find((span) => (span.name ?? span.description) === 'voice_call.incoming');

    it('when the caller leaves feedback, then it is user feedback on the trace of the call\'s native spans', () => {
      const feedback = feedbackEvents();
      expect(feedback).to.have.length(1);
      expect(feedback[0]?.contexts?.trace?.trace_id).to.be.a('string').and.equal(incoming()?.trace_id);
      // Content capture is on: the caller's words are the feedback.
      expect(feedback[0]?.contexts?.feedback?.message).to.equal(FEEDBACK_COMMENT);
      expect(outcome.replies.feedback).to.equal('Thanks, I have passed that on.');
    });

    it('when the call fails, then each error is exactly one issue on the call\'s trace', () => {
      for (const [what, event] of Object.entries(issuesOfTheCall())) {
        expect(event.contexts?.trace?.trace_id, what).to.equal(incoming()?.trace_id);
      }
    });

    it('when the agent calls the model, then the request carries the call\'s trace headers and nothing is printed about propagation', () => {
      expect(openai.headers.length).to.be.greaterThan(0);
      for (const headers of openai.headers) {
        expect(headers['sentry-trace']).to.match(new RegExp(`^${incoming()?.trace_id}-[0-9a-f]{16}`));
        expect(headers.traceparent).to.match(new RegExp(`^00-${incoming()?.trace_id}-[0-9a-f]{16}-0[01]$`));
      }
      expect(outcome.stderr.filter((line) => /SentryPropagator|warn/i.test(line))).to.deep.equal([]);
    });
  });
});
