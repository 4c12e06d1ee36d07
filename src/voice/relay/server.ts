import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import type { Config } from '../../config.ts';
import { findCall } from '../../db/calls.ts';
import { claimRelaySession } from '../../db/relay-sessions.ts';
import { findUserById } from '../../db/users.ts';
import { PATHS } from '../twiml.ts';
import { startRelaySession, type RelaySession, type RelaySessionDeps } from './session.ts';

export interface RelayServerDeps extends RelaySessionDeps {
  config: RelaySessionDeps['config'] & Pick<Config, 'twilio'>;
}

// Twilio's messages are small JSON objects; a frame near this is not Twilio (ws closes with 1009).
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Serves ConversationRelay WebSockets on the webhooks' own HTTP server and port. An upgrade is
 * accepted only after its X-Twilio-Signature (Twilio signs the wss:// URL as it requested it, with
 * no parameters) checks out and its URL's session token is taken, once, from the database, which
 * names the signed-in call; until then nothing of the connection is read beyond its headers.
 */
export function serveRelay(server: Server, deps: RelayServerDeps) {
  const { db, logger, config } = deps;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sessions = new Set<RelaySession>();
  let stopping = false;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    accept(req, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'relay handshake failed');
      refuse(socket, 503);
    });
  });

  async function accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'ws://relay');
    if (url.pathname !== PATHS.relay || req.method !== 'GET') return refuse(socket, 404);
    if (stopping) return refuse(socket, 503);
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !twilio.validateRequest(config.twilio.authToken, signature, signedUrl(req), {})) {
      logger.warn({ path: url.pathname }, 'relay handshake refused: invalid Twilio signature');
      return refuse(socket, 403);
    }
    const claimed = await claimRelaySession(db, url.searchParams.get('session') ?? '');
    const call = claimed && (await findCall(db, claimed.callSid));
    const user = call?.user_id ? await findUserById(db, call.user_id) : null;
    if (!call || !user) {
      logger.warn({ path: url.pathname }, 'relay handshake refused: unknown, used or expired session');
      return refuse(socket, 403);
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const session = startRelaySession(ws, call, { id: user.id, name: user.name, timezone: user.timezone }, url.searchParams.get('session')!, deps);
      sessions.add(session);
      void session.closed.then(() => sessions.delete(session));
    });
  }

  /** The URL as Twilio requested it, which its signature covers: the public one when configured. */
  function signedUrl(req: IncomingMessage): string {
    if (config.twilio.publicBaseUrl) return config.twilio.publicBaseUrl.replace(/^http/, 'ws') + req.url;
    const forwarded = (name: string) => (config.twilio.trustProxy ? String(req.headers[name] ?? '').split(',')[0]?.trim() : '');
    const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
    const scheme = forwarded('x-forwarded-proto') || (encrypted ? 'https' : 'http');
    const host = forwarded('x-forwarded-host') || req.headers.host;
    return `${scheme.replace(/^http/, 'ws')}://${host}${req.url}`;
  }

  return {
    /** Ends every session (each running turn stops) and waits for them to close. */
    async close(): Promise<void> {
      stopping = true;
      for (const session of sessions) session.close('shutdown');
      await Promise.all([...sessions].map((session) => session.closed));
      sockets.close();
    },
  };
}

/** Answers an upgrade it will not take with a bare HTTP status, and hangs up. */
function refuse(socket: Duplex, status: 403 | 404 | 503): void {
  const reason = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}
