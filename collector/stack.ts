// `npm run stack`: the collector, Jaeger and Prometheus of docker-compose.yml as local processes, for
// machines without Docker. Same configuration files, same host ports (each can be moved with the
// variable named below); Ctrl-C or SIGTERM stops them, collector first so it flushes into Jaeger.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  COLLECTOR_BINARY,
  JAEGER_BINARY,
  PROMETHEUS_BINARY,
  ROOT,
  STACK_ADDRESSES,
  collectorConfigArgs,
  installed,
  startCollector,
  startJaeger,
  startPrometheus,
  type Environment,
  type LocalProcess,
} from './processes.ts';

const USAGE = `Runs the collector, Jaeger and Prometheus of docker-compose.yml as local processes, with the
same configuration files and ports, building the collector and Jaeger first when needed (Go).

  npm run stack

Sentry joins with SENTRY_OTLP_ENDPOINT and SENTRY_PUBLIC_KEY; every address can be moved with its
variable (docs/collector.md). Ctrl-C stops everything.
`;

function say(line: string): void {
  process.stdout.write(`stack: ${line}\n`);
}

function missing(): string | undefined {
  if (!installed(COLLECTOR_BINARY)) return `${path.relative(ROOT, COLLECTOR_BINARY)} is not built: run npm run collector:build (needs Go)`;
  if (!installed(JAEGER_BINARY)) return `${path.relative(ROOT, JAEGER_BINARY)} is not built: run npm run jaeger:build (needs Go)`;
  if (!installed(PROMETHEUS_BINARY)) return 'prometheus is not installed: apt-get install prometheus (Debian\'s package)';
  return undefined;
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Reused when nothing changed; otherwise it builds, or says in one line that Go is missing.
  const build = spawnSync(path.join(ROOT, 'collector/build.sh'), { stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;

  const dir = path.resolve(ROOT, process.env.STACK_DIR ?? '.collector/stack');
  const env: Environment = { ...STACK_ADDRESSES, COLLECTOR_FILE_PATH: path.join(dir, 'convonet.jsonl'), ...process.env };
  env.COLLECTOR_JAEGER_ENDPOINT = env.JAEGER_OTLP_GRPC_ENDPOINT;

  const absent = missing();
  if (absent) {
    say(absent);
    return 1;
  }
  try {
    collectorConfigArgs(env);
  } catch (error) {
    say((error as Error).message);
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  const log = (name: string) => path.join(dir, `${name}.log`);
  const shown = path.relative(ROOT, dir).startsWith('..') ? dir : path.relative(ROOT, dir);
  say(`starting Jaeger, Prometheus and the collector; their logs are in ${shown}/*.log`);

  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  // Kept for the whole run, so a second Ctrl-C while stopping does not orphan the processes.
  process.on('SIGINT', signalled);
  process.on('SIGTERM', signalled);
  let received: NodeJS.Signals | undefined;
  void signal.then((name) => (received = name));

  const started: LocalProcess[] = [];
  // Reverse start order: the collector flushes into Jaeger before Jaeger goes.
  const stopAll = async (): Promise<void> => {
    for (const child of [...started].reverse()) await child.stop();
  };
  const stopped = async (signal: NodeJS.Signals): Promise<number> => {
    say(`${signal}: stopping the collector, Prometheus and Jaeger`);
    await stopAll();
    say('stopped');
    return 0;
  };
  const starts = [
    () => startJaeger(env, log('jaeger')),
    () => startPrometheus(env, path.join(dir, 'prometheus'), log('prometheus')),
    () => startCollector(env, log('collector')),
  ];
  try {
    for (const start of starts) if (received === undefined) started.push(await start());
  } catch (error) {
    say((error as Error).message);
    await stopAll();
    return 1;
  }

  if (received !== undefined) return stopped(received);

  const table: [string, string, string][] = [
    ['collector', `${env.COLLECTOR_OTLP_GRPC_ENDPOINT} (gRPC), http://${env.COLLECTOR_OTLP_HTTP_ENDPOINT} (HTTP)`, 'OTLP intake'],
    ['', `http://${env.COLLECTOR_PROMETHEUS_ENDPOINT}/metrics`, 'Prometheus exporter'],
    ['', `http://${env.COLLECTOR_ZPAGES_ENDPOINT}/debug/pipelinez`, 'zPages'],
    ['', env.COLLECTOR_FILE_PATH ?? '', 'every span and log, JSON lines'],
    ['', env.SENTRY_OTLP_ENDPOINT ?? 'no Sentry (set SENTRY_OTLP_ENDPOINT and SENTRY_PUBLIC_KEY)', 'sampled traces and logs'],
    ['jaeger', `http://${env.JAEGER_QUERY_HTTP_ENDPOINT}/api/traces?service=convonet`, 'trace search API (no UI in this build)'],
    ['prometheus', `http://${env.PROMETHEUS_LISTEN_ADDRESS}`, 'metrics, /alerts, /rules'],
  ];
  for (const [name, where, what] of table) process.stdout.write(`  ${name.padEnd(11)}${where.padEnd(64)}${what}\n`);
  say(`ready. Start the app with OTEL_EXPORTER_OTLP_ENDPOINT=http://${env.COLLECTOR_OTLP_HTTP_ENDPOINT} npm start; Ctrl-C stops the stack`);

  // Running until a signal; a process that dies on its own takes the stack down with it, saying why.
  const died = Promise.race(started.map((child) => child.exited.then((code) => ({ child, code }))));
  const outcome = await Promise.race([signal, died]);
  if (typeof outcome === 'string') return stopped(outcome);
  say(`${outcome.child.name} exited (code ${outcome.code}); its last lines:\n${outcome.child.output.slice(-15).join('\n')}`);
  await stopAll();
  return 1;
}

process.exit(await main());
