import { once } from 'node:events';
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { relative, resolve } from 'node:path';
import type { Db } from '../db/knex.ts';
import { maskPhone, type Logger } from '../log.ts';
import { callerCommand, CallerCommandError, describeInvalidCommand, runCallerCommand, type CallerCommand, type CallerSummary } from './commands.ts';

// The app that holds an embedded database is the only process that may open it, so it takes the
// caller commands of `npm run users` itself, over HTTP on a Unix socket inside the data directory:
// reachable only from this machine, by whoever may write the directory (who could edit the
// database files anyway), and never through the port a tunnel exposes.

export const SOCKET_FILE = 'convonet.sock';
const MAX_COMMAND_BYTES = 8 * 1024;
// A socket's path must fit sockaddr_un: 104 bytes on macOS, 108 on Linux, and Node truncates silently.
const MAX_SOCKET_PATH_BYTES = 103;

/** The command could not be delivered: nobody listens on the socket (yet). */
export class NotListening extends Error {
  override name = 'NotListening';
}

export interface CommandSocket {
  close(): Promise<void>;
}

export async function serveCallerCommands(options: { db: Db; dir: string; defaultTimezone: string; logger: Logger }): Promise<CommandSocket> {
  const { db, logger } = options;
  const path = socketPath(options.dir);
  const unreachable = (reason: string): CommandSocket => {
    logger.warn({ dir: options.dir, reason }, 'npm run users cannot reach this app: stop it to manage callers');
    return { close: async () => {} };
  };
  if (path === null) return unreachable('the data directory\'s path is too long for a socket');

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: { callers: CallerSummary[] } | { error: string }): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'POST') return reply(405, { error: 'POST a caller command' });
    const body = await readBody(request, MAX_COMMAND_BYTES);
    if (body === null) return reply(413, { error: 'command too large' });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return reply(400, { error: 'the command is not JSON' });
    }
    const parsed = callerCommand.safeParse(json);
    if (!parsed.success) return reply(400, { error: describeInvalidCommand(parsed.error) });
    try {
      const callers = await runCallerCommand(db, parsed.data, { defaultTimezone: options.defaultTimezone });
      logger.info({ command: parsed.data.command, phone: 'phone' in parsed.data ? maskPhone(parsed.data.phone) : undefined }, 'caller command');
      reply(200, { callers });
    } catch (error) {
      if (error instanceof CallerCommandError) return reply(409, { error: error.message });
      logger.error({ err: error, command: parsed.data.command }, 'caller command failed');
      reply(500, { error: 'the app could not run the command: its log says why' });
    }
  }

  const server = createServer((request, response) => void answer(request, response));
  try {
    try {
      await listen(server, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // We hold the directory's lock, so a socket file left here belongs to a process that is gone.
      unlinkSync(path);
      await listen(server, path);
    }
    chmodSync(path, 0o600);
  } catch (error) {
    // Managing callers is a convenience: the app serves calls without it (Windows has no such sockets).
    if (server.listening) server.close();
    return unreachable((error as Error).message);
  }
  return {
    async close() {
      server.close();
      server.closeIdleConnections();
      await once(server, 'close');
    },
  };
}

/** Sends a command to the app holding the embedded database in `dir`; its refusal throws CallerCommandError. */
export async function sendCallerCommand(dir: string, command: CallerCommand): Promise<CallerSummary[]> {
  const body = JSON.stringify(command);
  const path = socketPath(dir);
  if (path === null) throw new NotListening(`the path of ${dir} is too long for a socket`);
  const sent = request({ socketPath: path, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } });
  sent.end(body);
  let response: IncomingMessage;
  try {
    [response] = (await once(sent, 'response')) as [IncomingMessage];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new NotListening(`nobody listens on ${path}`);
    throw error;
  }
  const answer = JSON.parse((await readBody(response, Infinity)) ?? '{}') as { callers?: CallerSummary[]; error?: string };
  if (response.statusCode !== 200 || !answer.callers) throw new CallerCommandError(answer.error ?? `the app answered ${response.statusCode}`);
  return answer.callers;
}

async function listen(server: ReturnType<typeof createServer>, path: string): Promise<void> {
  server.listen(path);
  await once(server, 'listening');
}

/** The socket's path, relative to the working directory when that is shorter; null when neither fits. */
function socketPath(dir: string): string | null {
  const absolute = resolve(dir, SOCKET_FILE);
  const nearby = relative(process.cwd(), absolute);
  const path = nearby.length < absolute.length ? nearby : absolute;
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES ? path : null;
}

/** The whole body as text, or null past `limit` bytes. */
async function readBody(stream: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
