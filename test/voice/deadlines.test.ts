import { expect } from 'chai';
import { newCallSid } from '../../src/simulator/call.ts';
import { settleStaleWork } from '../../src/voice/turns.ts';
import { completion, gate, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { startTestApp, turnParams, type TestApp } from '../support/app.ts';

// Short, so that waiting out a lock costs the suite little; the promise is the same at 14 s.
const DEADLINE_MS = 2_000;
// Network, event loop and a loaded test machine: an answer that left by the deadline arrives within this.
const SLACK_MS = 1_000;

describe('webhook deadlines', function () {
  this.timeout(30_000);
  let app: TestApp;
  let fake: FakeOpenAi;
  before(async () => {
    fake = await startFakeOpenAi();
    app = await startTestApp({
      WEBHOOK_DEADLINE_MS: String(DEADLINE_MS),
      AGENT_TURN_TIMEOUT_MS: '800',
      AGENT_MAX_REDIRECTS: '1',
      TOOL_TIMEOUT_MS: '10000',
      DATABASE_POOL_MAX: '2',
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      OPENAI_BASE_URL: fake.baseURL,
    });
  });
  after(async () => {
    await app.close();
    await fake.close();
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const started = performance.now();
    const result = await work();
    return { ms: performance.now() - started, result };
  }

  it('when another transaction holds the call row, then the turn is answered by the deadline with an apology, and no turn is made', async () => {
    const callSid = await app.signedInCall();
    const holder = await app.db.transaction();
    try {
      await holder('calls').where({ call_sid: callSid }).forUpdate();
      const { ms, result } = await timed(() => app.post('/voice/turn?seq=1', turnParams(callSid, 'add a todo to wait')));
      expect(ms).to.be.below(DEADLINE_MS + SLACK_MS);
      expect(result.status).to.equal(200);
      expect(result.reply).to.match(/couldn't do that/);
      // Next time, the next number: a turn made late for this request could never take its place.
      expect(result.heard?.gather?.action).to.equal('/voice/turn?seq=2');
    } finally {
      await holder.rollback();
    }
    expect(await app.db('turns').where({ call_sid: callSid })).to.have.length(0);
  });

  it('when the turns table is locked, then turn, redirect and status webhooks all answer by the deadline', async () => {
    const callSid = await app.signedInCall();
    const holder = await app.db.transaction();
    try {
      await holder.raw('lock table turns in access exclusive mode');
      const answers = await Promise.all([
        timed(() => app.post('/voice/turn?seq=1', turnParams(callSid, 'what is on today'))),
        timed(() => app.post(`/voice/turn/result?turn=${crypto.randomUUID()}`, { CallSid: callSid })),
        timed(() => app.post('/voice/status', { CallSid: callSid, CallStatus: 'in-progress' })),
      ]);
      for (const { ms, result } of answers) {
        expect(ms, result.webhook).to.be.below(DEADLINE_MS + SLACK_MS);
        expect(result.status, result.webhook).to.be.oneOf([200, 204]);
      }
    } finally {
      await holder.rollback();
    }
  });

  it('when tool work holds every connection of its pool, then callers still sign in', async () => {
    const holder = await app.db.transaction();
    const turnsBlocked: Promise<unknown>[] = [];
    try {
      await holder.raw('lock table todos in access exclusive mode');
      // More blocked tools than the agent's pool has connections (DATABASE_POOL_MAX=2).
      for (let i = 0; i < 3; i++) {
        fake.script(completion({ toolCalls: [{ name: 'create_todo', arguments: JSON.stringify({ title: `blocked ${i}` }) }] }));
      }
      fake.otherwise(completion({ content: 'Done.' }));
      const asked = fake.requests.length + 2;
      for (let i = 0; i < 3; i++) {
        const callSid = await app.signedInCall();
        turnsBlocked.push(app.post('/voice/turn?seq=1', turnParams(callSid, `add blocked ${i}`)));
      }
      await fake.received(asked); // two tools hold the agent's two connections
      const callSid = newCallSid();
      await app.post('/voice/incoming', { CallSid: callSid, From: app.demo.phone, To: '+15555550199', CallStatus: 'ringing' });
      const { result } = await timed(() => app.post('/voice/pin', { CallSid: callSid, Digits: app.demo.pin }));
      expect(result.heard?.gather?.action).to.equal('/voice/turn?seq=1');
    } finally {
      await holder.rollback();
      await Promise.all(turnsBlocked);
    }
  });

  it('when a turn was left running by an instance that died, then the sweep settles it with what its effects warrant', async () => {
    const callSid = await app.signedInCall();
    const slow = gate();
    fake.script(async () => {
      await slow.opened;
      return completion({ content: 'too late' });
    });
    const held = await app.post('/voice/turn?seq=1', turnParams(callSid, 'think about it'));
    expect(held.heard?.redirect).to.match(/turn=/);
    // As if its instance had died: nobody will ever settle it but the sweep.
    const [turn] = await app.db('turns').where({ call_sid: callSid });
    const settled = await settleStaleWork(app.db, { turnBudgetMs: 0, callMaxMs: 24 * 3600_000 });
    expect(settled.turns).to.be.at.least(1);
    expect(await app.db('turns').where({ id: turn.id }).first()).to.include({ status: 'failed', end_reason: 'timed_out' });
    slow.open();
    const collected = await app.post(held.heard!.redirect!, { CallSid: callSid });
    expect(collected.reply).to.match(/nothing was changed/);
  });

  it('when a call never got its final status, then the sweep closes it once it is older than any call can be, and its webhooks are refused', async () => {
    const callSid = await app.signedInCall();
    await app.db('calls').where({ call_sid: callSid }).update({ started_at: app.db.raw(`now() - interval '25 hours'`) });
    await settleStaleWork(app.db, { turnBudgetMs: 60_000, callMaxMs: 24 * 3600_000 });
    expect(await app.db('calls').where({ call_sid: callSid }).first()).to.include({ status: 'abandoned' });
    const late = await app.post('/voice/turn?seq=1', turnParams(callSid, 'add a todo to be late'));
    expect(late.reply).to.match(/call has ended/);
  });
});
