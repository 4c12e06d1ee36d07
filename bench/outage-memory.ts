// Memory of the app while every telemetry backend (Sentry and an OTLP endpoint) accepts
// connections and never answers, over many calls: after a warm-up and at the end, the app
// collects garbage and reports its heap and resident size (bench/fixtures/app-with-memory-probe.ts),
// so the growth is what stays, not what the next collection would free.
//
//   npx tsx bench/outage-memory.ts [--calls 1000] [--callers 4] [--warmup 200] [--backends sentry,otlp|sentry|otlp|none]
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { seedDemo } from '../src/db/seed.ts';
import { playCall } from '../src/simulator/call.ts';
import { startBlackHole } from '../test/support/black-hole.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { spawnApp, TWILIO_TOKEN } from '../test/telemetry/spawned-app.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    callers: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '200' },
    // `none`: telemetry off, the baseline the growth compares with.
    backends: { type: 'string', default: 'sentry,otlp' },
  },
});
const calls = Number(values.calls);
const callers = Number(values.callers);
const warmup = Number(values.warmup);
const UTTERANCES = ['add a todo to buy oat milk', 'what are my todos'];

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const database = await createTestDatabase();
const hole = await startBlackHole();
const { phone, pin } = await seedDemo(database.db, {});
// Production batching, not the tests' short delays; every backend is the black hole.
const app = await spawnApp({
  DATABASE_URL: database.url,
  SENTRY_DSN: `http://publickey@${new URL(hole.url).host}/1`,
  OTEL_EXPORTER_OTLP_ENDPOINT: hole.url,
  OTEL_TRACES_EXPORTER: values.backends,
  OTEL_BSP_SCHEDULE_DELAY: '5000',
  OTEL_BLRP_SCHEDULE_DELAY: '1000',
  OTEL_METRIC_EXPORT_INTERVAL: '60000',
  NODE_OPTIONS: '--expose-gc',
}, 'bench/fixtures/app-with-memory-probe.ts');

/** Asks the app to collect garbage and report its memory. */
async function probe(): Promise<Memory> {
  const seen = app.stderr.length;
  process.kill(app.pid, 'SIGUSR2');
  for (;;) {
    const line = app.stderr.slice(seen).find((candidate) => candidate.startsWith('memory '));
    if (line) return JSON.parse(line.slice('memory '.length)) as Memory;
    await delay(100);
  }
}

let started = 0;
let finished = 0;
async function caller(until: number): Promise<void> {
  while (started < until) {
    started++;
    const exchanges = await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin, utterances: UTTERANCES });
    if (exchanges.some((exchange) => exchange.status >= 300)) throw new Error(`a webhook failed: ${exchanges.map((e) => e.status).join(',')}`);
    finished++;
  }
}

try {
  await Promise.all(Array.from({ length: callers }, () => caller(warmup)));
  const before = await probe();
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: callers }, () => caller(warmup + calls)));
  const after = await probe();
  const outages = app.stderr.filter((line) => /export failing/.test(line));
  console.log(`${calls} calls after ${warmup} to warm up, ${callers} callers, ${((Date.now() - startedAt) / 1000).toFixed(0)} s; backends: ${values.backends}, never answering`);
  console.log(`                 after warm-up   after ${finished} calls   growth`);
  for (const key of ['heapUsed', 'external', 'rss'] as const) {
    console.log(`${key.padEnd(16)} ${mb(before[key]).padStart(13)}   ${mb(after[key]).padStart(16)}   ${mb(after[key] - before[key]).padStart(8)}`);
  }
  console.log(`outages reported: ${outages.map((line) => line.replace(/^telemetry: (.*) export failing.*$/, '$1')).join('; ') || 'none'}`);
} finally {
  await app.stop('SIGTERM');
  await hole.close();
  // An autovacuum worker may still hold the database a moment after the app has gone.
  await database.drop().catch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await database.drop();
  });
}
