import { randomBytes, randomUUID } from 'node:crypto';
import twilio from 'twilio';
import { PATHS } from '../voice/twiml.ts';
import { readTwiml, type HeardTwiml } from './twiml-reader.ts';

export interface Exchange {
  webhook: string;
  /** What the caller said or keyed in, if anything. */
  caller?: string;
  status: number;
  heard: HeardTwiml | null;
  /** What the app said, joined as the caller would hear it. */
  reply: string;
}

export interface CallScript {
  /** Base URL of the app, as Twilio would be configured with it. */
  url: string;
  authToken: string;
  from: string;
  to?: string;
  pin: string;
  utterances: string[];
  callSid?: string;
  /** How many redirects to follow for one utterance before giving up, like a patient caller. */
  maxRedirects?: number;
  onExchange?: (exchange: Exchange) => void;
}

/** Why a call stopped before its script ended: the app refused a webhook, or did not take the PIN. */
export class CallStopped extends Error {
  override name = 'CallStopped';
  constructor(
    readonly reason: 'refused' | 'pin_rejected',
    /** The exchange that stopped it. */
    readonly exchange: Exchange,
  ) {
    super(reason === 'refused' ? `the app answered ${exchange.webhook} with ${exchange.status}` : 'the app did not accept the PIN');
  }
}

export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

/**
 * Plays a whole call the way Twilio does: signed form posts to each webhook the TwiML points at,
 * the PIN, each utterance (following redirects), then the status callback. Throws CallStopped
 * when the app answers a webhook with an HTTP error, or asks for the PIN again (after hanging up,
 * as a caller would).
 */
export async function playCall(script: CallScript): Promise<Exchange[]> {
  const callSid = script.callSid ?? newCallSid();
  const base = { CallSid: callSid, AccountSid: `AC${'0'.repeat(32)}`, From: script.from, To: script.to ?? '+15555550199' };
  const exchanges: Exchange[] = [];
  const started = Date.now();
  const post = async (path: string, params: Record<string, string>, caller?: string) => {
    const exchange = await postWebhook(script.url, script.authToken, path, { ...base, ...params });
    if (caller !== undefined) exchange.caller = caller;
    exchanges.push(exchange);
    script.onExchange?.(exchange);
    if (exchange.status >= 400) throw new CallStopped('refused', exchange);
    return exchange;
  };
  const hangUp = () =>
    post('/voice/status', {
      CallStatus: 'completed',
      CallDuration: String(Math.max(1, Math.round((Date.now() - started) / 1000))),
    });

  let last = await post('/voice/incoming', { CallStatus: 'ringing', Direction: 'inbound' });
  if (last.heard?.gather) {
    last = await post(last.heard.gather.action, { Digits: script.pin, CallStatus: 'in-progress' }, `PIN ${'•'.repeat(script.pin.length)}`);
    // Signed in, the app listens for speech on /voice/turn; otherwise it asked again, or hung up.
    if (!last.heard?.gather || new URL(last.heard.gather.action, script.url).pathname !== PATHS.turn) {
      const refusal = last;
      await hangUp();
      throw new CallStopped('pin_rejected', refusal);
    }
  }
  for (const utterance of script.utterances) {
    if (!last.heard?.gather) break;
    last = await post(last.heard.gather.action, { SpeechResult: utterance, Confidence: '0.93', CallStatus: 'in-progress' }, utterance);
    for (let redirects = 0; last.heard?.redirect && redirects < (script.maxRedirects ?? 10); redirects++) {
      last = await post(last.heard.redirect, { CallStatus: 'in-progress' });
    }
  }
  await hangUp();
  return exchanges;
}

/** One signed webhook, as Twilio sends it. */
export async function postWebhook(
  baseUrl: string,
  authToken: string,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Exchange> {
  const url = new URL(path, baseUrl).href;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, url, params),
      'I-Twilio-Idempotency-Token': randomUUID(),
      ...headers,
    },
    body: new URLSearchParams(params),
  });
  const body = await response.text();
  const heard = response.headers.get('content-type')?.includes('xml') ? readTwiml(body) : null;
  return { webhook: new URL(url).pathname, status: response.status, heard, reply: heard?.said.join(' ') ?? body };
}
