import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { playCall, type Exchange } from '../../src/simulator/call.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../../telemetry/tail/otlp-receiver.ts';
import { startOtlpGrpcReceiver } from '../support/fake-otlp-grpc.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { phoneCaller } from './phone-caller.ts';
import { spawnApp, TWILIO_TOKEN, type SpawnedApp } from './spawned-app.ts';

const PIN = '8461';
const UTTERANCE = 'add a todo to buy oat milk from the corner shop';
const OPENAI_KEY = 'sk-test-convonet-0123456789abcdef';
const VENDOR_KEY = 'vendor-secret-4242-abcdef';

type Layer = 'http' | 'koa' | 'knex' | 'pg';

/** Which instrumentation made a span, from its attributes (the same in OTLP and native Sentry spans). */
function layerOf(attributes: Record<string, unknown>): Layer | undefined {
  const has = (key: string) => attributes[key] !== undefined;
  if (has('knex.version')) return 'knex';
  if (has('db.system.name') || has('db.system')) return 'pg';
  if (has('koa.type')) return 'koa';
  if (has('http.request.method') && (has('http.route') || has('url.path') || has('http.response.status_code'))) return 'http';
  return undefined;
}

/** Native Sentry span attributes come as `{ value, type }`. */
function plain(attributes: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).map(([key, value]) => [key, value && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value]),
  );
}

function layers(spans: { attributes: Record<string, unknown> }[]): Set<Layer> {
  return new Set(spans.map((span) => layerOf(span.attributes)).filter((layer): layer is Layer => layer !== undefined));
}

