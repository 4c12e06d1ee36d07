// What the tests of the running collector, Jaeger and Prometheus share: free addresses for every
// listener (tests never bind fixed ports), the rule for a binary that is missing, and a reader of
// the Prometheus text format.
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import type { Context } from 'mocha';
import { COLLECTOR_BINARY, JAEGER_BINARY, PROMETHEUS_BINARY, ROOT, installed, type Environment } from '../../collector/processes.ts';
import { seedDemo } from '../../src/db/seed.ts';
import { newCallSid, playCall } from '../../src/simulator/call.ts';
import type { TestDatabase } from '../support/database.ts';
import { TWILIO_TOKEN, spawnApp } from '../telemetry/spawned-app.ts';

const BINARIES = {
  collector: { binary: COLLECTOR_BINARY, install: 'npm run collector:build (needs Go)' },
  jaeger: { binary: JAEGER_BINARY, install: 'npm run jaeger:build (needs Go)' },
  prometheus: { binary: PROMETHEUS_BINARY, install: 'apt-get install prometheus (Debian\'s package)' },
  promtool: { binary: 'promtool', install: 'apt-get install prometheus (Debian\'s package)' },
};

const said = new Set<string>();

/**
 * Skips the suite, saying once per test run what is missing and how to get it; in CI (CI=true) a
 * missing binary fails instead, so these tests cannot silently stop running there.
 */
export function needs(context: Context, ...names: (keyof typeof BINARIES)[]): void {
  const missing = names.filter((name) => !installed(BINARIES[name].binary));
  if (missing.length === 0) return;
  const what = missing.map((name) => `${path.relative(ROOT, BINARIES[name].binary) || name}: ${BINARIES[name].install}`).join('; ');
  if (process.env.CI === 'true') throw new Error(`missing in CI: ${what}`);
  if (!said.has(what)) console.warn(`    skipped, not installed: ${what}`);
  said.add(what);
  context.skip();
}

async function freePorts(count: number): Promise<number[]> {
  // All held open together, so no port is handed out twice.
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

const ADDRESSES = [
  'COLLECTOR_OTLP_GRPC_ENDPOINT',
  'COLLECTOR_OTLP_HTTP_ENDPOINT',
  'COLLECTOR_PROMETHEUS_ENDPOINT',
  'COLLECTOR_HEALTH_ENDPOINT',
  'COLLECTOR_PPROF_ENDPOINT',
  'COLLECTOR_ZPAGES_ENDPOINT',
  'JAEGER_OTLP_GRPC_ENDPOINT',
  'JAEGER_QUERY_HTTP_ENDPOINT',
  'JAEGER_QUERY_GRPC_ENDPOINT',
  'PROMETHEUS_LISTEN_ADDRESS',
] as const;

/** Every address the collector, Jaeger and Prometheus listen on, each on a free loopback port. */
export async function freeAddresses(): Promise<Environment & Record<(typeof ADDRESSES)[number] | 'COLLECTOR_TELEMETRY_PORT', string>> {
  const [telemetry, ...ports] = await freePorts(ADDRESSES.length + 1);
  const addresses = Object.fromEntries(ADDRESSES.map((name, i) => [name, `127.0.0.1:${ports[i]}`]));
  return { ...addresses, COLLECTOR_TELEMETRY_PORT: String(telemetry) } as Awaited<ReturnType<typeof freeAddresses>>;
}

/**
 * A whole call (a todo, then goodbye) to the app as `npm start` runs it, exporting OTLP to the
 * collector at `otlpHttp`; resolves with the call's sid once the app has flushed and exited.
 */
export async function placeCall(database: TestDatabase, otlpHttp: string): Promise<string> {
  const { phone, pin } = await seedDemo(database.db);
  const app = await spawnApp({ DATABASE_URL: database.url, OTEL_EXPORTER_OTLP_ENDPOINT: `http://${otlpHttp}` });
  const callSid = newCallSid();
  try {
    await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin, callSid, utterances: ['add a todo to buy milk', 'goodbye'] });
  } finally {
    // The app exits only after its exporters have flushed into the collector.
    expect(await app.stop('SIGTERM')).to.equal(0);
  }
  return callSid;
}

/** Sum of the samples of `name` (Prometheus text format) whose labels include every given one. */
export function sample(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const text = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => text.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

/** Polls until `check` returns a value that is not undefined; for state inside another process. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
