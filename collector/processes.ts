// The collector, Jaeger and Prometheus as local processes, each with the project's own configuration:
// what `npm run stack` runs and what the collector tests start. Addresses come from the environment,
// under the names otel-collector.yaml and telemetry/backends/jaeger/config.yaml read.
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const COLLECTOR_BINARY = path.join(ROOT, '.collector/otelcol-convonet');
export const JAEGER_BINARY = path.join(ROOT, '.collector/jaeger');
/** Debian's `prometheus` package, as .ci/run installs it. */
export const PROMETHEUS_BINARY = 'prometheus';

export type Environment = Record<string, string | undefined>;

/**
 * Where `npm run stack` listens unless told otherwise: the ports docker-compose.yml publishes, on
 * 127.0.0.1. Jaeger's OTLP intake, internal to compose, moves off the collector's port.
 */
export const STACK_ADDRESSES = {
  COLLECTOR_OTLP_GRPC_ENDPOINT: '127.0.0.1:4317',
  COLLECTOR_OTLP_HTTP_ENDPOINT: '127.0.0.1:4318',
  COLLECTOR_PROMETHEUS_ENDPOINT: '127.0.0.1:8889',
  COLLECTOR_HEALTH_ENDPOINT: '127.0.0.1:13133',
  COLLECTOR_PPROF_ENDPOINT: '127.0.0.1:1777',
  COLLECTOR_ZPAGES_ENDPOINT: '127.0.0.1:55679',
  COLLECTOR_TELEMETRY_PORT: '8888',
  JAEGER_OTLP_GRPC_ENDPOINT: '127.0.0.1:14317',
  JAEGER_QUERY_HTTP_ENDPOINT: '127.0.0.1:16686',
  JAEGER_QUERY_GRPC_ENDPOINT: '127.0.0.1:16685',
  PROMETHEUS_LISTEN_ADDRESS: '127.0.0.1:9090',
} as const;

