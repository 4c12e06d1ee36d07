// Resident memory of the app while every telemetry backend (Sentry and an OTLP endpoint) accepts
// connections and never answers, over many calls. RSS is sampled every half second after a
// warm-up; it swings by tens of MB with garbage collection, so the growth is the median of the
// last tenth of the run against the median of the first tenth, with the peak beside them.
//
//   npx tsx bench/outage-memory.ts [--calls 1000] [--callers 4] [--backends sentry,otlp|sentry|otlp|none]
import { readFileSync } from 'node:fs';
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

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

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
});

let started = 0;
let finished = 0;
const samples: number[] = [];
let sampling: NodeJS.Timeout | undefined;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
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
  sampling = setInterval(() => samples.push(rssMb(app.pid)), 500);
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: callers }, () => caller(warmup + calls)));
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const first = median(samples.slice(0, tenth));
  const last = median(samples.slice(-tenth));
  const outages = app.stderr.filter((line) => /export failing/.test(line));
  console.log(`calls after warm-up   ${calls} (${callers} callers, ${((Date.now() - startedAt) / 1000).toFixed(0)} s), backends ${values.backends}, never answering`);
  console.log(`rss, first tenth      ${first.toFixed(1)} MB (median of ${tenth} samples, after ${warmup} warm-up calls)`);
  console.log(`rss, last tenth       ${last.toFixed(1)} MB (median, after ${finished} calls; peak ${Math.max(...samples).toFixed(1)} MB)`);
  console.log(`growth                ${(last - first).toFixed(1)} MB`);
  console.log(`outages reported      ${outages.map((line) => line.replace(/^telemetry: (.*) export failing.*$/, '$1')).join('; ')}`);
} finally {
  clearInterval(sampling);
  await app.stop('SIGTERM');
  await hole.close();
  // An autovacuum worker may still hold the database a moment after the app has gone.
  await database.drop().catch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await database.drop();
  });
}
