// npm run bench -- [--rounds 3] [--calls 4] [--warmup 3] [--callers 4] [--turns 12] [--only off,otlp,...]
//                  [--baseline DIR] [--memory 1000] [--profile DIR] [--env NAME=VALUE] [--json FILE]
//
// What telemetry costs the app, every configuration side by side in one run: each round starts
// the app once per configuration and keeps them all running, then places signed calls slice by
// slice, one app after another in rotating order (bench/session.ts), reading each app process's
// CPU time and memory from /proc. The backends, and a proxy that counts the statements sent to
// PostgreSQL, run in a separate process (bench/receivers.ts).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIGURATIONS, type Checkout, type Variant } from './configurations.ts';
import { cpuByPlace, mainThreadProfile, type CpuShare } from './cpu-profile.ts';
import { SERVER_URL } from './database.ts';
import { measureMemory, type MemoryResult } from './memory.ts';
import type { Backends, ReceivedCounts, ReceiverMessage, ReceiverRequest } from './receivers.ts';
import { median, printComparison, printMemoryTable, printProfileTable, printTable, summarise, type RoundResult } from './report.ts';
import { appEnvironment, runSession, type Receivers } from './session.ts';

const USAGE = `npm run bench -- [options]

Starts the app as \`npm start\` does once per telemetry configuration, keeps them all running,
places signed calls (offline agent, PostgreSQL) to one app after another, and prints CPU per
webhook, latency, memory, spans and statements per turn, and start-up time side by side, with
ratios to telemetry off.

  --rounds N      rounds; each starts every configuration's app afresh (default 3)
  --calls N       measured calls per caller, configuration and round, each in its own slice (default 4)
  --warmup N      calls per caller and configuration before measuring, while the JIT compiler
                  is still at work (default 3)
  --callers N     concurrent callers (default 4)
  --turns N       turns per call (default 12)
  --only A,B      configurations to run (default all): ${CONFIGURATIONS.map((configuration) => configuration.name).join(', ')}
  --baseline DIR  also run every configuration from another checkout (a worktree of main, say),
                  its rounds alternating with this one's, and compare the two
  --memory N      then, per configuration, memory after N calls of two turns (after N/5 to warm
                  up), the app collecting garbage before each reading
  --env NAME=VALUE
                  also set NAME in every app's environment, whatever its configuration
                  (repeat for more), such as MALLOC_ARENA_MAX=2
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
    warmup: { type: 'string', default: '3' },
    turns: { type: 'string', default: '12' },
    memory: { type: 'string', default: '0' },
    only: { type: 'string' },
    baseline: { type: 'string' },
    profile: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    json: { type: 'string', default: 'bench/results/latest.json' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const counts = Object.fromEntries(
  (['rounds', 'callers', 'calls', 'warmup', 'turns', 'memory'] as const).map((name) => {
    const least = name === 'memory' || name === 'warmup' ? 0 : 1;
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < least) {
      console.error(`bench: --${name} must be a whole number of at least ${least} (got ${values[name]})`);
      process.exit(2);
    }
    return [name, value];
  }),
) as Record<'rounds' | 'callers' | 'calls' | 'warmup' | 'turns' | 'memory', number>;

const extraEnv: Record<string, string> = {};
for (const setting of values.env) {
  const [name, ...value] = setting.split('=');
  if (!name || value.length === 0) {
    console.error(`bench: --env takes NAME=VALUE (got ${setting})`);
    process.exit(2);
  }
  extraEnv[name] = value.join('=');
}

let chosen = CONFIGURATIONS;
if (values.only) {
  const names = values.only.split(',');
  const unknown = names.filter((name) => !CONFIGURATIONS.some((configuration) => configuration.name === name));
  if (unknown.length > 0) {
    console.error(`bench: unknown configuration ${unknown.join(', ')}; choose from ${CONFIGURATIONS.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  chosen = CONFIGURATIONS.filter((configuration) => names.includes(configuration.name));
}

const TWILIO_TOKEN = 'bench-twilio-token-7d1e0c55a9b24f3e';

const checkouts: Checkout[] = [
  {
    name: 'this',
    root: fileURLToPath(new URL('../', import.meta.url)),
    createDatabase: (callers) => import('./database.ts').then((module) => module.createBenchDatabase(callers)),
  },
];
if (values.baseline) {
  const root = resolve(values.baseline);
  const module = (await import(pathToFileURL(join(root, 'bench/database.ts')).href)) as typeof import('./database.ts');
  checkouts.push({ name: 'baseline', root, createDatabase: (callers) => module.createBenchDatabase(callers) });
}
const variantsOf = (checkout: Checkout): Variant[] =>
  chosen.map((configuration) => ({ name: checkout.name === 'this' ? configuration.name : `${configuration.name}@baseline`, checkout, configuration }));
const variants = checkouts.flatMap(variantsOf);

const receiversProcess = fork(new URL('./receivers.ts', import.meta.url), [SERVER_URL], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
const [ready] = (await once(receiversProcess, 'message')) as [ReceiverMessage];
if (ready.type !== 'ready') throw new Error('bench: receivers did not start');
const ask = async <T extends ReceiverMessage['type']>(request: ReceiverRequest, answer: T): Promise<Extract<ReceiverMessage, { type: T }>> => {
  receiversProcess.send(request);
  const [message] = (await once(receiversProcess, 'message')) as [ReceiverMessage];
  if (message.type !== answer) throw new Error(`bench: receivers answered ${message.type} to ${request.type}`);
  return message as Extract<ReceiverMessage, { type: T }>;
};
const receivers: Receivers = {
  open: async (app): Promise<Backends> => {
    const { type: _type, ...backends } = await ask({ type: 'open', app }, 'opened');
    return { ...backends, blackhole: ready.blackhole, blackholeDsn: ready.blackholeDsn };
  },
  count: async (app): Promise<ReceivedCounts> => {
    const { type: _type, ...received } = await ask({ type: 'count', app }, 'count');
    return received;
  },
  close: async (app) => {
    await ask({ type: 'close', app }, 'closed');
  },
};

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
  // With a baseline, the two checkouts take turns going first.
  const order = round % 2 === 1 ? checkouts : checkouts.toReversed();
  for (const checkout of order) {
    results.push(
      ...(await runSession(variantsOf(checkout), {
        round,
        callers: counts.callers,
        calls: counts.calls,
        warmUpCalls: counts.warmup,
        turns: counts.turns,
        authToken: TWILIO_TOKEN,
        receivers,
        profileDir: values.profile,
        env: extraEnv,
      })),
    );
    loads.push(loadavg()[0]!);
  }
}

const memory: MemoryResult[] = [];
for (const variant of counts.memory > 0 ? variants : []) {
  process.stderr.write(`memory ${variant.name}: ${counts.memory} calls...\n`);
  const backends = await receivers.open(variant.name);
  const database = await variant.checkout.createDatabase(counts.callers);
  try {
    const env = { ...appEnvironment(database, backends, TWILIO_TOKEN), ...extraEnv, ...variant.configuration.env(backends) };
    memory.push(await measureMemory(variant, { calls: counts.memory, env, authToken: TWILIO_TOKEN, callers: database.callers }));
  } finally {
    await database.drop();
    await receivers.close(variant.name);
  }
}
receiversProcess.disconnect();

const run = { ...counts, env: extraEnv, machine: { ...machine, loadDuring: median(loads) } };
const tables = checkouts.map((checkout) => ({ checkout: checkout.name, summary: summarise(variantsOf(checkout), results) }));
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
