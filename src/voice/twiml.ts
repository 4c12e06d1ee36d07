import twilio from 'twilio';
import { callTraceQuery } from './call-trace.ts';
import { SPEECH_HINTS } from './speech.ts';

const { VoiceResponse } = twilio.twiml;

// Every path the caller can be sent down; the router and the redirect builder share them.
export const PATHS = {
  incoming: '/voice/incoming',
  pin: '/voice/pin',
  turn: '/voice/turn',
  turnResult: '/voice/turn/result',
  status: '/voice/status',
  /** The ConversationRelay WebSocket (GET, upgraded). */
  relay: '/voice/relay',
  /** The <Connect> action: Twilio asks what next when a relay session ends. */
  relayEnded: '/voice/relay/ended',
} as const;

const VOICE = { voice: 'Polly.Joanna-Neural' } as const;

/** The greeting: a PIN by keypad (ended with #) or spoken. */
export function askForPin(prompt: string): string {
  const response = new VoiceResponse();
  const gather = response.gather({
    input: ['dtmf', 'speech'],
    action: withCallTrace(PATHS.pin),
    method: 'POST',
    finishOnKey: '#',
    timeout: 8,
    speechTimeout: 'auto',
    hints: 'zero, one, two, three, four, five, six, seven, eight, nine, oh',
  });
  gather.say(VOICE, prompt);
  response.say(VOICE, "I didn't get a PIN. Goodbye.");
  response.hangup();
  return response.toString();
}

/**
 * Says something, then listens for the caller's next request (they may talk over it). `seq`
 * numbers the <Gather> in its action URL, which Twilio signs: a replayed request cannot pass for
 * a new one (src/voice/turns.ts).
 */
export function listen(say: string, seq?: number): string {
  const response = new VoiceResponse();
  const gather = response.gather({
    input: ['speech'],
    action: withCallTrace(seq === undefined ? PATHS.turn : `${PATHS.turn}?seq=${seq}`),
    method: 'POST',
    speechTimeout: 'auto',
    bargeIn: true,
    hints: SPEECH_HINTS,
  });
  gather.say(VOICE, say);
  response.say(VOICE, "I didn't hear anything, so I'll hang up. Goodbye.");
  response.hangup();
  return response.toString();
}

/**
 * Holds the caller while an answer is still being worked on, then asks for it again; `seq`, the
 * turn's <Gather> number, lets even a failed collection listen on with the next one.
 */
export function hold(say: string, turnId: string, seq: number | null): string {
  const response = new VoiceResponse();
  response.say(VOICE, say);
  const numbered = seq === null ? '' : `&seq=${seq}`;
  response.redirect({ method: 'POST' }, withCallTrace(`${PATHS.turnResult}?turn=${encodeURIComponent(turnId)}${numbered}`));
  return response.toString();
}

/**
 * Hands the call to a ConversationRelay session at `url` (wss://, signed by Twilio on the
 * handshake), which greets the caller first; when the session ends, Twilio asks the action URL what next.
 */
export function connectRelay(greeting: string, url: string): string {
  const response = new VoiceResponse();
  const connect = response.connect({ action: withCallTrace(PATHS.relayEnded), method: 'POST' });
  connect.conversationRelay({
    url,
    welcomeGreeting: greeting,
    welcomeGreetingInterruptible: 'speech',
    interruptible: 'speech',
    ttsProvider: 'Amazon',
    voice: 'Joanna-Neural',
    hints: SPEECH_HINTS,
  });
  return response.toString();
}

export function hangUp(say?: string): string {
  const response = new VoiceResponse();
  if (say) response.say(VOICE, say);
  response.hangup();
  return response.toString();
}

export function transfer(say: string | undefined, to: { number?: string; sipUri?: string }): string {
  const response = new VoiceResponse();
  if (say) response.say(VOICE, say);
  const dial = response.dial();
  if (to.sipUri) dial.sip(to.sipUri);
  else if (to.number) dial.number(to.number);
  return response.toString();
}

/** Every URL Twilio will request carries the call's trace context, so the call stays one trace. */
export function withCallTrace(path: string): string {
  const query = callTraceQuery();
  if (!query) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${query}`;
}
