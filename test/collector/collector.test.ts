// The collector built from collector/manifest.yaml, running the project's otel-collector.yaml (and
// collector/sentry.yaml) exactly as `npm run stack` and docker-compose.yml do, on free ports. The
// app, the synthetic senders and the collector's Jaeger exporter use real OTLP; Sentry is the fake
// at the network boundary; Jaeger is real, so no exporter fails in the background.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { parse } from 'yaml';
import { COLLECTOR_BINARY, ROOT, collectorConfigArgs, startCollector, startJaeger, type Environment, type LocalProcess } from '../../collector/processes.ts';
import { flattenLogs, flattenTraces, type ReceivedLog, type ReceivedSpan } from '../../telemetry/tail/otlp-flatten.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { eventually, freeAddresses, needs, placeCall, sample } from './local-backends.ts';

const SENTRY_KEY = 'b4d2c0ffee5e1ec7ab1e0123456789ab';

type Addresses = Awaited<ReturnType<typeof freeAddresses>>;

/** A collector on free ports, exporting to `jaeger`, with quick sampling decisions and span metrics. */
async function collectorWith(jaeger: Addresses, dir: string, env: Environment): Promise<{ collector: LocalProcess; addresses: Addresses; file: string }> {
  const addresses = await freeAddresses();
  const file = path.join(dir, `${addresses.COLLECTOR_OTLP_HTTP_ENDPOINT.replace(/\W/g, '-')}.jsonl`);
  const collector = await startCollector({
    PATH: process.env.PATH,
    ...addresses,
    COLLECTOR_JAEGER_ENDPOINT: jaeger.JAEGER_OTLP_GRPC_ENDPOINT,
    COLLECTOR_FILE_PATH: file,
    TAIL_SAMPLING_DECISION_WAIT: '1s',
    SPAN_METRICS_FLUSH_INTERVAL: '1s',
    ...env,
  });
  return { collector, addresses, file };
}

/** The call's own spans (voice_call.*), one trace; each webhook's HTTP span carries the sid too, in a trace of its own. */
function ofCall(spans: ReceivedSpan[], callSid: string): ReceivedSpan[] {
  return spans.filter((span) => span.name.startsWith('voice_call.') && span.attributes['twilio.call_sid'] === callSid);
}

function withSentry(sentry: FakeSentry): Environment {
  return { SENTRY_OTLP_ENDPOINT: sentry.otlpEndpoint, SENTRY_PUBLIC_KEY: SENTRY_KEY };
}

/** Real OTLP exporters from this process, standing in for an app that sends whatever it likes. */
function otlpSender(addresses: Addresses) {
  const url = `http://${addresses.COLLECTOR_OTLP_HTTP_ENDPOINT}`;
  const resource = resourceFromAttributes({ 'service.name': 'collector-test' });
  const traces = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), { maxQueueSize: 10_000, maxExportBatchSize: 500, scheduledDelayMillis: 20 })],
  });
  const logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) })] });
  return {
    tracer: traces.getTracer('collector-test'),
    logger: logs.getLogger('collector-test'),
    async close() {
      await Promise.all([traces.shutdown(), logs.shutdown()]);
    },
  };
}

interface TraceShape {
  failed?: boolean;
  /** How long each span takes. */
  durationMs?: number;
  /** How long after the root the child starts: a call's later webhook joins its trace seconds later. */
  childAfterMs?: number;
}

/** A root span and one child; the child fails when asked. Returns the trace id. */
function sendTrace(tracer: Tracer, name: string, { failed = false, durationMs = 5, childAfterMs = 0 }: TraceShape = {}): string {
  const start = Date.now() - durationMs - childAfterMs;
  const root = tracer.startSpan(name, { startTime: start });
  const child = tracer.startSpan(`${name} step`, { startTime: start + childAfterMs }, trace.setSpan(context.active(), root));
  if (failed) child.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
  child.end(start + childAfterMs + durationMs);
  root.end(start + durationMs);
  return root.spanContext().traceId;
}

async function internalMetrics(addresses: Addresses): Promise<string> {
  return (await fetch(`http://127.0.0.1:${addresses.COLLECTOR_TELEMETRY_PORT}/metrics`)).text();
}

