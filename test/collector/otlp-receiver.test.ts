import { expect } from 'chai';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startOtlpReceiver } from '../../telemetry/tail/otlp-receiver.ts';
import type { OtlpReceiver, ReceivedSpan } from '../../telemetry/tail/otlp-receiver.ts';
import { renderTraceTree } from '../../telemetry/tail/trace-tree.ts';

const resource = resourceFromAttributes({ 'service.name': 'convonet-test', 'deployment.environment.name': 'test' });

interface Encoding {
  name: string;
  contentType: string;
  contentEncoding: string | undefined;
  traceExporter(url: string): SpanExporter;
  metricExporter(url: string): PushMetricExporter;
  logExporter(url: string): LogRecordExporter;
}

const encodings: Encoding[] = [
  {
    name: 'JSON',
    contentType: 'application/json',
    contentEncoding: undefined,
    traceExporter: (url) => new OTLPTraceExporterJson({ url: `${url}/v1/traces` }),
    metricExporter: (url) => new OTLPMetricExporterJson({ url: `${url}/v1/metrics` }),
    logExporter: (url) => new OTLPLogExporterJson({ url: `${url}/v1/logs` }),
  },
  {
    name: 'protobuf, gzip',
    contentType: 'application/x-protobuf',
    contentEncoding: 'gzip',
    traceExporter: (url) => new OTLPTraceExporterProto({ url: `${url}/v1/traces`, compression: CompressionAlgorithm.GZIP }),
    metricExporter: (url) => new OTLPMetricExporterProto({ url: `${url}/v1/metrics`, compression: CompressionAlgorithm.GZIP }),
    logExporter: (url) => new OTLPLogExporterProto({ url: `${url}/v1/logs`, compression: CompressionAlgorithm.GZIP }),
  },
];

