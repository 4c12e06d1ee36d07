import { expect } from 'chai';
import { MAX_ATTEMPTS } from '../../src/agent/openai-provider.ts';
import { PIN_FAILURES_PER_LOCK } from '../../src/db/pin-lockout.ts';
import { createUser } from '../../src/db/users.ts';
import { settleStaleWork } from '../../src/voice/turns.ts';
import { eventually } from '../support/eventually.ts';
import { apiError, completion, gate, type ChatRequest, type FakeReply } from '../support/fake-openai.ts';
import type { SpawnedApp } from '../telemetry/spawned-app.ts';
import { FAULT_ENV, logged, logsCaughtUp, phoneCall, PIN, SLACK_MS, startCluster, type Cluster } from './instances.ts';

const DEADLINE_MS = Number(FAULT_ENV.WEBHOOK_DEADLINE_MS);

/** The model's side of a write: asks for create_todo with the caller's words, then says it is done. */
function todoWriter(request: ChatRequest): FakeReply {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return completion({ content: 'Done with that.' });
  const title = String(last?.content ?? '').replace(/^add a todo to /, '');
  return completion({ toolCalls: [{ name: 'create_todo', arguments: JSON.stringify({ title }) }] });
}

describe('two instances on one PostgreSQL, under faults', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let a: SpawnedApp;
  let b: SpawnedApp;

  before(async () => {
    cluster = await startCluster(2);
    [a, b] = cluster.instances as [SpawnedApp, SpawnedApp];
  });
  after(() => cluster?.close());
  beforeEach(async () => {
    // Work a previous test left (a turn given up on whose tool still rolls back) is over first.
    await eventually(async () => (await db()('turns').where({ status: 'running' })).length === 0, 'no turn is running');
    cluster.openai.requests.length = 0;
    cluster.openai.arrivals.length = 0;
    cluster.openai.otherwise(apiError(500, 'no scripted reply left'));
  });
  afterEach(() => expect(cluster.openai.pending(), 'scripted model replies never asked for').to.equal(0));

  const db = () => cluster.database.db;
  const todosTitled = (title: string) => db()('todos').where({ creator_id: cluster.demo.userId, title });
  const executions = (toolCallId: string) => db()('tool_executions').where({ tool_call_id: toolCallId });
  const toolResults = (toolCallId: string) => db()('messages').where({ role: 'tool', tool_call_id: toolCallId });

  async function signedIn(app: SpawnedApp, stirVerstat?: string) {
    const call = phoneCall(cluster.demo.phone, stirVerstat);
    await call.ring(app);
    const signIn = await call.pin(app);
    expect(signIn.heard?.gather?.action).to.equal('/voice/turn?seq=1');
    return call;
  }

  /** Backends of the app waiting on a lock: a tool blocked in its transaction. */
  async function lockWaiters(): Promise<number[]> {
    const { rows } = await db().raw<{ rows: { pid: number }[] }>(
      `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    return rows.map((row) => row.pid);
  }

  async function lockTodos() {
    const holder = await db().transaction();
    await holder.raw('lock table todos in access exclusive mode');
    return holder;
  }

  describe('giving up', () => {
    it('when the turn runs on A and the last redirect reaches B, then B gives up, and the tool A is asked for afterwards commits nothing', async () => {
      const call = await signedIn(a);
      const thinking = gate();
      cluster.openai.script(async () => {
        await thinking.opened;
        return completion({ toolCalls: [{ id: 'call_after_stop', name: 'create_todo', arguments: '{"title":"after the stop"}' }] });
      });
      const first = await call.say(a, 'add a todo to after the stop');
      expect(first.heard?.redirect).to.match(/turn=/);
      const last = await call.waitForAnswer(first, () => b);
      expect(last.reply).to.match(/nothing was changed/);

      thinking.open();
      await eventually(async () => (await toolResults('call_after_stop')).length > 0, 'A has recorded the rolled-back tool');
      expect(await todosTitled('after the stop')).to.have.length(0);
      expect(await executions('call_after_stop')).to.have.length(0);
      expect(cluster.openai.requests).to.have.length(1); // no model round after the give-up
      expect(call.slowest).to.be.below(DEADLINE_MS + SLACK_MS);

      // Asking again makes exactly one.
      cluster.openai.otherwise(todoWriter);
      const again = await call.waitForAnswer(await call.say(b, 'add a todo to after the stop'), () => a);
      expect(again.reply).to.equal('Done with that.');
      expect(await todosTitled('after the stop')).to.have.length(1);
    });

    it('when B gives up while the tool on A waits inside its transaction, then that transaction rolls back', async () => {
      const call = await signedIn(a);
      const holder = await lockTodos();
      try {
        cluster.openai.script(completion({ toolCalls: [{ id: 'call_in_tx', name: 'create_todo', arguments: '{"title":"inside the transaction"}' }] }));
        const first = await call.say(a, 'add a todo to inside the transaction');
        await eventually(async () => (await lockWaiters()).length > 0, "A's tool waits on the lock");
        const last = await call.waitForAnswer(first, () => b);
        expect(last.reply).to.match(/nothing was changed/);
      } finally {
        await holder.rollback();
      }
      await eventually(async () => (await toolResults('call_in_tx')).length > 0, 'A has recorded the rolled-back tool');
      expect(await todosTitled('inside the transaction')).to.have.length(0);
      expect(await executions('call_in_tx')).to.have.length(0);
      expect(JSON.parse((await toolResults('call_in_tx'))[0].content).error).to.match(/nothing was changed/);
      expect(call.slowest).to.be.below(DEADLINE_MS + SLACK_MS);
    });

    it('when A committed an effect before B gave up, then the caller is told part of it was done, and it was', async () => {
      const call = await signedIn(a);
      const thinking = gate();
      cluster.openai.script(completion({ toolCalls: [{ id: 'call_before_stop', name: 'create_todo', arguments: '{"title":"before the stop"}' }] }), async () => {
        await thinking.opened;
        return completion({ content: 'Added.' });
      });
      const last = await call.waitForAnswer(await call.say(a, 'add a todo to before the stop'), () => b);
      thinking.open();
      expect(last.reply).to.match(/part of it was already done/);
      expect(await todosTitled('before the stop')).to.have.length(1);
      expect(await executions('call_before_stop')).to.have.length(1);
      expect(await toolResults('call_before_stop')).to.have.length(1);
    });
  });

  describe('the database misbehaving', () => {
    it("when a tool's connection is killed mid-transaction, then the model hears nothing changed, nothing did, and every instance carries on", async () => {
      const call = await signedIn(a);
      const holder = await lockTodos();
      cluster.openai.script(
        completion({ toolCalls: [{ id: 'call_killed', name: 'create_todo', arguments: '{"title":"killed connection"}' }] }),
        completion({ content: "Sorry, I couldn't add that." }),
      );
      const answered = call.say(a, 'add a todo to killed connection');
      try {
        await eventually(async () => (await lockWaiters()).length > 0, "A's tool waits on the lock");
        const [pid] = await lockWaiters();
        await db().raw('select pg_terminate_backend(?)', [pid!]);
      } finally {
        await holder.rollback();
      }
      const last = await call.waitForAnswer(await answered, () => b);
      expect(last.reply).to.equal("Sorry, I couldn't add that.");
      const told = cluster.openai.requests[1]!.messages.find((message) => message.tool_call_id === 'call_killed');
      expect(told?.content).to.match(/nothing was changed/);
      expect(await todosTitled('killed connection')).to.have.length(0);
      expect(await executions('call_killed')).to.have.length(0);

      // Every connection of both instances killed between turns: both recover at the next webhook.
      await db().raw(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      for (const app of [a, b]) {
        const next = await signedIn(app);
        cluster.openai.script(completion({ content: 'Still here.' }));
        expect((await next.waitForAnswer(await next.say(app, 'are you there'), () => app)).reply).to.equal('Still here.');
      }
    });

    it('when the todos table stays locked, then ten callers still sign in on both instances, and every turn is answered by the deadline', async () => {
      // Ten, not more: each PIN check is deliberately slow (scrypt), and this machine has two cores.
      const callers = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const phone = `+1555010${String(i).padStart(4, '0')}`;
          await createUser(db(), { name: `Caller ${i}`, email: `caller${i}@fault.test`, phone, pin: PIN });
          return phone;
        }),
      );
      const holder = await lockTodos();
      cluster.openai.otherwise(todoWriter);
      const writers: Promise<{ reply: string; slowest: number }>[] = [];
      try {
        // More blocked tools than the agent pools hold connections (3 each).
        for (let i = 0; i < 8; i++) {
          const app = i % 2 ? a : b;
          const call = await signedIn(app);
          writers.push(
            call
              .say(app, `add a todo to locked ${i}`)
              .then((first) => call.waitForAnswer(first, (redirect) => (redirect % 2 ? a : b)))
              .then((last) => ({ reply: last.reply, slowest: call.slowest })),
          );
        }
        await eventually(async () => (await lockWaiters()).length >= 4, 'tools wait on the lock');
        const signIns = await Promise.all(
          callers.map(async (phone, i) => {
            const call = phoneCall(phone);
            const app = i % 2 ? a : b;
            await call.ring(app);
            const answer = await call.pin(app, PIN);
            return { accepted: answer.heard?.gather?.action === '/voice/turn?seq=1', slowest: call.slowest };
          }),
        );
        expect(signIns.filter((signIn) => signIn.accepted)).to.have.length(callers.length);
        expect(Math.max(...signIns.map((signIn) => signIn.slowest))).to.be.below(DEADLINE_MS + SLACK_MS);
        const answers = await Promise.all(writers);
        for (const answer of answers) {
          expect(answer.reply).to.match(/nothing was changed|couldn't do that|can't tell/);
          expect(answer.slowest).to.be.below(DEADLINE_MS + SLACK_MS);
        }
      } finally {
        await holder.rollback();
      }
      await eventually(async () => (await lockWaiters()).length === 0, 'the blocked tools are gone');
      expect(await db()('todos').where('title', 'like', 'locked %')).to.have.length(0);
    });
  });

  describe('a model that fails', () => {
    it('when the model answers 500 forever, then each turn costs it at most three requests, on either instance, and every caller hears an apology', async () => {
      cluster.openai.otherwise(apiError(500, 'The server had an error'));
      const turns = 8;
      const calls = await Promise.all(Array.from({ length: 4 }, (_, i) => signedIn(i % 2 ? a : b)));
      const replies = await Promise.all(
        calls.map(async (call, i) => {
          const heard: string[] = [];
          for (let turn = 0; turn < turns / calls.length; turn++) {
            const app = (i + turn) % 2 ? a : b;
            heard.push((await call.waitForAnswer(await call.say(app, `what about ${turn}`), () => app)).reply);
          }
          return heard;
        }),
      );
      expect(replies.flat().every((reply) => /sorry/i.test(reply))).to.equal(true);
      expect(cluster.openai.requests).to.have.length(turns * MAX_ATTEMPTS);
    });
  });

  describe('replays', () => {
    it('when a signed turn is replayed to the other instance with a new idempotency token, and again after the call ended, then it runs once', async () => {
      const call = await signedIn(a);
      cluster.openai.script(
        completion({ toolCalls: [{ id: 'call_replayed', name: 'create_todo', arguments: '{"title":"replayed once"}' }] }),
        completion({ content: 'Added replayed once.' }),
      );
      const said = { SpeechResult: 'add a todo to replayed once', Confidence: '0.92' };
      const first = await call.post(a, '/voice/turn?seq=1', said);
      expect(first.reply).to.equal('Added replayed once.');
      const replay = await call.post(b, '/voice/turn?seq=1', said, { 'I-Twilio-Idempotency-Token': 'replayed-with-a-new-token' });
      expect(replay.reply).to.equal(first.reply);
      await call.hangUp(b);
      const afterEnd = await call.post(a, '/voice/turn?seq=1', said, { 'I-Twilio-Idempotency-Token': 'and-another' });
      expect(afterEnd.reply).to.match(/call has ended/);
      expect(await todosTitled('replayed once')).to.have.length(1);
      expect(await db()('turns').where({ call_sid: call.callSid })).to.have.length(1);
    });
  });

  describe('PIN guesses fired at once at both instances', () => {
    afterEach(() => db()('pin_lockouts').delete());
    /** PINs checked on either instance for these calls: each wrong one logs "pin rejected". */
    async function checked(callSids: string[]): Promise<number> {
      await Promise.all([a, b].map(logsCaughtUp));
      return [a, b].flatMap((app) => logged(app, 'pin rejected')).filter((line) => callSids.includes(String(line['twilio.call_sid']))).length;
    }

    it('when twelve guesses on one call arrive at once, then three are checked', async () => {
      const call = phoneCall(cluster.demo.phone);
      await call.ring(a);
      await Promise.all(Array.from({ length: 12 }, (_, i) => call.pin(i % 2 ? a : b, '0000')));
      expect(await checked([call.callSid])).to.equal(3);
      expect((await db()('calls').where({ call_sid: call.callSid }).first()).pin_attempts).to.equal(3);
    });

    it(`when thirty guesses over ten calls arrive at once, then ${PIN_FAILURES_PER_LOCK} are checked, the account locks, and its owner on an attested line still gets in`, async () => {
      const calls = Array.from({ length: 10 }, () => phoneCall(cluster.demo.phone));
      await Promise.all(calls.map((call, i) => call.ring(i % 2 ? a : b)));
      await Promise.all(calls.flatMap((call, i) => [0, 1, 2].map((j) => call.pin((i + j) % 2 ? a : b, '0000'))));
      expect(await checked(calls.map((call) => call.callSid))).to.equal(PIN_FAILURES_PER_LOCK);
      const spoofed = phoneCall(cluster.demo.phone);
      await spoofed.ring(b);
      expect((await spoofed.pin(b)).reply).to.match(/paused/);
      await signedIn(a, 'TN-Validation-Passed-A');
    });
  });

  describe('an instance that dies', () => {
    it('when an instance is killed right after a tool committed, then effect, claim and history agree, and the sweep tells the caller part was done', async () => {
      const doomed = await cluster.spawn();
      const call = await signedIn(doomed);
      cluster.openai.script(
        completion({ toolCalls: [{ id: 'call_crash', name: 'create_todo', arguments: '{"title":"survives the crash"}' }] }),
        async () => {
          await doomed.stop('SIGKILL'); // the tool's transaction has committed: this is the next model round
          return completion({ content: 'never heard' });
        },
      );
      const lost = await call.say(doomed, 'add a todo to survives the crash').catch((error: unknown) => error);
      expect(lost).to.be.instanceOf(Error); // the webhook died with its instance
      expect(await todosTitled('survives the crash')).to.have.length(1);
      expect(await executions('call_crash')).to.have.length(1).and.to.have.nested.property('[0].status', 'succeeded');
      expect(await toolResults('call_crash')).to.have.length(1);

      const [turn] = await db()('turns').where({ call_sid: call.callSid });
      expect(turn.status).to.equal('running');
      await settleStaleWork(db(), { turnBudgetMs: 0, callMaxMs: 24 * 3600_000 });
      const collected = await call.post(a, `/voice/turn/result?turn=${turn.id}`);
      expect(collected.reply).to.match(/part of it was already done/);
    });

    it('when an instance is killed while its tool waits inside the transaction, then nothing of that tool ever commits', async () => {
      const doomed = await cluster.spawn();
      const call = await signedIn(doomed);
      const holder = await lockTodos();
      let pid: number | undefined;
      try {
        cluster.openai.script(completion({ toolCalls: [{ id: 'call_died', name: 'create_todo', arguments: '{"title":"died waiting"}' }] }));
        const lost = call.say(doomed, 'add a todo to died waiting').catch((error: unknown) => error);
        await eventually(async () => (await lockWaiters()).length > 0, "the doomed instance's tool waits on the lock");
        pid = (await lockWaiters())[0];
        await doomed.stop('SIGKILL');
        expect(await lost).to.be.instanceOf(Error);
      } finally {
        await holder.rollback();
      }
      // Its backend finds its client gone as soon as it runs again, and rolls back.
      await eventually(async () => !(await db().raw('select 1 from pg_stat_activity where pid = ?', [pid!])).rows.length, 'the backend is gone');
      expect(await todosTitled('died waiting')).to.have.length(0);
      expect(await executions('call_died')).to.have.length(0);
      expect(await toolResults('call_died')).to.have.length(0);
      const [turn] = await db()('turns').where({ call_sid: call.callSid });
      await settleStaleWork(db(), { turnBudgetMs: 0, callMaxMs: 24 * 3600_000 });
      expect((await call.post(b, `/voice/turn/result?turn=${turn.id}`)).reply).to.match(/nothing was changed/);
    });
  });
});