export interface LocalProcess {
  name: string;
  /** The last lines it wrote, stdout and stderr interleaved. */
  output: string[];
  /** Resolves with the exit code once it has gone (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Resolves with the first line matching, including lines already written. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (SIGTERM by default), then SIGKILL if it has not gone within 10 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The collector's --config arguments: otel-collector.yaml, plus collector/sentry.yaml when
 * SENTRY_OTLP_ENDPOINT and SENTRY_PUBLIC_KEY are set. One without the other is a mistake, said once.
 */
export function collectorConfigArgs(env: Environment): string[] {
  const base = ['--config', path.join(ROOT, 'otel-collector.yaml')];
  const endpoint = Boolean(env.SENTRY_OTLP_ENDPOINT);
  const key = Boolean(env.SENTRY_PUBLIC_KEY);
  if (endpoint !== key) {
    throw new Error(`${endpoint ? 'SENTRY_PUBLIC_KEY' : 'SENTRY_OTLP_ENDPOINT'} is not set: Sentry needs both SENTRY_OTLP_ENDPOINT and SENTRY_PUBLIC_KEY`);
  }
  return endpoint ? [...base, '--config', path.join(ROOT, 'collector/sentry.yaml')] : base;
}

/** Starts the collector and resolves once its health check (COLLECTOR_HEALTH_ENDPOINT) answers. */
export async function startCollector(env: Environment, log?: string): Promise<LocalProcess> {
  const child = startProcess('collector', COLLECTOR_BINARY, collectorConfigArgs(env), env, log);
  await untilReady(child, `http://${required(env, 'COLLECTOR_HEALTH_ENDPOINT')}/`);
  return child;
}

/**
 * Starts Jaeger and resolves once its query API (JAEGER_QUERY_HTTP_ENDPOINT) answers. Jaeger traces
 * its own queries with an SDK that reads OTEL_* and sends to localhost:4317 (in the stack: the
 * collector, or whoever else listens there); sampled off, and pointed at itself, as in its image.
 */
export async function startJaeger(env: Environment, log?: string): Promise<LocalProcess> {
  const config = path.join(ROOT, 'telemetry/backends/jaeger/config.yaml');
  const self = { OTEL_TRACES_SAMPLER: 'always_off', OTEL_EXPORTER_OTLP_ENDPOINT: `http://${required(env, 'JAEGER_OTLP_GRPC_ENDPOINT')}` };
  const child = startProcess('jaeger', JAEGER_BINARY, ['--config', config], { ...env, ...self }, log);
  await untilReady(child, `http://${required(env, 'JAEGER_QUERY_HTTP_ENDPOINT')}/api/services`);
  return child;
}

/**
 * Starts Prometheus on PROMETHEUS_LISTEN_ADDRESS with the project's prometheus.yml, its addresses
 * made local: the collector's exporter (COLLECTOR_PROMETHEUS_ENDPOINT) instead of collector:8889, the
 * alert rules from the repository instead of /etc/prometheus. PROMETHEUS_SCRAPE_INTERVAL overrides the
 * file's interval. Data and the config it ran live in `dir`.
 */
export async function startPrometheus(env: Environment, dir: string, log?: string): Promise<LocalProcess> {
  const listen = required(env, 'PROMETHEUS_LISTEN_ADDRESS');
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, localPrometheusConfig(env));
  const child = startProcess(
    'prometheus',
    PROMETHEUS_BINARY,
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=${listen}`, '--web.enable-lifecycle'],
    env,
    log,
  );
  await untilReady(child, `http://${listen}/-/ready`);
  return child;
}

interface PrometheusConfig {
  global?: { scrape_interval?: string };
  rule_files?: string[];
  scrape_configs?: { static_configs?: { targets: string[] }[] }[];
}

/** telemetry/backends/prometheus/prometheus.yml, as docker-compose.yml mounts it, with local addresses. */
export function localPrometheusConfig(env: Environment): string {
  const directory = path.join(ROOT, 'telemetry/backends/prometheus');
  const config = parse(readFileSync(path.join(directory, 'prometheus.yml'), 'utf8')) as PrometheusConfig;
  const local: Record<string, string> = {
    'collector:8889': required(env, 'COLLECTOR_PROMETHEUS_ENDPOINT'),
    'localhost:9090': required(env, 'PROMETHEUS_LISTEN_ADDRESS'),
  };
  for (const job of config.scrape_configs ?? []) {
    for (const targets of job.static_configs ?? []) targets.targets = targets.targets.map((target) => local[target] ?? target);
  }
  // Compose mounts the rule files next to prometheus.yml in /etc/prometheus.
  config.rule_files = (config.rule_files ?? []).map((file) => path.join(directory, path.basename(file)));
  if (env.PROMETHEUS_SCRAPE_INTERVAL) config.global = { ...config.global, scrape_interval: env.PROMETHEUS_SCRAPE_INTERVAL };
  return stringify(config);
}

/** True when `binary` (a path, or a name on PATH) runs. */
export function installed(binary: string): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const running = new Set<LocalProcess>();
// A test run that dies or a stack that crashes must not leave servers holding their ports.
process.once('exit', () => {
  for (const child of running) child.stop();
});

const KEPT_LINES = 2000;

/**
 * Spawns `binary` in its own process group, so a Ctrl-C in the terminal reaches the stack, which
 * stops the processes in order, rather than every process at once. Output goes to `log` when given.
 */
export function startProcess(name: string, binary: string, args: string[], env: Environment, log?: string): LocalProcess {
  const child = spawn(binary, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const lines = new EventEmitter();
  const file = log === undefined ? undefined : createWriteStream(log, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > KEPT_LINES) output.shift();
      file?.write(`${line}\n`);
      lines.emit('line', line);
    });
  }
  const gone = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    // A binary that cannot be started at all (ENOENT) emits 'error' and never 'exit'.
    child.once('error', (error) => {
      output.push(`${name}: ${error.message}`);
      resolve(null);
    });
  }).finally(() => {
    running.delete(handle);
    file?.end();
  });
  const handle: LocalProcess = {
    name,
    output,
    exited: gone,
    waitForLine(pattern, timeoutMs = 20_000) {
      const seen = output.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const onLine = (line: string): void => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          lines.off('line', onLine);
          resolve(line);
        };
        const timer = setTimeout(() => {
          lines.off('line', onLine);
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`));
        }, timeoutMs);
        lines.on('line', onLine);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return gone;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await gone;
      clearTimeout(killer);
      return code;
    },
  };
  running.add(handle);
  return handle;
}

/** Polls a readiness URL until it answers 2xx; fails at once, with the process's output, if it exits. */
async function untilReady(child: LocalProcess, url: string, timeoutMs = 30_000): Promise<void> {
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) break;
    const ready = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await delay(100);
  }
  await child.stop();
  const why = exitCode === undefined ? `not ready at ${url} within ${timeoutMs / 1000} s` : `exited (code ${exitCode}) before ${url} answered`;
  throw new Error(`${child.name} ${why}:\n${child.output.slice(-10).join('\n')}`);
}
