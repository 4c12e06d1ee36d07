// Time to the caller's first words: ConversationRelay (streamed) beside Gather (whole answers), with
// a model whose first token arrives after --first-token-ms and the rest a token every --token-ms.
import { setTimeout as delay } from 'node:timers/promises';
import { exitWith, readCommandLine } from '../src/command-line.ts';
import { seedDemo } from '../src/db/seed.ts';
import { newCallSid, postWebhook } from '../src/simulator/call.ts';
import { RelayConnection } from '../src/simulator/relay.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { startFakeOpenAi, streamed } from '../test/support/fake-openai.ts';
import { spawnApp, TWILIO_TOKEN } from '../test/telemetry/spawned-app.ts';

const { values } = readCommandLine({
  name: 'npm run bench:relay',
  usage: `Measures how long a caller waits for the first words of an answer: the app spawned as npm start
runs it, on a fresh PostgreSQL database (TEST_DATABASE_URL), once on ConversationRelay
(VOICE_MODE=relay, streamed) and once on Gather, against a local model server streaming over
HTTP. Prints the percentiles side by side, and whether relay's first text p95 is within 300 ms.

  npm run bench:relay -- [--turns 25] [--callers 4] [--first-token-ms 200] [--token-ms 20]

  --turns N            turns per call (the first 3 of each are not counted)
  --callers N          calls at once
  --first-token-ms N   the model's first token, after the request
  --token-ms N         each next token, after the one before`,
  options: {
    turns: { type: 'string', default: '25' },
    callers: { type: 'string', default: '4' },
    'first-token-ms': { type: 'string', default: '200' },
    'token-ms': { type: 'string', default: '20' },
  },
});
const turnsPerCaller = Number(values.turns);
const callers = Number(values.callers);
const firstTokenMs = Number(values['first-token-ms']);
const tokenMs = Number(values['token-ms']);
const TARGET_P95_MS = 300;
// The first turns of each call warm the JIT, the pools and the prepared statements.
const WARM_UP = 3;
if (!(turnsPerCaller > WARM_UP) || !(callers >= 1) || !(firstTokenMs >= 0) || !(tokenMs >= 0)) {
  exitWith(`--turns must be above ${WARM_UP}, --callers at least 1, and the times numbers: see npm run bench:relay -- --help`, 2);
}
const ANSWER = 'Sure. Your next meeting is the design review on Thursday at ten, in the large room. After that you have lunch with the platform team, and the afternoon is free.';

const openai = await startFakeOpenAi();
// Every request: the first token after firstTokenMs, then one every tokenMs, timed from its arrival.
openai.otherwise(() => {
  const words = ANSWER.match(/\S+\s*/g)!;
  return streamed(words.flatMap((word, index) => [delay(firstTokenMs + index * tokenMs), word]));
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(mode: 'relay' | 'gather') {
  const database = await createTestDatabase();
  const app = await spawnApp({
    DATABASE_URL: database.url,
    VOICE_MODE: mode,
    OPENAI_API_KEY: 'sk-bench-relay-0123456789',
    OPENAI_BASE_URL: openai.baseURL,
  });
  const demo = await seedDemo(database.db, {});
  const first: number[] = [];
  const whole: number[] = [];
  const caller = async () => {
    const CallSid = newCallSid();
    const post = (path: string, params: Record<string, string>) => postWebhook(app.url, TWILIO_TOKEN, path, { CallSid, From: demo.phone, To: '+15555550199', ...params });
    await post('/voice/incoming', { CallStatus: 'ringing' });
    const signedIn = await post('/voice/pin', { Digits: demo.pin });
    if (mode === 'relay') {
      const relay = await RelayConnection.open(signedIn.heard!.connect!.url, TWILIO_TOKEN);
      relay.setup(CallSid);
      for (let i = 0; i < turnsPerCaller; i++) {
        const reply = await relay.prompt('what is my next meeting');
        if (reply.text.trim() !== ANSWER) throw new Error(`relay: unexpected reply "${reply.text}"`);
        if (i < WARM_UP) continue;
        first.push(reply.firstTextMs!);
        whole.push(reply.tokens.at(-1)!.atMs);
      }
      await relay.close();
    } else {
      for (let i = 0; i < turnsPerCaller; i++) {
        const started = performance.now();
        const exchange = await post(`/voice/turn?seq=${i + 1}`, { SpeechResult: 'what is my next meeting' });
        if (exchange.reply !== ANSWER) throw new Error(`gather: unexpected reply "${exchange.reply}"`);
        // Twilio speaks nothing of a Gather answer before it has all of it.
        if (i >= WARM_UP) first.push(performance.now() - started);
      }
    }
    await post('/voice/status', { CallStatus: 'completed' });
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const code = await app.stop();
  if (code !== 0) throw new Error(`${mode}: app exited ${code}`);
  await database.drop();
  return { first: first.toSorted((a, b) => a - b), whole: whole.toSorted((a, b) => a - b) };
}

const relay = await measure('relay');
const gather = await measure('gather');
await openai.close();

const row = (name: string, sorted: number[]) =>
  `${name.padEnd(36)} ${String(sorted.length).padStart(4)} ${[50, 95, 99].map((p) => percentile(sorted, p).toFixed(0).padStart(7)).join(' ')} ${sorted.at(-1)!.toFixed(0).padStart(7)}`;
console.log(
  `time to the caller's first words, ${callers} concurrent calls × ${turnsPerCaller} turns (first ${WARM_UP} of each not counted), PostgreSQL, telemetry off;\n` +
    `model: first token after ${firstTokenMs} ms, then a token every ${tokenMs} ms (${ANSWER.split(' ').length} words)\n`,
);
console.log(`${'measured from the final words'.padEnd(36)}    n  p50 ms  p95 ms  p99 ms  max ms`);
console.log(row('relay: first text message', relay.first));
console.log(row('relay: last text message', relay.whole));
console.log(row('gather: whole answer (TwiML)', gather.first));
const p95 = percentile(relay.first, 95);
console.log(`\ntarget: relay first text p95 ≤ ${TARGET_P95_MS} ms: ${p95 <= TARGET_P95_MS ? 'met' : 'NOT met'} (${p95.toFixed(0)} ms)`);
