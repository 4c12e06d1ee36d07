import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.ts';
import { seedDemo } from '../../src/db/seed.ts';
import { createLogger } from '../../src/log.ts';
import { newCallSid, postWebhook, type Exchange } from '../../src/simulator/call.ts';
import { start, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

export interface TestApp extends RunningServer {
  database: TestDatabase;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  demo: { userId: string; phone: string; pin: string };
  /** A signed webhook, as Twilio would send it. */
  post(path: string, params: Record<string, string>, headers?: Record<string, string>): Promise<Exchange>;
  /** Rings in and signs in with the demo PIN; returns the call's sid. */
  signedInCall(): Promise<string>;
  close(): Promise<void>;
}

/** The real app on a fresh PostgreSQL database, listening on a free port, with the demo caller seeded. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    DATABASE_URL: database.url,
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const destination = {
    write(line: string) {
      logs.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.TEST_LOG_LEVEL) process.stderr.write(line);
    },
  };
  const server = await start({ config, db: database.db, logger: createLogger('info', destination) });
  const seeded = await seedDemo(database.db, { pin: '4321' });
  const demo = { userId: seeded.user.id, phone: seeded.phone, pin: seeded.pin };

  const post: TestApp['post'] = (path, params, headers) => postWebhook(server.url, AUTH_TOKEN, path, params, headers);

  return {
    ...server,
    database,
    logs,
    demo,
    post,
    async signedInCall() {
      const callSid = newCallSid();
      await post('/voice/incoming', { CallSid: callSid, From: demo.phone, To: '+15555550199', CallStatus: 'ringing' });
      const signIn = await post('/voice/pin', { CallSid: callSid, Digits: demo.pin });
      if (!signIn.heard?.gather?.action.startsWith('/voice/turn')) throw new Error(`sign-in failed: ${signIn.reply}`);
      return callSid;
    },
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}

/** A turn as Twilio posts it, with a fresh idempotency token unless one is given. */
export function turnParams(callSid: string, speech: string): Record<string, string> {
  return { CallSid: callSid, SpeechResult: speech, Confidence: '0.9' };
}

export const newToken = () => randomUUID();
