import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Configuration } from './configurations.ts';

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
  /** The next line the app writes (stdout or stderr) that matches. */
  nextLine(pattern: RegExp): Promise<string>;
  /** SIGTERM, then the exit code once it has flushed and gone. */
  stop(): Promise<number | null>;
}

export interface LaunchOptions {
  /** The checkout to run: its package.json's `npm start`, its src/ and telemetry/. */
  root: string;
  /** The app's whole environment, the configuration's included (nothing is inherited but PATH and HOME). */
  env: Record<string, string>;
  /** Node flags before everything else, such as --cpu-prof. */
  nodeFlags?: string[];
  /** Modules imported after the project's own preloads, before the app. */
  imports?: string[];
}

/**
 * The Node arguments `npm start` uses, read from the checkout's package.json so the benchmark
 * runs what users run (but for .env, which it does not read); the zero-code anchor swaps the
 * project's preload for the auto-instrumentations register hook.
 */
function nodeArguments(root: string, launch: Configuration['launch'], imports: string[]): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  // `exec node ...`: the shell gives its process to node, so signals reach the app.
  const [command, ...started] = scripts.start!.replace(/^exec\s+/, '').split(/\s+/);
  if (command !== 'node') throw new Error(`bench: expected "npm start" to run node, found: ${scripts.start}`);
  // The bench sets the whole environment itself: a developer's .env must not reach a configuration.
  const envFile = started.indexOf('./src/env-file.ts');
  const args = envFile > 0 && started[envFile - 1] === '--import' ? started.toSpliced(envFile - 1, 2) : started;
  const entry = args.length - 1;
  const extra = imports.flatMap((module) => ['--import', module]);
  if (launch === 'npm-start') return args.toSpliced(entry, 0, ...extra);
  const preload = args.indexOf('./telemetry/preload.ts');
  if (preload < 1) throw new Error(`bench: "npm start" no longer loads ./telemetry/preload.ts: ${scripts.start}`);
  return args.toSpliced(entry, 0, ...extra).toSpliced(preload, 1, '@opentelemetry/auto-instrumentations-node/register');
}

export async function startApp(configuration: Pick<Configuration, 'name' | 'launch'>, options: LaunchOptions): Promise<AppProcess> {
  const started = performance.now();
  const args = [...(options.nodeFlags ?? []), ...nodeArguments(options.root, configuration.launch, options.imports ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: options.root,
    // From scratch: the developer's own OTEL_* or SENTRY_* must not leak into a configuration.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const onLine = (line: string) => {
    output.push(line);
    if (output.length > 200) output.shift();
    for (const listener of lineListeners) listener(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);

  const nextLine = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const listener = (line: string) => {
        if (!pattern.test(line)) return;
        lineListeners.delete(listener);
        resolve(line);
      };
      lineListeners.add(listener);
      void exited.then((code) => reject(new Error(`${configuration.name}: app exited ${code}:\n${output.slice(-20).join('\n')}`)));
    });

  let stopping: Promise<number | null> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) process.stderr.write(`${configuration.name}: app exited ${code}:\n${output.slice(-20).join('\n')}\n`);
      return code;
    })();
    return stopping;
  };

  try {
    const listening = await nextLine(/"msg":"listening"/);
    const url = `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}`;
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
      nextLine,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls /healthz: the benchmark's own readiness probe, as a load balancer would. */
async function waitUntilHealthy(url: string): Promise<void> {
  for (;;) {
    const healthy = await fetch(`${url}/healthz`).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
