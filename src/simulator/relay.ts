import { once } from 'node:events';
import twilio from 'twilio';
import WebSocket from 'ws';
import type { RelayMessage, RelayReply } from '../voice/relay/messages.ts';
import { PATHS } from '../voice/twiml.ts';
import { CallStopped, newCallSid, postWebhook, type CallScript } from './call.ts';

/** One `text` token as it arrived, `atMs` after the prompt (or interrupt) that asked for it. */
export interface HeardToken {
  token: string;
  atMs: number;
}

/** A reply as Twilio would hear it: its tokens with their timings, until `last: true`, `end`, or the close. */
export interface HeardReply {
  tokens: HeardToken[];
  text: string;
  /** Milliseconds from the prompt to the first token with words in it. */
  firstTextMs: number | null;
  /** The app left the session (`end`), with this handoffData. */
  end?: string;
  /** The app closed the socket: code and reason. */
  closed?: { code: number; reason: string };
}

/**
 * Twilio's side of a ConversationRelay WebSocket: opens it signed as Twilio signs the handshake
 * (X-Twilio-Signature over the wss:// URL), sends setup, prompts and interrupts, and reads
 * replies as they stream. For the simulator, the tests and the benchmark alike.
 */
export class RelayConnection {
  private readonly inbox: RelayReply[] = [];
  private waiting: (() => void) | null = null;
  closed: { code: number; reason: string } | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.inbox.push(JSON.parse(data.toString()) as RelayReply);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  /** Opens the WebSocket as Twilio would; rejects with the HTTP status when the app refuses the handshake. */
  static async open(url: string, authToken: string, signature?: string): Promise<RelayConnection> {
    const socket = new WebSocket(url, { headers: { 'X-Twilio-Signature': signature ?? twilio.getExpectedTwilioSignature(authToken, url, {}) } });
    const refused = new Promise<never>((_, reject) => {
      socket.once('unexpected-response', (_req, res) => reject(new RelayRefused(res.statusCode ?? 0)));
      socket.once('error', reject);
    });
    await Promise.race([once(socket, 'open'), refused]);
    return new RelayConnection(socket);
  }

