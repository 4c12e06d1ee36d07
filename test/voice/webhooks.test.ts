import { expect } from 'chai';
import twilio from 'twilio';
import { newCallSid } from '../../src/simulator/call.ts';
import { readTwiml } from '../../src/simulator/twiml-reader.ts';
import { AUTH_TOKEN, startTestApp, turnParams, type TestApp } from '../support/app.ts';

describe('voice webhooks', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const countRows = async (table: string) => Number((await app.db(table).count<{ count: string }[]>('* as count'))[0]!.count);
  const ring = (callSid = newCallSid(), from?: string) =>
    app.post('/voice/incoming', { CallSid: callSid, From: from ?? app.demo.phone, To: '+15555550199', CallStatus: 'ringing' });

  describe('incoming', () => {
    it('when a call arrives, then it is recorded and the caller is asked for a PIN by voice or keypad', async () => {
      const callSid = newCallSid();
      const { status, heard } = await ring(callSid);
      expect(status).to.equal(200);
      expect(heard?.gather).to.include({ action: '/voice/pin', input: 'dtmf speech' });
      expect(heard?.gather?.attributes.finishOnKey).to.equal('#');
      expect(heard?.said.join(' ')).to.match(/PIN/);
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ status: 'ringing', from_number: app.demo.phone, user_id: null });
    });

    it('when Twilio retries the incoming webhook, then there is still one call row', async () => {
      const callSid = newCallSid();
      await ring(callSid);
      await ring(callSid);
      expect(await app.db('calls').where({ call_sid: callSid }).count('* as n').first()).to.deep.equal({ n: '1' });
    });
  });

  describe('signatures', () => {
    const params = () => ({ CallSid: newCallSid(), From: '+15555550100', CallStatus: 'ringing' });

    async function postRaw(params: Record<string, string>, headers: Record<string, string>) {
      return fetch(`${app.url}/voice/incoming`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(params),
      });
    }

    it('when the signature is missing, then 403 and nothing is written', async () => {
      const before = await countRows('calls');
      const response = await postRaw(params(), {});
      expect(response.status).to.equal(403);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when the signature is made with another token, then 403 and nothing is written', async () => {
      const p = params();
      const before = await countRows('calls');
      const forged = twilio.getExpectedTwilioSignature('not-our-token', `${app.url}/voice/incoming`, p);
      const response = await postRaw(p, { 'X-Twilio-Signature': forged });
      expect(response.status).to.equal(403);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when the signature was made for another URL, then 403 and nothing is written', async () => {
      const p = params();
      const before = await countRows('calls');
      const elsewhere = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://attacker.example/voice/incoming', p);
      const response = await postRaw(p, { 'X-Twilio-Signature': elsewhere });
      expect(response.status).to.equal(403);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when a signed body is tampered with, then 403 and nothing is written', async () => {
      const p = params();
      const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${app.url}/voice/incoming`, p);
      const before = await countRows('calls');
      const response = await postRaw({ ...p, From: '+15555550666' }, { 'X-Twilio-Signature': signature });
      expect(response.status).to.equal(403);
      expect(await countRows('calls')).to.equal(before);
    });
  });

  describe('malformed requests', () => {
    it('when the body is not a form, then 415 and nothing is written', async () => {
      const before = await countRows('calls');
      const response = await fetch(`${app.url}/voice/incoming`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ CallSid: newCallSid() }),
      });
      expect(response.status).to.equal(415);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when the body is larger than any Twilio webhook, then 413 and nothing is written', async () => {
      const before = await countRows('calls');
      const response = await fetch(`${app.url}/voice/incoming`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `CallSid=${newCallSid()}&Junk=${'x'.repeat(64 * 1024)}`,
      });
      expect(response.status).to.equal(413);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when a signed webhook lacks a valid CallSid, then 400 and nothing is written', async () => {
      const before = await countRows('calls');
      const response = await app.post('/voice/incoming', { CallSid: 'not-a-sid', From: app.demo.phone });
      expect(response.status).to.equal(400);
      expect(await countRows('calls')).to.equal(before);
    });
  });

  describe('PIN', () => {
    it('when the caller keys in the right PIN, then the call is bound to them and listening starts', async () => {
      const callSid = newCallSid();
      await ring(callSid);
      const { heard } = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
      expect(heard?.gather).to.include({ action: '/voice/turn', input: 'speech' });
      expect(heard?.gather?.attributes).to.include({ speechTimeout: 'auto', bargeIn: 'true' });
      expect(heard?.gather?.attributes.hints).to.include('todo');
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call.user_id).to.equal(app.demo.userId);
    });

    it('when the caller says the PIN in words, then it is accepted', async () => {
      const callSid = newCallSid();
      await ring(callSid);
      const spoken = app.demo.pin
        .split('')
        .map((digit) => ['oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][Number(digit)])
        .join(' ');
      const { heard } = await app.post('/voice/pin', { CallSid: callSid, SpeechResult: `${spoken}.` });
      expect(heard?.gather?.action).to.equal('/voice/turn');
    });

    it('when the PIN is wrong three times, then the call ends politely and stays unauthenticated', async () => {
      const callSid = newCallSid();
      await ring(callSid);
      const first = await app.post('/voice/pin', { CallSid: callSid, Digits: '0000' });
      expect(first.heard?.gather?.action).to.equal('/voice/pin');
      expect(first.reply).to.match(/2 tries left/);
      await app.post('/voice/pin', { CallSid: callSid, SpeechResult: 'banana' });
      const third = await app.post('/voice/pin', { CallSid: callSid, Digits: '9999' });
      expect(third.heard?.hangup).to.equal(true);
      expect(third.heard?.gather).to.equal(undefined);
      // Even the right PIN is refused now.
      const late = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
      expect(late.heard?.hangup).to.equal(true);
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ user_id: null, pin_attempts: 3 });
    });

    it('when wrong PINs keep coming over many calls, then the account locks and even the right PIN is refused', async () => {
      const wrongPin = async (callSid: string) => app.post('/voice/pin', { CallSid: callSid, Digits: '0000' });
      for (let calls = 0; calls < 4; calls++) {
        const callSid = newCallSid();
        await ring(callSid);
        for (let tries = 0; tries < 3 && calls * 3 + tries < 10; tries++) await wrongPin(callSid);
      }
      const callSid = newCallSid();
      await ring(callSid);
      const { heard } = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
      expect(heard?.gather?.action).to.equal('/voice/pin');
      expect((await app.db('calls').where({ call_sid: callSid }).first()).user_id).to.equal(null);
      // Unlocked again (as after the quarter hour), the right PIN works and clears the count.
      await app.db('users').where({ id: app.demo.userId }).update({ pin_locked_until: null });
      const later = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
      expect(later.heard?.gather?.action).to.equal('/voice/turn');
      expect(await app.db('users').where({ id: app.demo.userId }).first()).to.include({ pin_failures: 0 });
    });

    it('when the number calling is not a user, then the right-looking PIN is refused like any wrong one', async () => {
      const callSid = newCallSid();
      await ring(callSid, '+15555550777');
      const { heard } = await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin });
      expect(heard?.gather?.action).to.equal('/voice/pin');
    });
  });

  describe('turns', () => {
    it('when the CallSid is unknown, then the caller is told goodbye and no turn is recorded', async () => {
      const before = await countRows('turns');
      const { heard } = await app.post('/voice/turn', turnParams(newCallSid(), 'add a todo to buy milk'));
      expect(heard?.hangup).to.equal(true);
      expect(await countRows('turns')).to.equal(before);
      expect(await countRows('todos')).to.be.greaterThan(0); // the seed's, untouched
    });

    it('when the call has not signed in, then the turn never reaches the agent', async () => {
      const callSid = newCallSid();
      await ring(callSid);
      const todos = await countRows('todos');
      const { heard } = await app.post('/voice/turn', turnParams(callSid, 'add a todo to buy milk'));
      expect(heard?.hangup).to.equal(true);
      expect(await countRows('todos')).to.equal(todos);
      expect(await app.db('turns').where({ call_sid: callSid }).count('* as n').first()).to.deep.equal({ n: '0' });
    });

    it('when nothing or a single sound was heard, then the caller is asked again', async () => {
      const callSid = await app.signedInCall();
      for (const speech of ['', 'a', ' . ']) {
        const { heard } = await app.post('/voice/turn', turnParams(callSid, speech));
        expect(heard?.gather?.action).to.equal('/voice/turn');
        expect(heard?.said[0]).to.match(/didn't catch/);
      }
    });

    it('when the caller says goodbye, then they hear a farewell and the call hangs up', async () => {
      for (const goodbye of ['Bye.', "Okay, that's all, thanks.", 'hang up', 'Goodbye!']) {
        const callSid = await app.signedInCall();
        const { heard } = await app.post('/voice/turn', turnParams(callSid, goodbye));
        expect(heard?.hangup, goodbye).to.equal(true);
        expect(heard?.gather, goodbye).to.equal(undefined);
      }
    });

    it('when the caller asks for something, then the answer is spoken inside the next Gather', async () => {
      const callSid = await app.signedInCall();
      const { heard } = await app.post('/voice/turn', turnParams(callSid, 'add a todo to water the plants'));
      expect(heard?.gather?.action).to.equal('/voice/turn');
      expect(heard?.said[0]).to.match(/water the plants/i);
      const todo = await app.db('todos').where({ creator_id: app.demo.userId, title: 'water the plants' }).first();
      expect(todo).to.not.equal(undefined);
    });

    it('when Twilio retries a turn with the same idempotency token, then the tool runs once and the answer repeats', async () => {
      const callSid = await app.signedInCall();
      const headers = { 'I-Twilio-Idempotency-Token': `retry-${callSid}` };
      const first = await app.post('/voice/turn', turnParams(callSid, 'add a todo to renew the passport'), headers);
      const retry = await app.post('/voice/turn', turnParams(callSid, 'add a todo to renew the passport'), headers);
      expect(retry.reply).to.equal(first.reply);
      const rows = await app.db('todos').where({ creator_id: app.demo.userId, title: 'renew the passport' });
      expect(rows).to.have.length(1);
    });

    it('when a retry comes without a token, then the same utterance right after is recognised as the retry', async () => {
      const callSid = await app.signedInCall();
      const noToken = { 'I-Twilio-Idempotency-Token': '' };
      await app.post('/voice/turn', turnParams(callSid, 'add a todo to book the vet'), noToken);
      await app.post('/voice/turn', turnParams(callSid, 'add a todo to book the vet'), noToken);
      const rows = await app.db('todos').where({ creator_id: app.demo.userId, title: 'book the vet' });
      expect(rows).to.have.length(1);
    });

    it('when the caller asks for a person and no transfer target is configured, then they are told so and kept on the line', async () => {
      const callSid = await app.signedInCall();
      const { heard } = await app.post('/voice/turn', turnParams(callSid, 'put me through to a person'));
      expect(heard?.dial).to.equal(undefined);
      expect(heard?.said[0]).to.match(/no one is set up/);
      expect(heard?.gather?.action).to.equal('/voice/turn');
    });
  });

  describe('status', () => {
    it('when Twilio reports the call completed, then the final status and duration are recorded', async () => {
      const callSid = await app.signedInCall();
      const response = await app.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '42' });
      expect(response.status).to.equal(204);
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ status: 'completed', duration_seconds: 42 });
      expect(call.ended_at).to.be.instanceOf(Date);
    });

    it('when Twilio reports a call still in progress, then the call stays open', async () => {
      const callSid = await app.signedInCall();
      await app.post('/voice/status', { CallSid: callSid, CallStatus: 'in-progress' });
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ status: 'in-progress', ended_at: null, duration_seconds: null });
    });

    it('when the final status is delivered twice, then the first one stands', async () => {
      const callSid = await app.signedInCall();
      await app.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '42' });
      await app.post('/voice/status', { CallSid: callSid, CallStatus: 'failed', CallDuration: '99' });
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ status: 'completed', duration_seconds: 42 });
    });

    it('when the status names a call we never saw, then nothing is created', async () => {
      const before = await countRows('calls');
      const response = await app.post('/voice/status', { CallSid: newCallSid(), CallStatus: 'completed' });
      expect(response.status).to.equal(204);
      expect(await countRows('calls')).to.equal(before);
    });
  });

  describe('a failing database', () => {
    it('when the database fails mid-call, then the caller hears an apology in TwiML, not an application error', async () => {
      const callSid = await app.signedInCall();
      await app.db.raw('alter table calls rename to calls_away');
      try {
        const { status, heard } = await app.post('/voice/turn', turnParams(callSid, 'what are my todos'));
        expect(status).to.equal(200);
        expect(heard?.said[0]).to.match(/something went wrong/);
        expect(heard?.gather?.action).to.equal('/voice/turn');
      } finally {
        await app.db.raw('alter table calls_away rename to calls');
      }
    });
  });

  describe('health', () => {
    it('when the database answers, then /healthz and /readyz are ok', async () => {
      expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    });
  });
});

describe('voice transfer', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ TRANSFER_NUMBER: '+15555550123' });
  });
  after(() => app.close());

  it('when the caller asks for a person, then the call is dialled to TRANSFER_NUMBER', async () => {
    const callSid = await app.signedInCall();
    const { heard } = await app.post('/voice/turn', turnParams(callSid, 'can I talk to a human please'));
    expect(heard?.dial).to.deep.equal({ number: '+15555550123' });
  });
});

describe('TwiML reading', () => {
  it('when TwiML is not a Response, then reading it fails loudly', () => {
    expect(() => readTwiml('<html/>')).to.throw(/not TwiML/);
  });
});

describe('the URL Twilio signed', () => {
  async function post(app: TestApp, signedUrl: string, headers: Record<string, string> = {}) {
    const params = { CallSid: newCallSid(), From: app.demo.phone, CallStatus: 'ringing' };
    const response = await fetch(`${app.url}/voice/incoming`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, signedUrl, params),
        ...headers,
      },
      body: new URLSearchParams(params),
    });
    return response.status;
  }

  describe('with PUBLIC_BASE_URL', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ PUBLIC_BASE_URL: 'https://voice.example.com/' });
    });
    after(() => app.close());

    it('when Twilio signed the public URL, then the webhook is accepted, and a signature for the local URL is not', async () => {
      expect(await post(app, 'https://voice.example.com/voice/incoming')).to.equal(200);
      expect(await post(app, `${app.url}/voice/incoming`)).to.equal(403);
    });
  });

  describe('behind a proxy', () => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'tunnel.example.net' };

    it('when TRUST_PROXY is on, then the forwarded host and scheme rebuild the signed URL', async () => {
      const app = await startTestApp({ TRUST_PROXY: 'true' });
      try {
        expect(await post(app, 'https://tunnel.example.net/voice/incoming', forwarded)).to.equal(200);
      } finally {
        await app.close();
      }
    });

    it('when TRUST_PROXY is off, then forwarded headers are ignored', async () => {
      const app = await startTestApp();
      try {
        expect(await post(app, 'https://tunnel.example.net/voice/incoming', forwarded)).to.equal(403);
      } finally {
        await app.close();
      }
    });
  });
});
