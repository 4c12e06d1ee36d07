import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const TWILIO_TOKEN = 'twilio-test-token-5f0c2d9e8a7b6c1d';

export interface SpawnedApp {
  url: string;
  pid: number;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first line (stdout or stderr) matching, including lines already seen. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends the signal and resolves with the exit code once the process has gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * The app exactly as `npm start` runs it, preload and all, in a child process: telemetry hooks
 * the module loader and process signals, which an in-process app cannot show.
 * The environment is built from scratch so the developer's own OTEL_* or SENTRY_* never leak in.
 */
export async function spawnApp(env: Record<string, string>, entry = 'src/main.ts'): Promise<SpawnedApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './telemetry/preload.ts', entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      // Short batch delays so tests wait on data, not on timers.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = new EventTarget();
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    createInterface({ input: stream }).on('line', (line) => {
      into.push(line);
      if (process.env.TEST_APP_OUTPUT) process.stderr.write(`[app] ${line}\n`);
      lines.dispatchEvent(new Event('line'));
    });
  };
  collect(child.stdout!, stdout);
  collect(child.stderr!, stderr);
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitForLine: SpawnedApp['waitForLine'] = (pattern, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = [...stdout, ...stderr].find((candidate) => pattern.test(candidate));
        if (line === undefined) return false;
        clearTimeout(timer);
        lines.removeEventListener('line', onLine);
        resolve(line);
        return true;
      };
      const onLine = (): void => void check();
      const timer = setTimeout(() => {
        lines.removeEventListener('line', onLine);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${[...stdout, ...stderr].join('\n')}`));
      }, timeoutMs);
      lines.addEventListener('line', onLine);
      void exited.then(() => {
        if (!check()) {
          clearTimeout(timer);
          reject(new Error(`app exited before a line matching ${pattern}:\n${[...stdout, ...stderr].join('\n')}`));
        }
      });
      check();
    });

  const listening = await waitForLine(/"msg":"listening"/);
  const { port } = JSON.parse(listening) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stdout,
    stderr,
    waitForLine,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      (child as ChildProcess).kill(signal);
      return exited;
    },
  };
}