  send(message: RelayMessage | Record<string, unknown> | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  setup(callSid: string, sessionId = `VX${callSid.slice(2)}`): void {
    this.send({ type: 'setup', sessionId, callSid, accountSid: `AC${'0'.repeat(32)}`, from: '', to: '', direction: 'inbound', customParameters: {} });
  }

  /** Says something, as Twilio's final transcript, and reads the reply as it streams. */
  prompt(words: string, onToken?: (token: HeardToken) => void): Promise<HeardReply> {
    this.send({ type: 'prompt', voicePrompt: words, lang: 'en-US', last: true });
    return this.reply(onToken);
  }

  interrupt(heard: string, durationMs = 1000): void {
    this.send({ type: 'interrupt', utteranceUntilInterrupt: heard, durationUntilInterruptMs: durationMs });
  }

  /** The next message from the app; null once the socket has closed and every message was read. */
  async next(): Promise<RelayReply | null> {
    while (this.inbox.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.inbox.shift() ?? null;
  }

  /** Reads messages until the reply ends: `last: true`, `end`, or the close. `onToken` sees each token as it comes. */
  async reply(onToken?: (token: HeardToken) => void, started = performance.now()): Promise<HeardReply> {
    const heard: HeardReply = { tokens: [], text: '', firstTextMs: null };
    for (;;) {
      const message = await this.next();
      if (!message) {
        heard.closed = this.closed ?? undefined;
        return heard;
      }
      if (message.type === 'end') {
        heard.end = message.handoffData;
        return heard;
      }
      const token = { token: message.token, atMs: performance.now() - started };
      if (token.token) {
        heard.tokens.push(token);
        heard.text += token.token;
        heard.firstTextMs ??= token.atMs;
        onToken?.(token);
      }
      if (message.last) {
        // An `end` the app sent with the reply's last words (a transfer, a goodbye) belongs to it.
        // It was sent before the app could see a ping sent now, so it arrives before the pong.
        await this.roundTrip();
        if (this.inbox[0]?.type === 'end') heard.end = (this.inbox.shift() as { handoffData: string }).handoffData;
        return heard;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close(1000);
    await once(this.socket, 'close');
  }

  /** Resolves once the app has read every message sent before (a ping's pong comes after them). */
  async roundTrip(): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('pong', done).off('close', done);
        resolve();
      };
      this.socket.on('pong', done).on('close', done);
      this.socket.ping();
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}

/** The app answered the handshake with an HTTP status instead of upgrading. */
export class RelayRefused extends Error {
  override name = 'RelayRefused';
  constructor(readonly status: number) {
    super(`the app refused the WebSocket with ${status}`);
  }
}

export interface RelayCallScript extends Omit<CallScript, 'maxRedirects'> {
  /** Each reply as it streams: the caller's words first, then each token; `done` once it has ended. */
  onReply?: (event: { caller: string } | { token: HeardToken } | { done: HeardReply }) => void;
}

/**
 * Plays a whole call on ConversationRelay the way Twilio does: the signed webhooks up to the PIN,
 * then the WebSocket the app's <Connect> names, a prompt per utterance with its reply read as it
 * streams, the <Connect> action when the app ends the session, and the status callback.
 * Throws CallStopped as playCall does; NotRelay when the app answered the PIN with a <Gather>.
 */
export async function playRelayCall(script: RelayCallScript): Promise<HeardReply[]> {
  const callSid = script.callSid ?? newCallSid();
  const post = async (path: string, params: Record<string, string>, caller?: string) => {
    const exchange = await postWebhook(script.url, script.authToken, path, { CallSid: callSid, From: script.from, To: script.to ?? '+15555550199', ...params });
    if (caller !== undefined) exchange.caller = caller;
    script.onExchange?.(exchange);
    if (exchange.status >= 400) throw new CallStopped('refused', exchange);
    return exchange;
  };
  const started = Date.now();
  const hangUp = () => post('/voice/status', { CallStatus: 'completed', CallDuration: String(Math.max(1, Math.round((Date.now() - started) / 1000))) });

  const ringing = await post('/voice/incoming', { CallStatus: 'ringing', Direction: 'inbound' });
  const signedIn = ringing.heard?.gather && (await post(ringing.heard.gather.action, { Digits: script.pin, CallStatus: 'in-progress' }, `PIN ${'•'.repeat(script.pin.length)}`));
  const connect = signedIn && signedIn.heard?.connect;
  if (!connect) {
    await hangUp();
    if (signedIn && signedIn.heard?.gather?.action.startsWith(PATHS.turn)) throw new NotRelay();
    throw new CallStopped('pin_rejected', signedIn || ringing);
  }
  const relay = await RelayConnection.open(new URL(connect.url, script.url).href, script.authToken);
  relay.setup(callSid);
  const replies: HeardReply[] = [];
  for (const utterance of script.utterances) {
    script.onReply?.({ caller: utterance });
    const reply = await relay.prompt(utterance, (token) => script.onReply?.({ token }));
    replies.push(reply);
    script.onReply?.({ done: reply });
    if (reply.end !== undefined || reply.closed) {
      // Twilio closes the session and asks the <Connect> action what next.
      await relay.close();
      await post(connect.action, { SessionStatus: 'ended', ...(reply.end ? { HandoffData: reply.end } : {}) });
      break;
    }
  }
  await relay.close();
  await hangUp();
  return replies;
}

/** The app answered the PIN with a <Gather>: it runs the Gather voice mode, not ConversationRelay. */
export class NotRelay extends Error {
  override name = 'NotRelay';
  constructor() {
    super('the app answered the PIN with <Gather>, not <Connect><ConversationRelay>: it runs with VOICE_MODE=gather');
  }
}
