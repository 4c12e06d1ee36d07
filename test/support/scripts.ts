import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

export const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Whether `npm run <name>` runs node (or tsx), so that scriptCommand can give its command line. */
export function isNodeScript(name: string): boolean {
  return /^(exec )?(node|tsx) /.test(SCRIPTS[name] ?? '');
}

/**
 * The node command line of an `npm run` script exactly as package.json has it, with its files made
 * absolute so it runs from any directory. Tests run scripts from a directory of their own, so a
 * developer's .env and .data never reach them, and the embedded database lands there.
 */
export function scriptCommand(name: string): string[] {
  if (!isNodeScript(name)) throw new Error(`npm run ${name} is not a node script`);
  // `exec` only makes the shell npm runs give way to node; run directly, node is already the process.
  const [program, ...words] = (SCRIPTS[name] ?? '').replace(/^exec /, '').split(' ');
  const args = program === 'tsx' ? ['--import', TSX] : [];
  for (const word of words) args.push(word === 'tsx' ? TSX : existsSync(resolve(ROOT, word)) ? resolve(ROOT, word) : word);
  return args;
}

export interface Script {
  pid: number;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first line (stdout or stderr) matching, including lines already seen. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends the signal (SIGTERM unless told) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `npm run <name> -- ...args` in `cwd`, with only PATH, HOME and `env` in its environment. */
export function startScript(name: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Script {
  return startProcess([...scriptCommand(name), ...args], { ...options, label: name });
}

/** Starts node with `args`, collecting its output line by line; `label` prefixes it with TEST_APP_OUTPUT set. */
export function startProcess(args: string[], options: { cwd: string; env?: Record<string, string>; label: string }): Script {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = new EventTarget();
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    createInterface({ input: stream }).on('line', (line) => {
      into.push(line);
      if (process.env.TEST_APP_OUTPUT) process.stderr.write(`[${options.label}] ${line}\n`);
      lines.dispatchEvent(new Event('line'));
    });
  };
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  // 'close' rather than 'exit': every line has been read by then.
  const exited = once(child, 'close').then(([code]) => code as number | null);

  const waitForLine: Script['waitForLine'] = (pattern, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const find = () => [...stdout, ...stderr].find((line) => pattern.test(line));
      const done = (error?: Error) => {
        clearTimeout(timer);
        lines.removeEventListener('line', onLine);
        const line = find();
        if (line !== undefined) resolve(line);
        else reject(error);
      };
      const onLine = () => {
        if (find() !== undefined) done();
      };
      const timer = setTimeout(() => done(new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${[...stdout, ...stderr].join('\n')}`)), timeoutMs);
      lines.addEventListener('line', onLine);
      void exited.then(() => done(new Error(`${options.label} exited before a line matching ${pattern}:\n${[...stdout, ...stderr].join('\n')}`)));
      onLine();
    });

  return {
    pid: child.pid!,
    stdout,
    stderr,
    exited,
    waitForLine,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Runs `npm run <name> -- ...args` to the end. One that is still running after `timeoutMs` (a
 * refusal that did not happen, say) is killed, so its test fails instead of keeping mocha alive.
 */
export async function runScript(
  name: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const script = startScript(name, args, options);
  const deadline = setTimeout(() => void script.stop('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await script.exited;
  clearTimeout(deadline);
  return { code, stdout: script.stdout, stderr: script.stderr };
}

/** A fresh directory to run scripts in; `remove()` deletes it. */
export function scratchDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'convonet-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The listening port the app logged. */
export async function listeningPort(app: Script): Promise<number> {
  return (JSON.parse(await app.waitForLine(/"msg":"listening"/)) as { port: number }).port;
}
