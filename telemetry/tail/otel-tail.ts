// `npm run otel:tail`: a terminal trace viewer. Point the app at it with
// OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 and every trace prints as a tree once it goes
// quiet; metrics print as one summary line per export, logs one line each.
//
//   npm run otel:tail -- [--port 4318] [--host 127.0.0.1] [--quiet-ms 500] [--no-color]
import { parseArgs } from 'node:util';
import { startOtlpReceiver } from './otlp-receiver.ts';
import type { ReceivedBatch, ReceivedLog, ReceivedMetric, ReceivedSpan } from './otlp-receiver.ts';
import { renderTraceTree } from './trace-tree.ts';

const USAGE = `Prints each trace the app exports as a tree, and metrics and logs as lines.

  npm run otel:tail -- [--port 4318] [--host 127.0.0.1] [--quiet-ms 500] [--no-color]

Then start the app with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318.`;

function usageError(message: string): never {
  process.stderr.write(`${message}: see npm run otel:tail -- --help\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '4318' },
      'quiet-ms': { type: 'string', default: '500' },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  usageError((error as Error).message.split('. ')[0] ?? 'invalid arguments');
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const port = Number(values.port);
const quietMs = Number(values['quiet-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`--port must be a TCP port, got ${values.port}`);
if (!Number.isFinite(quietMs) || quietMs < 0) usageError(`--quiet-ms must be a number of milliseconds, got ${values['quiet-ms']}`);
// https://no-color.org: NO_COLOR set to anything turns colour off.
const color = process.stdout.isTTY === true && !values['no-color'] && process.env['NO_COLOR'] === undefined;

const DIM = color ? '\u001b[2m' : '';
const RED = color ? '\u001b[31m' : '';
const RESET = color ? '\u001b[0m' : '';

// Spans of one trace arrive in several exports (each service, each batch); print a trace once no
// span of it has arrived for quietMs, so it shows whole rather than in pieces.
const pending = new Map<string, { spans: ReceivedSpan[]; timer: NodeJS.Timeout }>();

function flushTrace(traceId: string): void {
  const entry = pending.get(traceId);
  if (!entry) return;
  pending.delete(traceId);
  process.stdout.write(`${renderTraceTree(entry.spans, { color })}\n\n`);
}

function onSpans(spans: ReceivedSpan[]): void {
  for (const span of spans) {
    const entry = pending.get(span.traceId);
    if (entry) {
      entry.spans.push(span);
      entry.timer.refresh();
    } else {
      pending.set(span.traceId, { spans: [span], timer: setTimeout(() => flushTrace(span.traceId), quietMs) });
    }
  }
}

function onMetrics(metrics: ReceivedMetric[]): void {
  if (metrics.length === 0) return;
  const names = metrics.map((metric) => `${metric.name} (${metric.type}, ${metric.dataPoints.length} pt)`);
  process.stdout.write(`${DIM}metrics  ${names.join(', ')}${RESET}\n`);
}

function formatBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

function onLog(log: ReceivedLog): void {
  const time = new Date(Number(BigInt(log.timeUnixNano === '0' ? (log.observedTimeUnixNano ?? '0') : log.timeUnixNano) / 1_000_000n));
  // Severity numbers 17 and up are ERROR and FATAL.
  const highlight = log.severityNumber >= 17 ? RED : '';
  const trace = log.traceId ? `  ${DIM}trace=${log.traceId.slice(0, 8)}${RESET}` : '';
  process.stdout.write(
    `${DIM}${time.toISOString()}${RESET} ${highlight}${(log.severityText || String(log.severityNumber)).padEnd(5)} ${formatBody(log.body)}${highlight ? RESET : ''}${trace}\n`,
  );
}

function onBatch(batch: ReceivedBatch): void {
  onSpans(batch.spans);
  onMetrics(batch.metrics);
  batch.logs.forEach(onLog);
}

const receiver = await startOtlpReceiver({ host: values.host, port }).catch((error: NodeJS.ErrnoException) => {
  // The commonest cause: a collector (npm run stack, docker compose) already holds 4318.
  if (error.code !== 'EADDRINUSE') throw error;
  process.stderr.write(`port ${port} on ${values.host} is already in use (a collector, or another otel:tail?): stop it, or pass --port\n`);
  process.exit(1);
});
receiver.subscribe((batch) => {
  onBatch(batch);
  // The viewer streams; nothing needs the history, so keep memory flat on long sessions.
  receiver.reset();
});
process.stderr.write(
  `otel:tail listening on ${receiver.url} (/v1/traces, /v1/metrics, /v1/logs; JSON or protobuf)\n` +
    `point the app at it: OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url}\n\n`,
);

async function stop(): Promise<void> {
  for (const traceId of [...pending.keys()]) {
    clearTimeout(pending.get(traceId)?.timer);
    flushTrace(traceId);
  }
  await receiver.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
