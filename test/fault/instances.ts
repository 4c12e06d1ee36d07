import { seedDemo } from '../../src/db/seed.ts';
import { newCallSid, postWebhook, type Exchange } from '../../src/simulator/call.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { spawnApp, TWILIO_TOKEN, type SpawnedApp } from '../telemetry/spawned-app.ts';

export const PIN = '2468';

/**
 * What every instance of the fault suite runs with: short holds, so waiting out a fault is cheap,
 * and a deadline that leaves a loaded two-core machine room for the PIN's deliberately slow hash.
 */
export const FAULT_ENV = {
  WEBHOOK_DEADLINE_MS: '5000',
  AGENT_TURN_TIMEOUT_MS: '1000',
  AGENT_MAX_REDIRECTS: '2',
  TOOL_TIMEOUT_MS: '5000',
  DATABASE_POOL_MAX: '3',
  OPENAI_API_KEY: 'sk-test-fault-suite-0123456789',
  OPENAI_MODEL: 'gpt-fake',
} as const;
/** How late an answer that left by the deadline may arrive on a loaded two-core machine. */
export const SLACK_MS = 1_000;

export interface Cluster {
  database: TestDatabase;
  openai: FakeOpenAi;
  demo: { userId: string; phone: string };
  instances: SpawnedApp[];
  /** Starts one more instance on the same database and model (to be killed, say). */
  spawn(extra?: Record<string, string>): Promise<SpawnedApp>;
  close(): Promise<void>;
}

/** `count` real app processes, started as `npm start` starts one, on one fresh PostgreSQL database. */
export async function startCluster(count: number, extra: Record<string, string> = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  const openai = await startFakeOpenAi();
  const seeded = await seedDemo(database.db, { pin: PIN });
  const spawned: SpawnedApp[] = [];
  const spawn = async (more: Record<string, string> = {}) => {
    const app = await spawnApp({ DATABASE_URL: database.url, OPENAI_BASE_URL: openai.baseURL, ...FAULT_ENV, ...extra, ...more });
    spawned.push(app);
    return app;
  };
  const instances = await Promise.all(Array.from({ length: count }, () => spawn()));
  return {
    database,
    openai,
    demo: { userId: seeded.user.id, phone: seeded.phone },
    instances,
    spawn,
    async close() {
      await Promise.all(spawned.map((app) => app.stop('SIGKILL')));
      await openai.close();
      await database.drop();
    },
  };
}

/**
 * One phone call as Twilio makes it: each webhook signed, posted to the URL the app's last TwiML
 * named (so the <Gather> numbers come along), to whichever instance the test says, timed.
 */
export function phoneCall(from: string, stirVerstat?: string) {
  const callSid = newCallSid();
  const base = { CallSid: callSid, AccountSid: `AC${'0'.repeat(32)}`, From: from, To: '+15555550199', CallStatus: 'in-progress' };
  let listening = '/voice/turn';
  const call = {
    callSid,
    /** The longest any webhook of this call took to answer, in ms. */
    slowest: 0,
    async post(app: SpawnedApp, path: string, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Exchange> {
      const started = performance.now();
      const exchange = await postWebhook(app.url, TWILIO_TOKEN, path, { ...base, ...params }, headers);
      call.slowest = Math.max(call.slowest, performance.now() - started);
      if (exchange.heard?.gather?.action.startsWith('/voice/turn')) listening = exchange.heard.gather.action;
      return exchange;
    },
    ring: (app: SpawnedApp) => call.post(app, '/voice/incoming', { CallStatus: 'ringing', ...(stirVerstat ? { StirVerstat: stirVerstat } : {}) }),
    pin: (app: SpawnedApp, digits = PIN) => call.post(app, '/voice/pin', { Digits: digits }),
    /** The caller speaks: posted where the app last said it listens. */
    say: (app: SpawnedApp, speech: string) => call.post(app, listening, { SpeechResult: speech, Confidence: '0.92' }),
    /** Follows redirects, each to the instance `pick` names, to what the caller finally hears. */
    async waitForAnswer(first: Exchange, pick: (redirect: number) => SpawnedApp): Promise<Exchange> {
      let exchange = first;
      for (let redirect = 0; exchange.heard?.redirect; redirect++) exchange = await call.post(pick(redirect), exchange.heard.redirect);
      return exchange;
    },
    hangUp: (app: SpawnedApp) => call.post(app, '/voice/status', { CallStatus: 'completed', CallDuration: '30' }),
  };
  return call;
}

/**
 * Resolves once every line the instance logged for requests already answered has been read: a
 * marker request's own line comes after them in the same pipe.
 */
export async function logsCaughtUp(app: SpawnedApp): Promise<void> {
  const marker = newCallSid();
  await postWebhook(app.url, TWILIO_TOKEN, '/voice/status', { CallSid: marker, CallStatus: 'completed' });
  await app.waitForLine(new RegExp(marker));
}

/** Lines an instance logged with this event (a pino record per line). */
export function logged(app: SpawnedApp, event: string): Record<string, unknown>[] {
  return app.stdout.flatMap((line) => {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      return record.event === event ? [record] : [];
    } catch {
      return [];
    }
  });
}
