// npm run bench -- [--rounds 3] [--callers 4] [--calls 4] [--turns 12] [--only off,otlp,...]
//                  [--baseline DIR] [--memory 1000] [--profile DIR] [--json FILE]
//
// What telemetry costs the app, every configuration side by side in one run: each round starts
// the app once per configuration (the order rotating from round to round, so drift on a shared
// machine spreads over all of them), places signed calls from concurrent callers, and reads the
// app process's CPU time and memory from /proc. The backends, and a proxy that counts the
// statements sent to PostgreSQL, run in a separate process.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startApp } from './app-process.ts';
import { placeCall, type Timing } from './calls.ts';
import { configurations, type Checkout, type Variant } from './configurations.ts';
import { cpuByPlace, mainThreadProfile, type CpuShare } from './cpu-profile.ts';
import { SERVER_URL, type BenchDatabase } from './database.ts';
import { measureMemory, type MemoryResult } from './memory.ts';
import type { ReceivedCounts, ReceiverMessage, ReceiverUrls } from './receivers.ts';
import { median, printComparison, printMemoryTable, printProfileTable, printTable, summarise, type RoundResult } from './report.ts';

const USAGE = `npm run bench -- [options]

Starts the app as \`npm start\` does once per telemetry configuration and round, places signed
calls (offline agent, PostgreSQL), and prints CPU per webhook, latency, memory, spans and
statements per turn, and start-up time side by side, with ratios to telemetry off.

  --rounds N      rounds; each starts every configuration once, in rotating order (default 3)
  --callers N     concurrent callers (default 4)
  --calls N       measured calls per caller per round, after one warm-up call (default 4)
  --turns N       turns per call (default 12)
  --only A,B      configurations to run (default all): off, otlp, sentry-otlp, sentry-native, blackholed, zero-code
  --baseline DIR  also run every configuration from another checkout (a worktree of main, say),
                  interleaved with this one, and compare the two
  --memory N      then, per configuration, memory after N calls of two turns (after N/5 to warm
                  up), the app collecting garbage before each reading
  --profile DIR   write a V8 CPU profile of every app process under DIR and print where the CPU
                  went; profiling slows the app, so compare its figures with each other only
  --json FILE     where to write the results (default bench/results/latest.json)

Needs PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the test default
(npm run db:up). A fresh database is made and dropped for every app start.`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    callers: { type: 'string', default: '4' },
    calls: { type: 'string', default: '4' },
    turns: { type: 'string', default: '12' },
    memory: { type: 'string', default: '0' },
    only: { type: 'string' },
    baseline: { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'string', default: 'bench/results/latest.json' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const counts = Object.fromEntries(
  (['rounds', 'callers', 'calls', 'turns', 'memory'] as const).map((name) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < (name === 'memory' ? 0 : 1)) {
      console.error(`bench: --${name} must be a whole number of at least ${name === 'memory' ? 0 : 1} (got ${values[name]})`);
      process.exit(2);
    }
    return [name, value];
  }),
) as Record<'rounds' | 'callers' | 'calls' | 'turns' | 'memory', number>;

const TWILIO_TOKEN = 'bench-twilio-token-7d1e0c55a9b24f3e';

const here: Checkout = {
  name: 'this',
  root: fileURLToPath(new URL('../', import.meta.url)),
  createDatabase: (callers) => import('./database.ts').then((module) => module.createBenchDatabase(callers)),
};
const checkouts = [here];
if (values.baseline) {
  const root = resolve(values.baseline);
  // Its own migrations and seed: the schema may differ between the two.
  const module = (await import(pathToFileURL(join(root, 'bench/database.ts')).href)) as typeof import('./database.ts');
  checkouts.push({ name: 'baseline', root, createDatabase: (callers) => module.createBenchDatabase(callers) });
}

