import { expect } from 'chai';
import { newCallSid, postWebhook, type Exchange } from '../../src/simulator/call.ts';
import { TWILIO_TOKEN } from './spawned-app.ts';

/**
 * A caller on the phone, dialled as Twilio does it: each webhook signed, with the call's fixed
 * parameters, and every answer posted to the URL the last TwiML named (`<Gather action>`, query
 * string and all), never to a path of the test's choosing.
 */
export function phoneCaller(url: string, phone: string) {
  const callSid = newCallSid();
  const base = { CallSid: callSid, AccountSid: `AC${'0'.repeat(32)}`, From: phone, To: '+15555550199', CallStatus: 'in-progress' };
  let gatherAction: string | undefined;
  const post = async (path: string, params: Record<string, string> = {}): Promise<Exchange> => {
    const exchange = await postWebhook(url, TWILIO_TOKEN, path, { ...base, ...params });
    expect(exchange.status, `${path}: ${exchange.reply}`).to.be.within(200, 299);
    if (exchange.heard?.gather) gatherAction = exchange.heard.gather.action;
    return exchange;
  };
  /** What the caller keys or says in answer to the last `<Gather>`. */
  const answer = (params: Record<string, string>) => {
    if (!gatherAction) throw new Error('the app has not asked the caller anything');
    return post(gatherAction, params);
  };
  const say = (speech: string) => answer({ SpeechResult: speech, Confidence: '0.93' });
  return {
    callSid,
    post,
    /** The call arrives: Twilio posts the number's configured URL. */
    ring: () => post('/voice/incoming', { CallStatus: 'ringing', Direction: 'inbound' }),
    pin: (digits: string) => answer({ Digits: digits }),
    say,
    /** The status callback, configured in the Twilio console: its URL carries nothing of the call. */
    hangUp: (duration = '30') => post('/voice/status', { CallStatus: 'completed', CallDuration: duration }),
    /** One utterance, following redirects as a patient caller does, to what the caller finally hears. */
    async sayAndWait(speech: string): Promise<string> {
      let exchange = await say(speech);
      while (exchange.heard?.redirect) exchange = await post(exchange.heard.redirect);
      return exchange.reply;
    },
  };
}