/** Every span and log the file exporter wrote (one OTLP/JSON request per line). */
function fileContents(file: string): { spans: ReceivedSpan[]; logs: ReceivedLog[]; text: string } {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { spans: [], logs: [], text };
  }
  const lines = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { resourceSpans?: unknown; resourceLogs?: unknown });
  return {
    spans: lines.filter((line) => line.resourceSpans).flatMap((line) => flattenTraces(line)),
    logs: lines.filter((line) => line.resourceLogs).flatMap((line) => flattenLogs(line)),
    text,
  };
}

describe('the collector built from collector/manifest.yaml, running otel-collector.yaml', function () {
  this.timeout(120_000);

  let dir: string;
  let jaegerAddresses: Addresses;
  let jaeger: LocalProcess;

  before(async function () {
    needs(this, 'collector', 'jaeger');
    dir = mkdtempSync(path.join(tmpdir(), 'convonet-collector-'));
    jaegerAddresses = await freeAddresses();
    jaeger = await startJaeger({ PATH: process.env.PATH, ...jaegerAddresses });
  });

  after(async () => {
    await jaeger?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('checked by the collector itself', () => {
    const validate = (env: Environment) =>
      spawnSync(COLLECTOR_BINARY, ['validate', ...collectorConfigArgs(env)], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

    it('when otel-collector.yaml is validated, then the built collector accepts it', () => {
      const result = validate({});
      expect(result.status, result.stderr).to.equal(0);
    });

    it('when Sentry is configured, then otel-collector.yaml with collector/sentry.yaml is accepted', () => {
      const env = { SENTRY_OTLP_ENDPOINT: 'https://o1.ingest.sentry.io/api/2/integration/otlp', SENTRY_PUBLIC_KEY: SENTRY_KEY };
      expect(collectorConfigArgs(env).join(' ')).to.match(/collector\/sentry\.yaml$/);
      const result = validate(env);
      expect(result.status, result.stderr).to.equal(0);
    });

    it('when only one of the Sentry variables is set, then the launcher refuses, naming the other', () => {
      expect(() => collectorConfigArgs({ SENTRY_OTLP_ENDPOINT: 'https://o1.ingest.sentry.io/api/2/integration/otlp' })).to.throw(/SENTRY_PUBLIC_KEY/);
      expect(() => collectorConfigArgs({ SENTRY_PUBLIC_KEY: SENTRY_KEY })).to.throw(/SENTRY_OTLP_ENDPOINT/);
    });

    it('when its components are listed, then they are exactly the component types the configuration uses', () => {
      const listed = parse(spawnSync(COLLECTOR_BINARY, ['components'], { encoding: 'utf8' }).stdout) as Record<string, { name: string }[] | undefined>;
      const kinds = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
      const configured = [path.join(ROOT, 'otel-collector.yaml'), path.join(ROOT, 'collector/sentry.yaml')].map(
        (file) => parse(readFileSync(file, 'utf8')) as Partial<Record<(typeof kinds)[number], Record<string, unknown>>>,
      );
      for (const kind of kinds) {
        const used = new Set(configured.flatMap((config) => Object.keys(config[kind] ?? {}).map((id) => id.split('/')[0])));
        const built = new Set((listed[kind] ?? []).map((component) => component.name));
        expect([...built].sort(), kind).to.deep.equal([...used].sort());
      }
    });
  });

  describe('with Sentry, keeping every trace: the app calls through it', () => {
    let sentry: FakeSentry;
    let database: TestDatabase;
    let collector: LocalProcess;
    let addresses: Addresses;
    let file: string;
    let callSid: string;
    const leaked = {
      phone: '+14155550142',
      authToken: 'twilio-secret-0f3c9a7e',
      apiKey: 'sk-proj-abcdefghijklmnopqrstuvwx0123',
      accountSid: `AC${'7f'.repeat(16)}`,
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYWxsZXIifQ.c2lnbmF0dXJlLXRoYXQtbGVha3M',
      bearer: 'Bearer opaque-session-token-99',
    };

    before(async () => {
      sentry = await startFakeSentry();
      database = await createTestDatabase();
      ({ collector, addresses, file } = await collectorWith(jaegerAddresses, dir, { ...withSentry(sentry), TAIL_SAMPLING_PERCENT: '100' }));
      callSid = await placeCall(database, addresses.COLLECTOR_OTLP_HTTP_ENDPOINT);

      // A careless sender: secrets and a phone number where the app itself would never put them.
      const sender = otlpSender(addresses);
      const span = sender.tracer.startSpan(`call from ${leaked.phone}`, {
        attributes: {
          'caller.note': `call me back on ${leaked.phone}`,
          'twilio.auth_token': leaked.authToken,
          'http.request.header.authorization': leaked.bearer,
          'convonet.model.credential': leaked.apiKey,
          'twilio.account': leaked.accountSid,
          'convonet.session': leaked.jwt,
          'convonet.kept': 'visible',
        },
      });
      span.addEvent('transfer', { 'convonet.transfer.target': `dialling ${leaked.phone}` });
      span.end();
      sender.logger.emit({
        severityNumber: SeverityNumber.WARN,
        body: `caller ${leaked.phone} sent Authorization: ${leaked.bearer}`,
        attributes: { 'db.password': leaked.authToken, 'convonet.kept': 'visible' },
      });
      await sender.close();

      await sentry.waitFor(
        () =>
          ofCall(sentry.otlpSpans, callSid).some((span) => span.name === 'voice_call.status') &&
          sentry.otlpSpans.some((s) => s.attributes['convonet.kept'] === 'visible') &&
          sentry.otlpLogs.some((log) => log.resource['service.name'] === 'convonet') &&
          sentry.otlpLogs.some((log) => log.attributes['convonet.kept'] === 'visible'),
        30_000,
      );
    });

    after(async () => {
      await collector?.stop();
      await sentry?.close();
      await database?.drop();
    });

    it('when the app exports a call, then Sentry receives the whole call trace, with the project key', () => {
      const call = ofCall(sentry.otlpSpans, callSid);
      expect(call.map((span) => span.name)).to.include.members(['voice_call.incoming', 'voice_call.pin', 'voice_call.process_audio', 'voice_call.status']);
      expect(new Set(call.map((span) => span.traceId)).size).to.equal(1);
      const traceId = call[0]!.traceId;
      expect(sentry.otlpSpans.filter((span) => span.traceId === traceId).map((span) => span.name)).to.include('invoke_agent convonet');
      const requests = sentry.requests.filter((request) => request.path === '/api/1/integration/otlp/v1/traces');
      expect(requests).to.not.be.empty;
      for (const request of requests) expect(request.headers['x-sentry-auth']).to.equal(`sentry sentry_key=${SENTRY_KEY}`);
    });

    it("when the app logs, then Sentry receives the logs on Sentry's OTLP logs intake, with their trace", () => {
      const appLogs = sentry.otlpLogs.filter((log) => log.resource['service.name'] === 'convonet');
      // A webhook's log lines carry the trace of its HTTP span, which carries the call's sid.
      const callTraces = new Set(sentry.otlpSpans.filter((span) => span.attributes['twilio.call_sid'] === callSid).map((span) => span.traceId));
      expect(appLogs.some((log) => callTraces.has(log.traceId ?? ''))).to.equal(true);
      expect(sentry.requests.some((request) => request.path === '/api/1/integration/otlp/v1/logs')).to.equal(true);
    });

    it('when telemetry carries secrets and phone numbers, then neither Sentry nor the file receives them', async () => {
      const written = await eventually('the careless span and log in the file', async () => {
        const contents = fileContents(file);
        const arrived = contents.spans.some((s) => s.attributes['convonet.kept'] === 'visible') && contents.logs.some((l) => l.attributes['convonet.kept'] === 'visible');
        return arrived ? contents : undefined;
      });
      const toSentry = Buffer.concat(sentry.requests.map((request) => request.body)).toString('latin1');
      for (const [what, secret] of Object.entries(leaked)) {
        expect(toSentry.includes(secret), `${what} sent to Sentry`).to.equal(false);
        expect(written.text.includes(secret), `${what} written to the file`).to.equal(false);
      }
      const span = sentry.otlpSpans.find((s) => s.attributes['convonet.kept'] === 'visible')!;
      expect(span.name).to.equal('call from +***');
      expect(span.attributes).to.not.have.any.keys('twilio.auth_token', 'http.request.header.authorization');
      expect(span.attributes['caller.note']).to.not.include(leaked.phone.slice(1));
      const log = sentry.otlpLogs.find((l) => l.attributes['convonet.kept'] === 'visible')!;
      expect(log.attributes).to.not.have.property('db.password');
      expect(log.body).to.equal('caller +*** sent Authorization: Bearer ***');
    });

    it('when spans pass, then span metrics and the app metrics are on the Prometheus exporter', async () => {
      const exposition = await eventually('span metrics of the call on the Prometheus exporter', async () => {
        const text = await (await fetch(`http://${addresses.COLLECTOR_PROMETHEUS_ENDPOINT}/metrics`)).text();
        return sample(text, 'traces_span_metrics_calls_total', { span_name: 'voice_call.process_audio' }) > 0 ? text : undefined;
      });
      expect(sample(exposition, 'traces_span_metrics_duration_seconds_count', { span_name: 'execute_tool create_todo' })).to.be.greaterThan(0);
      expect(sample(exposition, 'convonet_turn_duration_seconds_count')).to.be.greaterThan(0);
      expect(sample(exposition, 'convonet_calls_total', { twilio_call_status: 'completed' })).to.be.greaterThan(0);
    });

    it('when traces and logs pass, then the file exporter has written them all, unsampled, as OTLP JSON lines', async () => {
      const written = await eventually('the call in the file', async () => {
        const contents = fileContents(file);
        return ofCall(contents.spans, callSid).some((span) => span.name === 'voice_call.status') ? contents : undefined;
      });
      const callTrace = ofCall(written.spans, callSid)[0]!.traceId;
      const inSentry = sentry.otlpSpans.filter((span) => span.traceId === callTrace).length;
      expect(written.spans.filter((span) => span.traceId === callTrace).length).to.be.at.least(inSentry);
      const callTraces = new Set(written.spans.filter((span) => span.attributes['twilio.call_sid'] === callSid).map((span) => span.traceId));
      expect(written.logs.some((log) => callTraces.has(log.traceId ?? ''))).to.equal(true);
    });

    it('when probed, then the health check, pprof and zPages answer on their own addresses', async () => {
      const health = await fetch(`http://${addresses.COLLECTOR_HEALTH_ENDPOINT}/`);
      expect(health.status).to.equal(200);
      expect(((await health.json()) as { status: string }).status).to.equal('Server available');
      expect((await fetch(`http://${addresses.COLLECTOR_PPROF_ENDPOINT}/debug/pprof/`)).status).to.equal(200);
      expect((await fetch(`http://${addresses.COLLECTOR_ZPAGES_ENDPOINT}/debug/pipelinez`)).status).to.equal(200);
    });
  });

  describe('tail sampling, keeping 50% of the rest', () => {
    let sentry: FakeSentry;
    let collector: LocalProcess;
    const sent = { failed: [] as string[], slow: [] as string[], ordinary: [] as string[] };
    let kept: Set<string>;

    before(async () => {
      sentry = await startFakeSentry();
      let addresses: Addresses;
      ({ collector, addresses } = await collectorWith(jaegerAddresses, dir, { ...withSentry(sentry), TAIL_SAMPLING_PERCENT: '50', TAIL_SAMPLING_SLOW_MS: '1000' }));
      const sender = otlpSender(addresses);
      for (let i = 0; i < 20; i++) sent.failed.push(sendTrace(sender.tracer, 'failing turn', { failed: true }));
      for (let i = 0; i < 20; i++) sent.slow.push(sendTrace(sender.tracer, 'slow turn', { durationMs: 2_000 }));
      for (let i = 0; i < 100; i++) sent.ordinary.push(sendTrace(sender.tracer, 'ordinary turn'));
      // Quick webhooks of a call seconds apart: a long trace, but nothing in it is slow.
      for (let i = 0; i < 100; i++) sent.ordinary.push(sendTrace(sender.tracer, 'ordinary call', { childAfterMs: 2_000 }));
      await sender.close();

      // Done when the collector has decided every trace and Sentry has every span it says it sent.
      const total = sent.failed.length + sent.slow.length + sent.ordinary.length;
      await eventually('every trace decided and delivered', async () => {
        const metrics = await internalMetrics(addresses);
        const decided = sample(metrics, 'otelcol_processor_tail_sampling_global_count_traces_sampled');
        const keptTraces = sample(metrics, 'otelcol_processor_tail_sampling_global_count_traces_sampled', { sampled: 'true' });
        const delivered = sample(metrics, 'otelcol_exporter_sent_spans', { exporter: 'otlp_http/sentry' });
        return decided === total && delivered === 2 * keptTraces && sentry.otlpSpans.length === delivered ? true : undefined;
      });
      kept = new Set(sentry.otlpSpans.map((span) => span.traceId));
    });

    after(async () => {
      await collector?.stop();
      await sentry?.close();
    });

    it('when a trace has an error, then it is kept, whole', () => {
      for (const traceId of sent.failed) expect(kept.has(traceId), traceId).to.equal(true);
      const spans = sentry.otlpSpans.filter((span) => sent.failed.includes(span.traceId));
      expect(spans).to.have.length(2 * sent.failed.length);
    });

    it('when a trace has an operation slower than TAIL_SAMPLING_SLOW_MS, then it is kept', () => {
      for (const traceId of sent.slow) expect(kept.has(traceId), traceId).to.equal(true);
    });

    it('when a trace is neither, even one spread over seconds, then about TAIL_SAMPLING_PERCENT of such traces are kept', () => {
      const share = sent.ordinary.filter((traceId) => kept.has(traceId)).length / sent.ordinary.length;
      // 200 traces at 50%: 0.3 and 0.7 are more than five standard deviations away.
      expect(share).to.be.within(0.3, 0.7);
    });
  });

  describe('without Sentry', () => {
    let collector: LocalProcess;
    let addresses: Addresses;
    let file: string;

    before(async () => {
      ({ collector, addresses, file } = await collectorWith(jaegerAddresses, dir, { TAIL_SAMPLING_PERCENT: '100' }));
      const sender = otlpSender(addresses);
      sendTrace(sender.tracer, 'turn without sentry');
      sender.logger.emit({ severityNumber: SeverityNumber.INFO, body: 'turn without sentry' });
      await sender.close();
      await eventually('the trace exported to Jaeger', async () =>
        sample(await internalMetrics(addresses), 'otelcol_exporter_sent_spans', { exporter: 'otlp_grpc/jaeger' }) >= 2 ? true : undefined,
      );
      await eventually('the log written to the file', async () => (fileContents(file).logs.length > 0 ? true : undefined));
    });

    after(async () => {
      await collector?.stop();
    });

    it('when SENTRY_OTLP_ENDPOINT and SENTRY_PUBLIC_KEY are unset, then it runs with no Sentry exporter and logs no failure', async () => {
      const metrics = await internalMetrics(addresses);
      expect(metrics).to.not.include('sentry');
      expect(sample(metrics, 'otelcol_exporter_send_failed_spans')).to.equal(0);
      expect(sample(metrics, 'otelcol_exporter_send_failed_log_records')).to.equal(0);
      expect(collector.output.filter((line) => /sentry|\terror\t|Exporting failed/i.test(line))).to.deep.equal([]);
    });
  });

  describe('memory limiter', () => {
    let collector: LocalProcess;
    let addresses: Addresses;

    before(async () => {
      ({ collector, addresses } = await collectorWith(jaegerAddresses, dir, { COLLECTOR_MEMORY_LIMIT_MIB: '2', COLLECTOR_MEMORY_SPIKE_LIMIT_MIB: '1' }));
    });

    after(async () => {
      await collector?.stop();
    });

    it('when the collector is over its memory limit, then it refuses data with 503 rather than growing', async () => {
      // Any collector's heap is above 2 MiB: the limiter trips at its first check, within a second.
      await collector.waitForLine(/Memory usage is above soft limit\. Refusing data/);
      const post = () =>
        fetch(`http://${addresses.COLLECTOR_OTLP_HTTP_ENDPOINT}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'over the limit' } }] }] }] }),
        });
      // The limiter logs before it flips its switch; ask again until the switch is seen.
      const response = await eventually('a refusal', async () => {
        const answer = await post();
        return answer.status === 200 ? undefined : answer;
      }, 5_000);
      expect(response.status).to.equal(503);
      expect(await response.text()).to.match(/data refused due to high memory usage/);
    });
  });
});
