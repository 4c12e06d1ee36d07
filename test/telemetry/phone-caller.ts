import { expect } from 'chai';
import { newCallSid, postWebhook, type Exchange } from '../../src/simulator/call.ts';
import { TWILIO_TOKEN } from './spawned-app.ts';

/** A caller on the phone: each webhook signed as Twilio signs it, with the call's fixed parameters. */
export function phoneCaller(url: string, phone: string) {
  const callSid = newCallSid();
  const base = { CallSid: callSid, AccountSid: `AC${'0'.repeat(32)}`, From: phone, To: '+15555550199', CallStatus: 'in-progress' };
  const post = async (path: string, params: Record<string, string> = {}): Promise<Exchange> => {
    const exchange = await postWebhook(url, TWILIO_TOKEN, path, { ...base, ...params });
    expect(exchange.status, `${path}: ${exchange.reply}`).to.be.within(200, 299);
    return exchange;
  };
  const say = (speech: string) => post('/voice/turn', { SpeechResult: speech, Confidence: '0.93' });
  return {
    callSid,
    post,
    say,
    /** One utterance, following redirects as a patient caller does, to what the caller finally hears. */
    async sayAndWait(speech: string): Promise<string> {
      let exchange = await say(speech);
      while (exchange.heard?.redirect) exchange = await post(exchange.heard.redirect);
      return exchange.reply;
    },
  };
}