/** A small turn: a server span, an agent span under it, and a failing tool span under that. */
async function sendTurnTrace(exporter: SpanExporter): Promise<void> {
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('convonet.voice', '1.2.3');

  const server = tracer.startSpan('POST /voice/turn', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/voice/turn', 'http.response.status_code': 200, 'convonet.turn.number': 3 },
  });
  const agentContext = trace.setSpan(context.active(), server);
  const agent = tracer.startSpan('agent.turn', { attributes: { 'convonet.turn.outcome': 'completed' } }, agentContext);
  const tool = tracer.startSpan(
    'execute_tool add_todo',
    { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.tool.name': 'add_todo', 'convonet.tool.ok': false, 'convonet.tags': ['a', 'b'] } },
    trace.setSpan(agentContext, agent),
  );
  tool.addEvent('retry', { 'convonet.attempt': 2 });
  tool.recordException(new TypeError('db down'));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
  tool.setAttribute('error.type', 'TypeError');
  tool.end();
  agent.end();
  server.end();

  await provider.forceFlush();
  await provider.shutdown();
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no span named ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe('OTLP receiver', () => {
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await startOtlpReceiver({ port: 0 });
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('when started on port 0, then it reports a loopback base URL with the chosen port', () => {
    expect(receiver.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(receiver.url).not.to.match(/:0$/);
  });

  for (const encoding of encodings) {
    describe(`over ${encoding.name}`, () => {
      it('when spans are exported, then ids, parents, attributes, status and events are decoded', async () => {
        await sendTurnTrace(encoding.traceExporter(receiver.url));
        await receiver.waitFor(() => receiver.spans.length >= 3);

        const server = byName(receiver.spans, 'POST /voice/turn');
        const agent = byName(receiver.spans, 'agent.turn');
        const tool = byName(receiver.spans, 'execute_tool add_todo');

        expect(server.traceId).to.match(/^[0-9a-f]{32}$/);
        expect(server.spanId).to.match(/^[0-9a-f]{16}$/);
        expect(agent.traceId).to.equal(server.traceId);
        expect(tool.traceId).to.equal(server.traceId);
        expect(server.parentSpanId).to.equal(undefined);
        expect(agent.parentSpanId).to.equal(server.spanId);
        expect(tool.parentSpanId).to.equal(agent.spanId);

        expect(server.kind).to.equal(2);
        expect(server.attributes).to.deep.include({
          'http.route': '/voice/turn',
          'http.response.status_code': 200,
          'convonet.turn.number': 3,
        });
        expect(tool.attributes).to.deep.include({ 'convonet.tool.ok': false, 'convonet.tags': ['a', 'b'], 'error.type': 'TypeError' });
        expect(server.status).to.deep.equal({ code: 0 });
        expect(tool.status).to.deep.equal({ code: 2, message: 'db down' });

        expect(tool.events.map((event) => event.name)).to.deep.equal(['retry', 'exception']);
        expect(tool.events[0]?.attributes).to.deep.equal({ 'convonet.attempt': 2 });
        expect(tool.events[1]?.attributes).to.include({ 'exception.type': 'TypeError', 'exception.message': 'db down' });
        expect(BigInt(tool.events[0]?.timeUnixNano ?? '0') > 0n).to.equal(true);

        expect(server.resource).to.include({ 'service.name': 'convonet-test' });
        expect(server.scope).to.deep.equal({ name: 'convonet.voice', version: '1.2.3' });
        expect(BigInt(server.endTimeUnixNano) >= BigInt(server.startTimeUnixNano)).to.equal(true);
        expect(server.durationMs).to.be.at.least(0);

        const requests = receiver.requests.filter((candidate) => candidate.path === '/v1/traces');
        expect(requests.map((request) => request.contentType)).to.include(encoding.contentType);
        expect(requests.map((request) => request.headers['content-encoding'])).to.include(encoding.contentEncoding);
        // Bodies are kept decompressed, so a test can scan them for secrets.
        expect(requests.some((request) => request.body.includes(Buffer.from('agent.turn')))).to.equal(true);
      });

      it('when metrics are exported, then sums and histograms are decoded with their points', async () => {
        const reader = new PeriodicExportingMetricReader({
          exporter: encoding.metricExporter(receiver.url),
          exportIntervalMillis: 60_000,
        });
        const provider = new MeterProvider({ resource, readers: [reader] });
        const meter = provider.getMeter('convonet.agent');
        meter.createCounter('convonet.thread.resets').add(2, { 'convonet.thread.reset_reason': 'corrupt_history' });
        const turns = meter.createHistogram('convonet.turn.duration', { unit: 's', description: 'Whole turn' });
        turns.record(0.4, { 'convonet.turn.outcome': 'completed' });
        turns.record(12, { 'convonet.turn.outcome': 'completed' });

        await provider.forceFlush();
        await receiver.waitFor(() => receiver.metrics.some((metric) => metric.name === 'convonet.turn.duration'));
        await provider.shutdown();

        const resets = receiver.metrics.find((metric) => metric.name === 'convonet.thread.resets');
        expect(resets?.type).to.equal('sum');
        expect(resets?.dataPoints).to.have.length(1);
        expect(resets?.dataPoints[0]).to.deep.include({ value: 2, attributes: { 'convonet.thread.reset_reason': 'corrupt_history' } });

        const duration = receiver.metrics.find((metric) => metric.name === 'convonet.turn.duration');
        expect(duration).to.deep.include({ type: 'histogram', unit: 's', description: 'Whole turn' });
        const point = duration?.dataPoints[0];
        expect(point).to.deep.include({ count: 2, sum: 12.4, min: 0.4, max: 12 });
        expect(point?.bucketCounts?.reduce((total, count) => total + count, 0)).to.equal(2);
        expect(point?.explicitBounds?.length).to.equal((point?.bucketCounts?.length ?? 0) - 1);
        expect(duration?.scope.name).to.equal('convonet.agent');
      });

      it('when logs are exported, then severity, body, attributes and trace context are decoded', async () => {
        const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: encoding.logExporter(receiver.url) })] });
        const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        const spanId = '00f067aa0ba902b7';
        const spanContext = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: 1 });
        provider.getLogger('convonet.voice').emit({
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          body: 'pin rejected',
          attributes: { 'convonet.pin.attempt': 2 },
          context: spanContext,
        });

        await provider.forceFlush();
        await receiver.waitFor(() => receiver.logs.length >= 1);
        await provider.shutdown();

        expect(receiver.logs[0]).to.deep.include({
          severityText: 'WARN',
          severityNumber: SeverityNumber.WARN,
          body: 'pin rejected',
          attributes: { 'convonet.pin.attempt': 2 },
          traceId,
          spanId,
        });
        expect(receiver.logs[0]?.resource).to.include({ 'service.name': 'convonet-test' });
      });
    });
  }

  it('when a protobuf request is exported, then the reply is an empty protobuf response', async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(0),
    });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/x-protobuf');
    expect((await response.arrayBuffer()).byteLength).to.equal(0);
  });

  it('when a JSON request is exported, then the reply is an empty JSON response', async () => {
    const response = await fetch(`${receiver.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [] }),
    });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({});
  });

  it('when the body is not OTLP, then it answers 400 and records nothing', async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).to.equal(400);
    expect(receiver.requests).to.have.length(0);
  });

  it('when an unknown path is posted, then it answers 404', async () => {
    const response = await fetch(`${receiver.url}/v1/profiles`, { method: 'POST', body: '' });
    expect(response.status).to.equal(404);
  });

  it('when waitFor is not satisfied in time, then it rejects saying what arrived', async () => {
    let message = '';
    await receiver.waitFor(() => receiver.spans.length > 0, 50).catch((error: unknown) => {
      message = error instanceof Error ? error.message : String(error);
    });
    expect(message).to.match(/received 0 spans/);
  });

  it('when reset, then the collections are emptied in place', async () => {
    await sendTurnTrace(encodings[0]!.traceExporter(receiver.url));
    await receiver.waitFor(() => receiver.spans.length >= 3);
    const spans = receiver.spans;
    receiver.reset();
    expect(spans).to.have.length(0);
    expect(receiver.requests).to.have.length(0);
  });

  it('when a received trace is rendered, then children are indented under parents and errors are marked', async () => {
    await sendTurnTrace(encodings[1]!.traceExporter(receiver.url));
    await receiver.waitFor(() => receiver.spans.length >= 3);

    const lines = renderTraceTree(receiver.spans).split('\n');

    expect(lines[0]).to.match(/^trace [0-9a-f]{32} {2}3 spans {2}.* {2}1 error$/);
    expect(lines[1]).to.match(/^└─ POST \/voice\/turn {2}[\d.]+ (ms|µs|s) {2}server {2}http\.route=\/voice\/turn/);
    expect(lines[2]).to.match(/^ {3}└─ agent\.turn {2}.*convonet\.turn\.outcome=completed/);
    expect(lines[3]).to.match(/^ {6}└─ ✗ execute_tool add_todo {2}.* {2}ERROR: db down {2}.*gen_ai\.tool\.name=add_todo/);
    expect(lines[4]).to.equal('         exception TypeError: db down');
    expect(lines).to.have.length(5);
  });

  it('when rendered with colour, then only the error lines are red', async () => {
    await sendTurnTrace(encodings[0]!.traceExporter(receiver.url));
    await receiver.waitFor(() => receiver.spans.length >= 3);

    const lines = renderTraceTree(receiver.spans, { color: true }).split('\n');
    const red = lines.filter((line) => line.includes('\u001b[31m'));

    expect(red.some((line) => line.includes('execute_tool add_todo'))).to.equal(true);
    expect(red.some((line) => line.includes('agent.turn'))).to.equal(false);
  });
});