const receivers = fork(new URL('./receivers.ts', import.meta.url), [SERVER_URL], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
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
const variants: Variant[] = chosen.flatMap((configuration) =>
  checkouts.map((checkout) => ({ name: checkout.name === 'this' ? configuration.name : `${configuration.name}@baseline`, checkout, configuration })),
);

async function received(): Promise<ReceivedCounts> {
  receivers.send({ type: 'count' });
  const [message] = (await once(receivers, 'message')) as [ReceiverMessage];
  if (message.type !== 'count') throw new Error('bench: unexpected message from receivers');
  return message;
}

/** The app's DATABASE_URL: the bench database, through the counting proxy. */
function throughProxy(url: string): string {
  const proxied = new URL(url);
  proxied.host = urls.postgres;
  return proxied.href;
}

function appEnv(database: BenchDatabase): Record<string, string> {
  return { DATABASE_URL: throughProxy(database.url), TWILIO_AUTH_TOKEN: TWILIO_TOKEN, NODE_ENV: 'development', LOG_LEVEL: 'info' };
}

async function measure(variant: Variant, round: number): Promise<RoundResult> {
  const database = await variant.checkout.createDatabase(counts.callers);
  const profileDir = values.profile ? join(values.profile, `${variant.name}-${round}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  try {
    await received(); // whatever the previous app flushed late is not this one's
    const app = await startApp(variant.configuration, {
      root: variant.checkout.root,
      env: appEnv(database),
      nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    try {
      const target = { url: app.url, authToken: TWILIO_TOKEN };
      // One call per caller first: JIT, pool and caches warm, not measured.
      await Promise.all(database.callers.map((caller) => placeCall(target, caller, counts.turns, () => {})));
      const warmUp = await received();

      const timings: Timing[] = [];
      const cpuBefore = app.cpuMs();
      const window = { fromUs: monotonicUs(), toUs: 0 };
      await Promise.all(
        database.callers.map(async (caller) => {
          for (let call = 0; call < counts.calls; call++) {
            await placeCall(target, caller, counts.turns, (timing) => timings.push(timing));
          }
        }),
      );
      const cpuMs = app.cpuMs() - cpuBefore;
      window.toUs = monotonicUs();
      const residentMb = app.residentMb();
      const measured = await received();
      const code = await app.stop(); // flushes: every span of the run has been sent when it exits
      if (code !== 0) throw new Error(`${variant.name}: app exited ${code}`);
      const flushed = await received();

      const spans = (counts: ReceivedCounts) =>
        variant.configuration.spansFrom === 'otlp' ? counts.otlpSpans : variant.configuration.spansFrom === 'sentry' ? counts.sentrySpans : 0;
      const turnsPlaced = counts.callers * (counts.calls + 1) * counts.turns;
      const turnsMeasured = counts.callers * counts.calls * counts.turns;
      process.stderr.write(`round ${round} ${variant.name}: ${(cpuMs / timings.length).toFixed(2)} ms CPU per webhook\n`);
      return {
        variant: variant.name,
        round,
        cpuMs,
        webhooks: timings.length,
        timings,
        residentMb,
        startupMs: app.startupMs,
        spansPerTurn: variant.configuration.spansFrom === 'none' ? null : (spans(warmUp) + spans(measured) + spans(flushed)) / turnsPlaced,
        statementsPerTurn: measured.statements / turnsMeasured,
        profile: profileDir ? { dir: profileDir, window } : undefined,
      };
    } finally {
      await app.stop();
    }
  } finally {
    await database.drop();
  }
}

/** CLOCK_MONOTONIC in µs: what V8 stamps profile samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
  loadBefore: loadavg()[0]!,
};

const results: RoundResult[] = [];
const loads: number[] = [];
for (let round = 1; round <= counts.rounds; round++) {
  // Rotate the order each round, so no configuration always runs first or last.
  const offset = (round - 1) % variants.length;
  for (const variant of [...variants.slice(offset), ...variants.slice(0, offset)]) {
    results.push(await measure(variant, round));
    loads.push(loadavg()[0]!);
  }
}

const memory: MemoryResult[] = [];
for (const variant of counts.memory > 0 ? variants : []) {
  process.stderr.write(`memory ${variant.name}: ${counts.memory} calls...\n`);
  const database = await variant.checkout.createDatabase(counts.callers);
  try {
    memory.push(await measureMemory(variant, { calls: counts.memory, env: appEnv(database), authToken: TWILIO_TOKEN, callers: database.callers }));
  } finally {
    await database.drop();
  }
}
receivers.disconnect();

const run = { ...counts, machine: { ...machine, loadDuring: median(loads) } };
const tables = checkouts.map((checkout) => ({
  checkout: checkout.name,
  summary: summarise(
    variants.filter((variant) => variant.checkout === checkout),
    results,
  ),
}));
for (const { checkout, summary } of tables) printTable(run, summary, checkouts.length > 1 ? checkout : undefined);
if (tables.length > 1) printComparison(tables[0]!.summary, tables[1]!.summary);
const profiles = values.profile ? cpuByVariant() : undefined;
if (profiles) printProfileTable(variants, profiles);
if (memory.length > 0) printMemoryTable(counts.memory, memory);

mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(
  values.json,
  `${JSON.stringify(
    {
      run,
      tables,
      memory,
      profiles: profiles && Object.fromEntries(profiles),
      runs: results.map(({ timings, ...rest }) => ({ ...rest, timings: timings.length })),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwritten to ${values.json}`);

/** Per variant, each place's self time per webhook during the measured calls, median of rounds. */
function cpuByVariant(): Map<string, CpuShare[]> {
  const byVariant = new Map<string, CpuShare[]>();
  for (const variant of variants) {
    const rounds = results
      .filter((result) => result.variant === variant.name && result.profile)
      .map((result) => ({ webhooks: result.webhooks, ...cpuByPlace(mainThreadProfile(result.profile!.dir), result.profile!.window) }));
    const places = new Set(rounds.flatMap((round) => round.places.map((place) => place.where)));
    const perWebhook = (round: (typeof rounds)[number], where: string, key: 'selfMs' | 'inclusiveMs') =>
      (round.places.find((place) => place.where === where)?.[key] ?? 0) / round.webhooks;
    byVariant.set(
      variant.name,
      [...places].map((where) => ({
        where,
        selfMs: median(rounds.map((round) => perWebhook(round, where, 'selfMs'))),
        inclusiveMs: median(rounds.map((round) => perWebhook(round, where, 'inclusiveMs'))),
      })),
    );
  }
  return byVariant;
}
