import { newCallSid, postWebhook, type Exchange } from '../src/simulator/call.ts';

export type WebhookKind = 'incoming' | 'pin' | 'turn' | 'redirect' | 'status';

export interface Timing {
  kind: WebhookKind;
  ms: number;
}

export interface BenchCaller {
  phone: string;
  pin: string;
}

// A working day on the phone: writes and reads across every tool family, so a turn's cost is
// the cost of what callers really ask for, not of one cheap path.
export const SCRIPT = [
  'add a todo to buy milk',
  'what are my todos',
  "what's on my calendar tomorrow",
  'remind me to call the garage tomorrow at 3 pm',
  'what are my reminders',
  'who is on the design team',
  'mark buy milk as done',
  'add a high priority todo to send the invoice by friday',
  'what do I have on friday',
  'list my open todos',
  'add a meeting with Bob on Monday at 10 am',
  'what are the design team todos',
];

/**
 * One call as Twilio places it: signed posts to the URLs the app's TwiML names (so anything the
 * app puts in them, like trace context, is followed), each timed from send to full answer.
 */
export async function placeCall(
  target: { url: string; authToken: string },
  caller: BenchCaller,
  turns: number,
  record: (timing: Timing) => void,
): Promise<void> {
  const params = { CallSid: newCallSid(), AccountSid: `AC${'0'.repeat(32)}`, From: caller.phone, To: '+15555550199' };
  const started = Date.now();
  const post = async (kind: WebhookKind, path: string, extra: Record<string, string>): Promise<Exchange> => {
    const sent = performance.now();
    const exchange = await postWebhook(target.url, target.authToken, path, { ...params, ...extra });
    record({ kind, ms: performance.now() - sent });
    if (exchange.status >= 300) throw new Error(`bench: ${kind} ${path} answered ${exchange.status}: ${exchange.reply}`);
    return exchange;
  };
  const next = (exchange: Exchange, what: string): string => {
    const action = exchange.heard?.gather?.action;
    if (!action) throw new Error(`bench: expected a <Gather> after ${what}, heard: ${exchange.reply}`);
    return action;
  };

  let last = await post('incoming', '/voice/incoming', { CallStatus: 'ringing', Direction: 'inbound' });
  last = await post('pin', next(last, 'the greeting'), { Digits: caller.pin, CallStatus: 'in-progress' });
  for (let turn = 0; turn < turns; turn++) {
    const said = SCRIPT[turn % SCRIPT.length]!;
    last = await post('turn', next(last, `turn ${turn}`), { SpeechResult: said, Confidence: '0.93', CallStatus: 'in-progress' });
    while (last.heard?.redirect) last = await post('redirect', last.heard.redirect, { CallStatus: 'in-progress' });
  }
  await post('status', '/voice/status', {
    CallStatus: 'completed',
    CallDuration: String(Math.max(1, Math.round((Date.now() - started) / 1000))),
  });
}
