// npm run bench -- [--rounds 3] [--callers 4] [--calls 4] [--turns 12] [--only off,otlp,...] [--json FILE]
//
// What telemetry costs the app, every configuration side by side in one run: each round starts
// the app once per configuration (the order rotating from round to round, so drift on a shared
// machine spreads over all of them), places signed calls from concurrent callers, and reads the
// app process's CPU time and memory from /proc. The backends run in a separate process.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp } from './app-process.ts';
import { placeCall, type Timing } from './calls.ts';
import { configurations, type Configuration } from './configurations.ts';
import { createBenchDatabase } from './database.ts';
import type { ReceivedCounts, ReceiverMessage, ReceiverUrls } from './receivers.ts';
import { summarise, printTable, type RoundResult } from './report.ts';

const USAGE = `npm run bench -- [options]

Starts the app as \`npm start\` does once per telemetry configuration and round, places signed
calls (offline agent, PostgreSQL), and prints CPU per webhook, latency, memory, spans per turn
and start-up time side by side, with ratios to telemetry off.

  --rounds N     rounds; each starts every configuration once, in rotating order (default 3)
  --callers N    concurrent callers (default 4)
  --calls N      measured calls per caller per round, after one warm-up call (default 4)
  --turns N      turns per call (default 12)
  --only A,B     configurations to run (default all): off, otlp, sentry-otlp, sentry-native, blackholed, zero-code
  --json FILE    where to write the results (default bench/results/latest.json)

Needs PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the test default
(npm run db:up). A fresh database is made and dropped for every app start.`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    callers: { type: 'string', default: '4' },
    calls: { type: 'string', default: '4' },
    turns: { type: 'string', default: '12' },
    only: { type: 'string' },
    json: { type: 'string', default: 'bench/results/latest.json' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const counts = Object.fromEntries(
  (['rounds', 'callers', 'calls', 'turns'] as const).map((name) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`bench: --${name} must be a whole number of at least 1 (got ${values[name]})`);
      process.exit(2);
    }
    return [name, value];
  }),
) as Record<'rounds' | 'callers' | 'calls' | 'turns', number>;

const TWILIO_TOKEN = 'bench-twilio-token-7d1e0c55a9b24f3e';

const receivers = fork(new URL('./receivers.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
const [ready] = (await once(receivers, 'message')) as [ReceiverMessage];
if (ready.type !== 'ready') throw new Error('bench: receivers did not start');
const urls: ReceiverUrls = ready;

let chosen = configurations(urls);
if (values.only) {
  const names = values.only.split(',');
  const unknown = names.filter((name) => !chosen.some((configuration) => configuration.name === name));
  if (unknown.length > 0) {
    console.error(`bench: unknown configuration ${unknown.join(', ')}; choose from ${chosen.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  chosen = chosen.filter((configuration) => names.includes(configuration.name));
}

async function receivedSinceLastAsked(): Promise<ReceivedCounts> {
  receivers.send({ type: 'count' });
  const [message] = (await once(receivers, 'message')) as [ReceiverMessage];
  if (message.type !== 'count') throw new Error('bench: unexpected message from receivers');
  return message;
}

async function measure(configuration: Configuration, round: number): Promise<RoundResult> {
  const database = await createBenchDatabase(counts.callers);
  try {
    await receivedSinceLastAsked(); // whatever the previous app flushed late is not this one's
    const app = await startApp(configuration, {
      DATABASE_URL: database.url,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    });
    const target = { url: app.url, authToken: TWILIO_TOKEN };
    // One call per caller first: JIT, pool and caches warm, not measured.
    await Promise.all(database.callers.map((caller) => placeCall(target, caller, counts.turns, () => {})));

    const timings: Timing[] = [];
    const cpuBefore = app.cpuMs();
    await Promise.all(
      database.callers.map(async (caller) => {
        for (let call = 0; call < counts.calls; call++) {
          await placeCall(target, caller, counts.turns, (timing) => timings.push(timing));
        }
      }),
    );
    const cpuMs = app.cpuMs() - cpuBefore;
    const residentMb = app.residentMb();
    const code = await app.stop(); // flushes: every span of the run has been sent when it exits
    if (code !== 0) throw new Error(`${configuration.name}: app exited ${code}`);
    const received = await receivedSinceLastAsked();
    const spans = configuration.spansFrom === 'otlp' ? received.otlpSpans : configuration.spansFrom === 'sentry' ? received.sentrySpans : null;
    const turnsPlaced = counts.callers * (counts.calls + 1) * counts.turns;
    process.stderr.write(`round ${round} ${configuration.label}: ${(cpuMs / timings.length).toFixed(2)} ms CPU per webhook\n`);
    return {
      configuration: configuration.name,
      round,
      cpuMs,
      webhooks: timings.length,
      timings,
      residentMb,
      startupMs: app.startupMs,
      spansPerTurn: spans === null ? null : spans / turnsPlaced,
    };
  } finally {
    await database.drop();
  }
}

const results: RoundResult[] = [];
for (let round = 1; round <= counts.rounds; round++) {
  // Rotate the order each round, so no configuration always runs first or last.
  const offset = (round - 1) % chosen.length;
  for (const configuration of [...chosen.slice(offset), ...chosen.slice(0, offset)]) {
    results.push(await measure(configuration, round));
  }
}
receivers.disconnect();

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
const summary = summarise(chosen, results);
printTable({ ...counts, machine }, summary);
mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(
  values.json,
  `${JSON.stringify({ machine, ...counts, summary, runs: results.map(({ timings, ...rest }) => ({ ...rest, timings: timings.length })) }, null, 2)}\n`,
);
console.log(`\nwritten to ${values.json}`);
