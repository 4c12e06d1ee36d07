import { once } from 'node:events';
import twilio from 'twilio';
import WebSocket from 'ws';
import type { RelayMessage, RelayReply } from '../voice/relay/messages.ts';

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
        // An `end` sent with the reply's last words (a transfer, a goodbye) belongs to it.
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
