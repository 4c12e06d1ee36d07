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

  describe('the guard in front of every webhook', () => {
    const unsigned = (path: string, headers: Record<string, string> = {}, body?: string) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: body ?? new URLSearchParams({ CallSid: newCallSid(), From: app.demo.phone, CallStatus: 'ringing' }).toString(),
      });

    it('when a webhook path is spelt in another case or with a trailing slash, then unsigned it is refused with 403 and nothing is written', async () => {
      const before = await countRows('calls');
      for (const path of ['/VOICE/INCOMING', '/Voice/Incoming', '/voice/incoming/', '/voice//incoming', '/voice/Pin', '/nothing-here']) {
        expect((await unsigned(path)).status, path).to.equal(403);
      }
      expect(await countRows('calls')).to.equal(before);
    });

    it('when a signed request uses another case, then it reaches no handler', async () => {
      const before = await countRows('calls');
      const { status } = await app.post('/VOICE/INCOMING', { CallSid: newCallSid(), From: app.demo.phone, CallStatus: 'ringing' });
      expect(status).to.equal(404);
      expect(await countRows('calls')).to.equal(before);
    });

    it('when an unsigned request claims a compressed body, then 415 (not 500) and nothing is written', async () => {
      const before = await countRows('calls');
      for (const encoding of ['gzip', 'deflate', 'br']) {
        expect((await unsigned('/voice/incoming', { 'Content-Encoding': encoding })).status, encoding).to.equal(415);
      }
      expect(await countRows('calls')).to.equal(before);
    });

    it('when webhooks get bodies no Twilio request has, then none of them answers 500', async () => {
      const callSid = await app.signedInCall();
      const bad: Array<[string, Record<string, string>]> = [
        ['/voice/incoming', {}],
        ['/voice/incoming', { CallSid: callSid, From: 'x'.repeat(100) }],
        ['/voice/pin', { CallSid: callSid, Digits: '1'.repeat(100) }],
        ['/voice/turn', { CallSid: callSid, SpeechResult: 'x'.repeat(3000) }],
        ['/voice/turn', { CallSid: callSid, SpeechResult: 'hi', Confidence: 'very' }],
        ['/voice/turn?seq=0', { CallSid: callSid, SpeechResult: 'hi' }],
        ['/voice/turn?seq=abc', { CallSid: callSid, SpeechResult: 'hi' }],
        ['/voice/turn/result?turn=not-a-uuid', { CallSid: callSid }],
        ['/voice/status', { CallSid: callSid, CallStatus: 'exploded' }],
        ['/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '99999999999' }],
        ['/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '-1' }],
      ];
      for (const [path, params] of bad) {
        const { status } = await app.post(path, params);
        expect(status, `${path} ${JSON.stringify(params).slice(0, 80)}`).to.equal(400);
      }
      const call = await app.db('calls').where({ call_sid: callSid }).first();
      expect(call).to.include({ ended_at: null, duration_seconds: null });
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
      expect(heard?.gather).to.include({ action: '/voice/turn?seq=1', input: 'speech' });
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
      expect(heard?.gather?.action).to.equal('/voice/turn?seq=1');
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
      expect(heard?.gather?.action).to.equal('/voice/turn?seq=2');
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
      expect(heard?.gather?.action).to.match(/^\/voice\/turn\?seq=\d+$/);
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

    it('when the database fails, then the status callback is still answered 204, and the failure is logged', async () => {
      const callSid = await app.signedInCall();
      await app.db.raw('alter table calls rename to calls_away');
      try {
        const response = await app.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '42' });
        expect(response.status).to.equal(204);
      } finally {
        await app.db.raw('alter table calls_away rename to calls');
      }
      expect(app.logs.some((line) => line.msg === 'status callback not recorded' && line['twilio.call_sid'] === callSid)).to.equal(true);
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

  describe('an ended call', () => {
    it('when webhooks of a call that has ended are replayed, then each is refused and nothing is written', async () => {
      const callSid = await app.signedInCall();
      const first = await app.post('/voice/turn?seq=1', turnParams(callSid, 'add a todo to feed the cat'));
      expect(first.reply).to.match(/feed the cat/);
      await app.post('/voice/status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '30' });
      const turns = await app.db('turns').where({ call_sid: callSid });

      const replays = [
        await app.post('/voice/incoming', { CallSid: callSid, From: app.demo.phone, CallStatus: 'ringing' }),
        await app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin }),
        await app.post('/voice/turn?seq=1', turnParams(callSid, 'add a todo to feed the cat')),
        await app.post('/voice/turn?seq=2', turnParams(callSid, 'add a todo to feed the cat')),
        await app.post('/voice/turn', turnParams(callSid, 'add a todo to feed the cat')),
        await app.post(`/voice/turn/result?turn=${turns[0].id}`, { CallSid: callSid }),
      ];
      for (const replay of replays) {
        expect(replay.status).to.equal(200);
        expect(replay.heard?.hangup, replay.webhook).to.equal(true);
        expect(replay.reply).to.match(/call has ended/);
      }
      expect(await app.db('turns').where({ call_sid: callSid })).to.have.length(turns.length);
      expect(await app.db('todos').where({ creator_id: app.demo.userId, title: 'feed the cat' })).to.have.length(1);
    });
  });

  describe('replays', () => {
    it('when a signed turn is replayed with fresh idempotency tokens, then it finds its turn and nothing runs again', async () => {
      const callSid = await app.signedInCall();
      const said = turnParams(callSid, 'add a todo to water the ferns');
      const first = await app.post('/voice/turn?seq=1', said);
      expect(first.heard?.gather?.action).to.equal('/voice/turn?seq=2');
      const replay = await app.post('/voice/turn?seq=1', said, { 'I-Twilio-Idempotency-Token': 'a-fresh-token' });
      await app.post('/voice/turn?seq=2', turnParams(callSid, 'what are my todos'));
      const later = await app.post('/voice/turn?seq=1', said, { 'I-Twilio-Idempotency-Token': 'another-fresh-token' });
      expect(replay.reply).to.equal(first.reply);
      expect(later.reply).to.equal(first.reply);
      expect(await app.db('todos').where({ creator_id: app.demo.userId, title: 'water the ferns' })).to.have.length(1);
      expect(await app.db('turns').where({ call_sid: callSid })).to.have.length(2);
    });

    it('when an old numbered request that never made a turn arrives after a later turn, then nothing runs and the caller is asked again', async () => {
      const callSid = await app.signedInCall();
      await app.post('/voice/turn?seq=3', turnParams(callSid, 'what are my todos'));
      const old = await app.post('/voice/turn?seq=2', turnParams(callSid, 'add a todo to buy stamps'));
      expect(old.reply).to.match(/say that again/);
      expect(old.heard?.gather?.action).to.equal('/voice/turn?seq=4');
      expect(await app.db('todos').where({ creator_id: app.demo.userId, title: 'buy stamps' })).to.have.length(0);
      expect(await app.db('turns').where({ call_sid: callSid })).to.have.length(1);
    });

    it('when two calls send the same idempotency token, then each gets its own turn', async () => {
      const token = { 'I-Twilio-Idempotency-Token': 'shared-token-from-two-calls' };
      const one = await app.signedInCall();
      const two = await app.signedInCall();
      const first = await app.post('/voice/turn', turnParams(one, 'add a todo to call the bank'), token);
      const second = await app.post('/voice/turn', turnParams(two, 'add a todo to call the school'), token);
      expect(first.reply).to.match(/bank/);
      expect(second.reply).to.match(/school/);
      expect(await app.db('todos').where({ creator_id: app.demo.userId, title: 'call the school' })).to.have.length(1);
    });
  });

  describe('health', () => {
    it('when the database answers, then /healthz and /readyz are ok', async () => {
      expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    });

    it('when a client keeps its connection alive, then the app keeps it longer than a proxy would (65 s), so the proxy closes first', async () => {
      const response = await fetch(`${app.url}/healthz`);
      expect(response.headers.get('keep-alive')).to.equal('timeout=65');
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
