import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Configuration } from './configurations.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Linux reports CPU time in clock ticks; USER_HZ is 100 on every architecture Node supports.
const TICK_MS = 10;

export interface AppProcess {
  url: string;
  pid: number;
  /** From spawn to the first healthy /healthz. */
  startupMs: number;
  /** User + system CPU time of the whole process (every thread) so far. */
  cpuMs(): number;
  residentMb(): number;
  /** SIGTERM, then the exit code once it has flushed and gone. */
  stop(): Promise<number | null>;
}

/**
 * The Node arguments `npm start` uses, read from package.json so the benchmark runs what users
 * run; the zero-code anchor swaps the project's preload for the auto-instrumentations register hook.
 */
function nodeArguments(launch: Configuration['launch']): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts.start!.split(/\s+/);
  if (command !== 'node') throw new Error(`bench: expected "npm start" to run node, found: ${scripts.start}`);
  if (launch === 'npm-start') return args;
  const preload = args.indexOf('./telemetry/preload.ts');
  if (preload < 1) throw new Error(`bench: "npm start" no longer loads ./telemetry/preload.ts: ${scripts.start}`);
  return args.toSpliced(preload, 1, '@opentelemetry/auto-instrumentations-node/register');
}

export async function startApp(
  configuration: Configuration,
  env: Record<string, string>,
  /** Extra Node flags, such as --cpu-prof for `npm run bench -- --profile`. */
  nodeFlags: string[] = [],
): Promise<AppProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, ...nodeArguments(configuration.launch)], {
    cwd: ROOT,
    // From scratch: the developer's own OTEL_* or SENTRY_* must not leak into a configuration.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...env, ...configuration.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const listening = new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      if (output.length > 200) output.shift();
      const port = /"msg":"listening"/.test(line) ? (JSON.parse(line) as { port?: number }).port : undefined;
      if (port) resolve(port);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => reject(new Error(`${configuration.name}: app exited ${code} before listening:\n${output.join('\n')}`)));
  });
  const url = `http://127.0.0.1:${await listening}`;
  await waitUntilHealthy(url);
  const startupMs = performance.now() - started;
  const pid = child.pid!;

  return {
    url,
    pid,
    startupMs,
    cpuMs() {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    },
    residentMb() {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Number(kb) / 1024;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) process.stderr.write(`${configuration.name}: app exited ${code}:\n${output.slice(-20).join('\n')}\n`);
      return code;
    },
  };
}

/** Polls /healthz: the benchmark's own readiness probe, as a load balancer would. */
async function waitUntilHealthy(url: string): Promise<void> {
  for (;;) {
    const healthy = await fetch(`${url}/healthz`).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