describe('telemetry backends, with the real app spawned as `npm start` runs it', function () {
  this.timeout(60_000);

  let database: TestDatabase;
  let phone: string;
  let otlp: OtlpReceiver;
  let sentry: FakeSentry;

  before(async () => {
    database = await createTestDatabase();
    ({ phone } = await seedDemo(database.db, { pin: PIN }));
    otlp = await startOtlpReceiver();
    sentry = await startFakeSentry();
  });

  after(async () => {
    await otlp?.close();
    await sentry?.close();
    await database?.drop();
  });

  beforeEach(() => {
    otlp.reset();
    sentry.reset();
  });

  /**
   * Plays a call and stops the app with SIGTERM. The app exits only after telemetry has flushed,
   * so once `stop` resolves everything that will ever arrive has arrived: no waiting on timers.
   */
  async function callThenStop(env: Record<string, string>, utterances = [UTTERANCE]): Promise<{ app: SpawnedApp; exchanges: Exchange[] }> {
    const app = await spawnApp({ DATABASE_URL: database.url, ...env });
    try {
      const exchanges = await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin: PIN, utterances });
      expect(exchanges.every((exchange) => exchange.status >= 200 && exchange.status < 300), exchanges.map((e) => `${e.webhook} ${e.status}`).join(', ')).to.equal(true);
      return { app, exchanges };
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
    }
  }

  const otlpEnv = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });

  it('when OTEL_TRACES_EXPORTER=none, then the start-up line says off and nothing reaches any backend', async () => {
    const { app } = await callThenStop({ OTEL_TRACES_EXPORTER: 'none', SENTRY_DSN: sentry.dsn, ...otlpEnv() });
    expect(app.stderr).to.include('telemetry: off');
    expect(otlp.requests).to.have.length(0);
    expect(sentry.requests).to.have.length(0);
  });

  it('when otlp is on with content capture, then http, koa and knex spans, logs with trace ids and metrics reach the OTLP receiver only', async () => {
    const { app } = await callThenStop({ ...otlpEnv(), TELEMETRY_CAPTURE_CONTENT: 'true', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });

    expect(app.stderr.find((line) => line.startsWith('telemetry:'))).to.match(/exporters=otlp .*sampler=parentbased_always_on/);
    // One span per query: the knex span; pg's is off by default.
    expect([...layers(otlp.spans)].sort()).to.deep.equal(['http', 'knex', 'koa']);
    // knex and pg spans hang off the request's spans: every one has its parent among the spans received.
    const ids = new Set(otlp.spans.map((span) => span.spanId));
    const database = otlp.spans.filter((span) => ['knex', 'pg'].includes(layerOf(span.attributes) ?? ''));
    expect(database.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId)).map((span) => span.name)).to.deep.equal([]);
    const koaParents = otlp.spans.filter((span) => layerOf(span.attributes) === 'koa').every((span) => span.parentSpanId && ids.has(span.parentSpanId));
    expect(koaParents).to.equal(true);
    expect(otlp.spans[0]?.resource).to.include({ 'service.name': 'convonet', 'deployment.environment.name': 'test', 'telemetry.sdk.language': 'nodejs' });
    expect(otlp.spans[0]?.resource).to.include.keys('host.name', 'process.pid');
    // The command line can carry a secret: the process detector's is left out.
    expect(otlp.spans[0]?.resource).not.to.have.any.keys('process.command_args', 'process.command_line', 'process.command');
    expect(otlp.spans.some((span) => span.attributes['twilio.call_sid'])).to.equal(true);

    const correlated = otlp.logs.filter((log) => log.traceId && log.spanId);
    expect(correlated, 'logs carrying trace and span ids').not.to.be.empty;
    expect(otlp.metrics.map((metric) => metric.name)).to.include('http.server.request.duration');

    // Capture on: the caller's words are kept, the caller's number still is not.
    expect(JSON.stringify(otlp.spans)).to.include(UTTERANCE);
    expect(Buffer.concat(otlp.requests.map((request) => request.body)).toString('latin1')).not.to.include('5555550100');
    expect(sentry.requests).to.have.length(0);
  });

  it('when sentry is on, then the spans reach Sentry over OTLP and logs arrive as Sentry logs, and nothing reaches the OTLP receiver', async () => {
    await callThenStop({ SENTRY_DSN: sentry.dsn });

    expect([...layers(sentry.otlpSpans)].sort()).to.deep.equal(['http', 'knex', 'koa']);
    const authHeaders = sentry.requests.filter((request) => request.path.includes('/otlp/')).map((request) => request.headers['x-sentry-auth']);
    expect(authHeaders.every((header) => String(header).includes('sentry_key=publickey'))).to.equal(true);
    expect(sentry.logs().some((log) => log.trace_id)).to.equal(true);
    expect(sentry.errorEvents()).to.have.length(0);
    expect(otlp.requests).to.have.length(0);
  });

  it('when sentry and otlp are on, then both receive the same spans and no byte sent to either holds a phone number, PIN, token, key or transcript', async () => {
    await callThenStop({
      OTEL_TRACES_EXPORTER: 'sentry,otlp',
      SENTRY_DSN: sentry.dsn,
      ...otlpEnv(),
      OTEL_EXPORTER_OTLP_HEADERS: `x-vendor-key=${VENDOR_KEY}`,
      AGENT_PROVIDER: 'offline',
      OPENAI_API_KEY: OPENAI_KEY,
    });

    expect(new Set(sentry.otlpSpans.map((span) => span.spanId))).to.deep.equal(new Set(otlp.spans.map((span) => span.spanId)));

    const sent = [
      ...otlp.requests.map((request) => request.body.toString('latin1')),
      ...sentry.requests.map((request) => `${JSON.stringify(request.headers)}\n${request.body.toString('latin1')}`),
    ].join('\n');
    expect(sent.length).to.be.greaterThan(1000);
    for (const secret of ['5555550100', TWILIO_TOKEN, OPENAI_KEY, VENDOR_KEY, UTTERANCE, 'corner shop']) {
      expect(sent.includes(secret), `leaked: ${secret}`).to.equal(false);
    }
    expect(sent, 'the PIN').not.to.match(new RegExp(`(?<![0-9A-Za-z])${PIN}(?![0-9A-Za-z])`));
    // The vendor's key goes to the vendor only, in a header.
    expect(otlp.requests.every((request) => request.headers['x-vendor-key'] === VENDOR_KEY)).to.equal(true);
  });

  it('when console is the exporter, then a compact line per span goes to stderr and nothing to the servers', async () => {
    const { app } = await callThenStop({ OTEL_TRACES_EXPORTER: 'console', SENTRY_DSN: sentry.dsn });
    const spanLines = app.stderr.filter((line) => line.startsWith('span '));
    expect(spanLines.some((line) => line.includes('POST /voice/turn'))).to.equal(true);
    expect(spanLines.some((line) => / SELECT calls /.test(line))).to.equal(true);
    expect(otlp.requests).to.have.length(0);
    expect(sentry.requests).to.have.length(0);
  });

  it("when Sentry's tracer provider is chosen, then the same spans arrive as native Sentry spans and nothing goes over OTLP", async () => {
    const { app } = await callThenStop({ SENTRY_DSN: sentry.dsn, TELEMETRY_TRACER_PROVIDER: 'sentry' });
    expect(app.stderr.find((line) => line.startsWith('telemetry:'))).to.match(/exporters=sentry tracer_provider=sentry/);
    const spans = sentry.nativeSpans().map((span) => ({ ...span, attributes: plain(span.attributes ?? span.data) }));
    expect([...layers(spans)].sort()).to.deep.equal(['http', 'knex', 'koa']);
    expect(sentry.otlpSpans).to.have.length(0);
    expect(otlp.requests).to.have.length(0);
  });

  it('when the native bridge is combined with otlp, then the app refuses to start and says why', async () => {
    const attempt = spawnApp({ SENTRY_DSN: sentry.dsn, TELEMETRY_TRACER_PROVIDER: 'sentry', OTEL_TRACES_EXPORTER: 'sentry,otlp', ...otlpEnv() });
    const error = await attempt.then(
      () => null,
      (failure: unknown) => failure as Error,
    );
    expect(error?.message).to.match(/telemetry: invalid configuration: TELEMETRY_TRACER_PROVIDER=sentry/);
  });

  describe('the standard OTEL_* variables, read by NodeSDK and the exporters themselves', () => {
    it('when OTEL_NODE_ENABLED_INSTRUMENTATIONS widens the set, then its instrumentations run (pg too); OTEL_NODE_DISABLED_INSTRUMENTATIONS narrows it', async () => {
      await callThenStop({ ...otlpEnv(), OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,koa,knex,pg' });
      expect([...layers(otlp.spans)].sort()).to.deep.equal(['http', 'knex', 'koa', 'pg']);
      otlp.reset();
      await callThenStop({ ...otlpEnv(), OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'koa,knex' });
      expect([...layers(otlp.spans)].sort()).to.deep.equal(['http']);
    });

    it('when OTEL_NODE_RESOURCE_DETECTORS, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are set, then the resource is what they say', async () => {
      await callThenStop({ ...otlpEnv(), OTEL_NODE_RESOURCE_DETECTORS: 'env', OTEL_SERVICE_NAME: 'convonet-eu', OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored,team=voice' });
      const resource = otlp.spans[0]?.resource;
      expect(resource).to.include({ 'service.name': 'convonet-eu', team: 'voice' });
      expect(resource).not.to.have.any.keys('host.name', 'process.pid');
    });

    it('when OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1, then every trace export carries one span', async () => {
      const batchSizes: number[] = [];
      const unsubscribe = otlp.subscribe((batch) => {
        if (batch.signal === 'traces') batchSizes.push(batch.spans.length);
      });
      try {
        await callThenStop({ ...otlpEnv(), OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1', OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' });
      } finally {
        unsubscribe();
      }
      expect(batchSizes.length).to.be.greaterThan(10);
      expect(new Set(batchSizes)).to.deep.equal(new Set([1]));
      expect(otlp.logs).to.have.length(0);
      expect(otlp.metrics).to.have.length(0);
    });

    it('when OTEL_BSP_MAX_EXPORT_BATCH_SIZE is unset, then no trace export carries more than 128 spans, so none blocks a webhook for long', async () => {
      const batchSizes: number[] = [];
      const unsubscribe = otlp.subscribe((batch) => {
        if (batch.signal === 'traces') batchSizes.push(batch.spans.length);
      });
      try {
        // Spans wait for a full batch or the flush at exit, never for the timer.
        await callThenStop({ ...otlpEnv(), OTEL_BSP_SCHEDULE_DELAY: '600000' }, Array.from({ length: 8 }, () => 'what are my todos'));
      } finally {
        unsubscribe();
      }
      expect(batchSizes.reduce((sum, size) => sum + size, 0)).to.be.greaterThan(128);
      expect(Math.max(...batchSizes)).to.equal(128);
    });

    it('when OTEL_EXPORTER_OTLP_PROTOCOL=grpc, then spans, logs and metrics reach an OTLP/gRPC collector', async () => {
      const grpc = await startOtlpGrpcReceiver();
      try {
        await callThenStop({ OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
        expect([...layers(grpc.spans)].sort()).to.deep.equal(['http', 'knex', 'koa']);
        expect(grpc.spans.some((span) => span.name === 'voice_call.process_audio')).to.equal(true);
        expect(grpc.logs.some((log) => log.body === 'webhook')).to.equal(true);
        expect(grpc.metrics.map((metric) => metric.name)).to.include('http.server.request.duration');
      } finally {
        await grpc.close();
      }
      expect(otlp.requests).to.have.length(0);
    });

    it('when an endpoint has no scheme, then the app refuses to start and names the variable', async () => {
      const error = await spawnApp({ DATABASE_URL: database.url, OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }).then(
        () => null,
        (failure: unknown) => failure as Error,
      );
      expect(error?.message).to.match(/telemetry: invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT=localhost:4318/);
    });
  });

  describe('a webhook that fails', () => {
    /** The turn's first query fails: its table is gone for the length of one call. */
    async function failingCall(env: Record<string, string>): Promise<void> {
      await database.db.raw('alter table turns rename to turns_hidden');
      try {
        await callThenStop(env).catch(() => undefined);
      } finally {
        await database.db.raw('alter table turns_hidden rename to turns');
      }
    }

    it('when spans go to Sentry over OTLP, then exactly one error event carries the trace and span ids of the span that recorded it, with its stack', async () => {
      await failingCall({ SENTRY_DSN: sentry.dsn });
      const events = sentry.errorEvents();
      expect(events, JSON.stringify(events.map((event) => event.exception?.values?.[0]?.value))).to.have.length(1);
      const [event] = events;
      const trace = event?.contexts?.trace;
      const span = sentry.otlpSpans.find((candidate) => candidate.spanId === trace?.span_id);
      expect(span, 'the span named by the event').to.not.equal(undefined);
      expect(span?.traceId).to.equal(trace?.trace_id);
      expect(span?.status.code).to.equal(2);
      expect(span?.events.some((spanEvent) => spanEvent.name === 'exception')).to.equal(true);
      expect(event?.exception?.values?.[0]?.stacktrace?.frames?.length).to.be.greaterThan(0);
    });

    it('when the database fails before the call\'s span starts, then the caller is apologised to and the failure is one issue on its own span in the call\'s trace', async () => {
      const app = await spawnApp({ DATABASE_URL: database.url, SENTRY_DSN: sentry.dsn });
      let apology: string;
      let callSid: string;
      try {
        const call = phoneCaller(app.url, phone);
        callSid = call.callSid;
        await call.ring();
        await call.pin(PIN);
        await database.db.raw('alter table calls rename to calls_away');
        try {
          apology = (await call.say('what are my todos')).reply;
        } finally {
          await database.db.raw('alter table calls_away rename to calls');
        }
      } finally {
        expect(await app.stop('SIGTERM')).to.equal(0);
      }
      expect(apology).to.match(/sorry, something went wrong/i);
      const events = sentry.errorEvents();
      expect(events, JSON.stringify(events.map((event) => event.exception?.values?.[0]?.value))).to.have.length(1);
      const span = sentry.otlpSpans.find((candidate) => candidate.spanId === events[0]?.contexts?.trace?.span_id);
      expect(span?.name).to.equal('voice_call.failure');
      expect(span?.attributes['error.type']).to.equal('42P01');
      const incoming = sentry.otlpSpans.find((candidate) => candidate.name === 'voice_call.incoming' && candidate.attributes['twilio.call_sid'] === callSid);
      expect(span?.traceId).to.equal(incoming?.traceId);
    });

    it("when spans are native Sentry spans, then exactly one error event carries the recording span's ids, with its stack", async () => {
      await failingCall({ SENTRY_DSN: sentry.dsn, TELEMETRY_TRACER_PROVIDER: 'sentry' });
      const events = sentry.errorEvents();
      expect(events, JSON.stringify(events.map((event) => event.exception?.values?.[0]?.value))).to.have.length(1);
      const trace = events[0]?.contexts?.trace;
      const span = sentry.nativeSpans().find((candidate) => candidate.span_id === trace?.span_id);
      expect(span, 'the span named by the event').to.not.equal(undefined);
      expect(span?.trace_id).to.equal(trace?.trace_id);
      expect(events[0]?.exception?.values?.[0]?.stacktrace?.frames?.length).to.be.greaterThan(0);
    });
  });
});
