import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, type AppProcess } from './app-process.ts';
import { placeCall, type BenchCaller, type Timing } from './calls.ts';
import type { Variant } from './configurations.ts';
import type { BenchDatabase } from './database.ts';
import type { Backends, ReceivedCounts } from './receivers.ts';
import type { RoundResult } from './report.ts';

/** The receivers process, as a session uses it. */
export interface Receivers {
  open(app: string): Promise<Backends>;
  count(app: string): Promise<ReceivedCounts>;
  close(app: string): Promise<void>;
}

export interface SessionOptions {
  round: number;
  callers: number;
  /** Calls per caller per app before measuring: JIT, pool and caches warm. */
  warmUpCalls: number;
  /** Measured calls per caller per app. */
  calls: number;
  turns: number;
  authToken: string;
  receivers: Receivers;
  /** Where --profile writes CPU profiles, if asked. */
  profileDir?: string;
  /** Set in every app's environment (--env), under each configuration's own. */
  env?: Record<string, string>;
}

interface LiveApp {
  variant: Variant;
  app: AppProcess;
  database: BenchDatabase;
  timings: Timing[];
  /** CPU of the app during its own slices, per webhook, one value per slice. */
  sliceCpuPerWebhookMs: number[];
  profileDir?: string;
}

/**
 * One round for one checkout: every configuration's app is started and kept running, then the
 * calls are placed slice by slice (one call per caller to one app, then the next app, in an order
 * that rotates), so that whatever else the machine is doing falls on every configuration alike.
 * An app's CPU is counted over the whole measured stretch, its idle time between slices included:
 * batch exports and timers are part of what telemetry costs.
 */
export async function runSession(variants: Variant[], options: SessionOptions): Promise<RoundResult[]> {
  const live: LiveApp[] = [];
  // Counts are taken (and reset) at each step; spans add up over the whole session.
  const spans = new Map<string, number>();
  const take = async (entry: LiveApp): Promise<ReceivedCounts> => {
    const counts = await options.receivers.count(entry.variant.name);
    spans.set(entry.variant.name, (spans.get(entry.variant.name) ?? 0) + spansOf(entry.variant, counts));
    return counts;
  };
  try {
    for (const variant of variants) live.push(await launch(variant, options));
    // Not measured: the optimising compiler is still at work on the first calls.
    for (let call = 0; call < options.warmUpCalls; call++) {
      for (const entry of live) await placeCalls(entry, options, () => {});
    }
    const fromUs = monotonicUs();
    const cpuAtStart = new Map<LiveApp, number>();
    for (const entry of live) {
      await take(entry); // statements so far were start-up and warm-up
      cpuAtStart.set(entry, entry.app.cpuMs());
    }

    for (let slice = 0; slice < options.calls; slice++) {
      const offset = (slice + options.round) % live.length;
      for (const entry of [...live.slice(offset), ...live.slice(0, offset)]) {
        const cpuBefore = entry.app.cpuMs();
        const webhooksBefore = entry.timings.length;
        await placeCalls(entry, options, (timing) => entry.timings.push(timing));
        entry.sliceCpuPerWebhookMs.push((entry.app.cpuMs() - cpuBefore) / (entry.timings.length - webhooksBefore));
      }
    }

    const toUs = monotonicUs();
    const results: RoundResult[] = [];
    for (const entry of live) {
      const cpuMs = entry.app.cpuMs() - cpuAtStart.get(entry)!;
      const residentMb = entry.app.residentMb();
      const { statements } = await take(entry);
      results.push({
        variant: entry.variant.name,
        round: options.round,
        cpuMs,
        webhooks: entry.timings.length,
        sliceCpuPerWebhookMs: entry.sliceCpuPerWebhookMs,
        timings: entry.timings,
        residentMb,
        startupMs: entry.app.startupMs,
        spansPerTurn: null,
        statementsPerTurn: statements / (options.callers * options.calls * options.turns),
        profile: entry.profileDir ? { dir: entry.profileDir, window: { fromUs, toUs } } : undefined,
      });
    }
    // Stopping flushes: every span of the session has been sent when an app exits.
    const codes = await Promise.all(live.map((entry) => entry.app.stop()));
    const failed = live.filter((_, index) => codes[index] !== 0).map((entry) => entry.variant.name);
    if (failed.length > 0) throw new Error(`bench: ${failed.join(', ')} did not exit cleanly`);
    const turnsPlaced = options.callers * (options.calls + options.warmUpCalls) * options.turns;
    for (const [index, entry] of live.entries()) {
      await take(entry);
      const result = results[index]!;
      if (entry.variant.configuration.spansFrom !== 'none') result.spansPerTurn = spans.get(entry.variant.name)! / turnsPlaced;
      process.stderr.write(`round ${options.round} ${entry.variant.name}: ${(result.cpuMs / result.webhooks).toFixed(2)} ms CPU per webhook\n`);
    }
    return results;
  } finally {
    await Promise.all(live.map((entry) => entry.app.stop()));
    for (const entry of live) {
      await entry.database.drop();
      await options.receivers.close(entry.variant.name);
    }
  }
}

async function launch(variant: Variant, options: SessionOptions): Promise<LiveApp> {
  const backends = await options.receivers.open(variant.name);
  const database = await variant.checkout.createDatabase(options.callers);
  const profileDir = options.profileDir && join(options.profileDir, `${variant.name}-${options.round}`);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  try {
    const app = await startApp(variant.configuration, {
      root: variant.checkout.root,
      env: { ...appEnvironment(database, backends, options.authToken), ...options.env, ...variant.configuration.env(backends) },
      nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    return { variant, app, database, timings: [], sliceCpuPerWebhookMs: [], profileDir };
  } catch (error) {
    await database.drop();
    await options.receivers.close(variant.name);
    throw error;
  }
}

/** What every app is given, whatever its telemetry: the bench database, through the counting proxy. */
export function appEnvironment(database: BenchDatabase, backends: Backends, authToken: string): Record<string, string> {
  const url = new URL(database.url);
  url.host = backends.postgres;
  return { DATABASE_URL: url.href, TWILIO_AUTH_TOKEN: authToken, NODE_ENV: 'development', LOG_LEVEL: 'info' };
}

/** One call per caller, all at once. */
function placeCalls(entry: LiveApp, options: SessionOptions, record: (timing: Timing) => void): Promise<void[]> {
  const target = { url: entry.app.url, authToken: options.authToken };
  return Promise.all(entry.database.callers.map((caller: BenchCaller) => placeCall(target, caller, options.turns, record)));
}

function spansOf(variant: Variant, counts: ReceivedCounts): number {
  const from = variant.configuration.spansFrom;
  return from === 'otlp' ? counts.otlpSpans : from === 'sentry' ? counts.sentrySpans : 0;
}

/** CLOCK_MONOTONIC in µs: what V8 stamps profile samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
