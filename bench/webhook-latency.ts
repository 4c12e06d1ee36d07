// Turn-webhook latency with telemetry off, exporting to a live OTLP receiver, and exporting to an
// endpoint that accepts connections and never answers. Prints the three side by side.
//
//   npx tsx bench/webhook-latency.ts [--turns 150] [--callers 4]
import { parseArgs } from 'node:util';
import { seedDemo } from '../src/db/seed.ts';
import { newCallSid, postWebhook } from '../src/simulator/call.ts';
import { startOtlpReceiver } from '../telemetry/tail/otlp-receiver.ts';
import { startBlackHole } from '../test/support/black-hole.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { spawnApp, TWILIO_TOKEN } from '../test/telemetry/spawned-app.ts';

const { values } = parseArgs({
  options: { turns: { type: 'string', default: '150' }, callers: { type: 'string', default: '4' } },
});
const turnsPerCaller = Number(values.turns);
const callers = Number(values.callers);
const UTTERANCES = ["what's on my calendar tomorrow", 'what are my reminders', 'who is on the design team'];

async function measure(name: string, env: Record<string, string>): Promise<{ name: string; ms: number[] }> {
  const database = await createTestDatabase();
  const app = await spawnApp({ DATABASE_URL: database.url, ...env });
  const demo = await seedDemo(database.db, {});
  const ms: number[] = [];
  const caller = async () => {
    const CallSid = newCallSid();
    const post = (path: string, params: Record<string, string>) =>
      postWebhook(app.url, TWILIO_TOKEN, path, { CallSid, From: demo.phone, To: '+15555550199', ...params });
    await post('/voice/incoming', { CallStatus: 'ringing' });
    await post('/voice/pin', { Digits: demo.pin });
    for (let i = 0; i < turnsPerCaller; i++) {
      const started = performance.now();
      const exchange = await post('/voice/turn', { SpeechResult: UTTERANCES[i % UTTERANCES.length]! });
      if (exchange.status !== 200) throw new Error(`${name}: turn answered ${exchange.status}`);
      if (i >= 5) ms.push(performance.now() - started); // the first few warm the JIT and the pool
    }
    await post('/voice/status', { CallStatus: 'completed' });
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const code = await app.stop();
  if (code !== 0) throw new Error(`${name}: app exited ${code}`);
  await database.drop();
  return { name, ms };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const receiver = await startOtlpReceiver({ port: 0 });
const hole = await startBlackHole();
const results = [
  await measure('telemetry off', {}),
  await measure('otlp → receiver', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
  await measure('otlp → never answers', { OTEL_EXPORTER_OTLP_ENDPOINT: hole.url, OTEL_EXPORTER_OTLP_TIMEOUT: '2000' }),
];
await receiver.close();
await hole.close();

const baseline = results[0]!.ms.toSorted((a, b) => a - b);
console.log(`turn webhook latency, ${callers} callers × ${turnsPerCaller} turns, offline agent, PostgreSQL\n`);
console.log('configuration            n     p50 ms   p95 ms   p99 ms   p50 ×off  p95 ×off');
for (const { name, ms } of results) {
  const sorted = ms.toSorted((a, b) => a - b);
  const row = [50, 95, 99].map((p) => percentile(sorted, p).toFixed(1).padStart(8));
  const ratios = [50, 95].map((p) => (percentile(sorted, p) / percentile(baseline, p)).toFixed(2).padStart(9));
  console.log(`${name.padEnd(22)} ${String(sorted.length).padStart(4)} ${row.join(' ')} ${ratios.join(' ')}`);
}
