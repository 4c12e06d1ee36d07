// The fault figures docs/benchmarks.md quotes, at the default settings (14 s webhook deadline, 10 s turn
// timeout, 3 redirects, 8 s tool timeout), on two app instances sharing one PostgreSQL database:
// how many requests a failing model server gets per turn, how soon a caller hears that the model
// is unreachable, and the slowest webhook answer while a table or a call row stays locked.
//
//   npx tsx bench/faults.ts [--lock-seconds 20] [--callers 30]
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { createUser } from '../src/db/users.ts';
import { apiError, completion, type ChatRequest } from '../test/support/fake-openai.ts';
import { phoneCall, PIN, startCluster } from '../test/fault/instances.ts';

const { values } = parseArgs({
  options: { 'lock-seconds': { type: 'string', default: '20' }, callers: { type: 'string', default: '30' } },
});
const lockMs = Number(values['lock-seconds']) * 1000;
const callers = Number(values.callers);

const DEFAULTS = {
  WEBHOOK_DEADLINE_MS: '14000',
  AGENT_TURN_TIMEOUT_MS: '10000',
  AGENT_MAX_REDIRECTS: '3',
  TOOL_TIMEOUT_MS: '8000',
  DATABASE_POOL_MAX: '10',
};

const rows: [string, string][] = [];
const row = (what: string, figure: string) => void rows.push([what, figure]);
const ms = (value: number) => `${Math.round(value)} ms`;

const cluster = await startCluster(2, DEFAULTS);
const [a, b] = cluster.instances as [NonNullable<(typeof cluster.instances)[0]>, NonNullable<(typeof cluster.instances)[0]>];
const pick = (i: number) => (i % 2 ? a : b);

/** Calls of the demo caller, signed in one after another (simultaneous sign-ins of one account count as guesses). */
async function signedInCalls(count: number) {
  const calls = [];
  for (let i = 0; i < count; i++) {
    const call = phoneCall(cluster.demo.phone);
    await call.ring(pick(i));
    await call.pin(pick(i));
    calls.push(call);
  }
  return calls;
}
try {
  // A model server that answers 500, without Retry-After, to everything.
  {
    cluster.openai.otherwise(apiError(500, 'The server had an error'));
    cluster.openai.requests.length = 0;
    const turns: number[] = [];
    await Promise.all(
      (await signedInCalls(4)).map(async (call, i) => {
        for (let turn = 0; turn < 3; turn++) {
          const started = performance.now();
          await call.waitForAnswer(await call.say(pick(i + turn), `what about ${turn}`), (r) => pick(r));
          turns.push(performance.now() - started);
        }
      }),
    );
    row('model answering 500 forever: requests it received per turn', `${cluster.openai.requests.length / turns.length} (${cluster.openai.requests.length} for ${turns.length} turns)`);
    row('model answering 500 forever: slowest apology', ms(Math.max(...turns)));
  }

  // Nothing listening at OPENAI_BASE_URL.
  {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const unreachable = await cluster.spawn({ ...DEFAULTS, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    const call = phoneCall(cluster.demo.phone);
    await call.ring(unreachable);
    await call.pin(unreachable);
    let slowest = 0;
    for (let turn = 0; turn < 3; turn++) {
      const started = performance.now();
      await call.waitForAnswer(await call.say(unreachable, 'what are my todos'), () => unreachable);
      slowest = Math.max(slowest, performance.now() - started);
    }
    row('model unreachable (connection refused): slowest apology', ms(slowest));
    await unreachable.stop();
  }

  // The todos table locked while writes are asked for and callers sign in.
  {
    const phones = await Promise.all(
      Array.from({ length: callers }, async (_, i) => {
        const phone = `+1555020${String(i).padStart(4, '0')}`;
        await createUser(cluster.database.db, { name: `Bench ${i}`, email: `bench${i}@faults.test`, phone, pin: PIN });
        return phone;
      }),
    );
    // A model that says what its tool told it.
    cluster.openai.otherwise((request: ChatRequest) => {
      const last = request.messages.at(-1);
      if (last?.role !== 'tool') return completion({ toolCalls: [{ name: 'create_todo', arguments: '{"title":"written under a lock"}' }] });
      return completion({ content: String(last.content).includes('"error"') ? "I couldn't add it." : 'Added.' });
    });
    const writerCalls = await signedInCalls(20);
    const holder = await cluster.database.db.transaction();
    await holder.raw('lock table todos in access exclusive mode');
    const released = new Promise((resolve) => setTimeout(resolve, lockMs)).then(() => holder.rollback());
    const writers = writerCalls.map(async (call, i) => {
      call.slowest = 0;
      const last = await call.waitForAnswer(await call.say(pick(i), 'add a todo to write under a lock'), (r) => pick(i + r + 1));
      return { slowest: call.slowest, reply: last.reply };
    });
    const signIns = phones.map(async (phone, i) => {
      const call = phoneCall(phone);
      await call.ring(pick(i));
      const answer = await call.pin(pick(i));
      return { slowest: call.slowest, accepted: answer.heard?.gather?.action === '/voice/turn?seq=1' };
    });
    const [written, signedIn] = await Promise.all([Promise.all(writers), Promise.all(signIns)]);
    await released;
    row(`todos locked ${lockMs / 1000} s: callers signed in`, `${signedIn.filter((s) => s.accepted).length} of ${signedIn.length}`);
    row(`todos locked ${lockMs / 1000} s: slowest sign-in webhook`, ms(Math.max(...signedIn.map((s) => s.slowest))));
    row(`todos locked ${lockMs / 1000} s: slowest turn webhook (20 writes)`, ms(Math.max(...written.map((w) => w.slowest))));
    const todos = await cluster.database.db('todos').where({ title: 'written under a lock' });
    const added = written.filter((w) => w.reply === 'Added.').length;
    const partly = written.filter((w) => /part of it was already done/.test(w.reply)).length;
    row(`todos locked ${lockMs / 1000} s: todos written / callers told added or partly done`, `${todos.length} / ${added + partly}`);
  }

  // A call row held by another transaction, as a slow webhook of the same call would.
  {
    cluster.openai.otherwise(completion({ content: 'Fine.' }));
    const calls = await signedInCalls(5);
    for (const call of calls) call.slowest = 0;
    const holder = await cluster.database.db.transaction();
    await holder('calls').whereIn('call_sid', calls.map((call) => call.callSid)).forUpdate();
    const answers = await Promise.all(calls.map(async (call, i) => (await call.say(pick(i), 'hello'), call.slowest)));
    await holder.rollback();
    row('call row locked by another transaction: slowest turn webhook', ms(Math.max(...answers)));
  }
} finally {
  await cluster.close();
}

console.log('\nfault figures, two instances on one PostgreSQL, default settings\n');
for (const [what, figure] of rows) console.log(`${what.padEnd(70)} ${figure}`);
