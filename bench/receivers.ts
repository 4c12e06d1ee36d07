// What the benchmarked apps talk to besides the bench: for each app, an OTLP receiver, a Sentry
// stand-in and a proxy in front of PostgreSQL that counts its statements; one black hole for all.
// In a process of their own, so that decoding what arrives never shares an app's CPU accounting.
// Forked by bench/run.ts with the PostgreSQL server's URL as its argument; over IPC, one request
// at a time:
//   -> { type: 'ready', blackhole, blackholeDsn }                      once listening
//   <- { type: 'open', app }   -> { type: 'opened', otlp, sentryDsn, postgres }
//   <- { type: 'count', app }  -> { type: 'count', otlpSpans, sentrySpans, sentryEvents, statements }   since the last count
//   <- { type: 'close', app }  -> { type: 'closed' }
import { startOtlpReceiver, type OtlpReceiver } from '../telemetry/tail/otlp-receiver.ts';
import { startBlackHole } from '../test/support/black-hole.ts';
import { startFakeSentry, type FakeSentry } from '../test/support/fake-sentry.ts';
import { startPostgresProxy, type PostgresProxy } from './postgres-proxy.ts';

/** Where one app sends its telemetry and its queries. */
export interface Backends {
  otlp: string;
  sentryDsn: string;
  /** host:port of the counting proxy to PostgreSQL. */
  postgres: string;
  /** Takes connections and never answers: a backend in an outage that still accepts TCP. */
  blackhole: string;
  blackholeDsn: string;
}

export interface ReceivedCounts {
  otlpSpans: number;
  /** Native Sentry spans (native bridge) or spans on Sentry's OTLP intake. */
  sentrySpans: number;
  sentryEvents: number;
  /** Statements (round trips) sent to PostgreSQL. */
  statements: number;
}

export type ReceiverRequest = { type: 'open' | 'count' | 'close'; app: string };
export type ReceiverMessage =
  | { type: 'ready'; blackhole: string; blackholeDsn: string }
  | ({ type: 'opened' } & Omit<Backends, 'blackhole' | 'blackholeDsn'>)
  | ({ type: 'count' } & ReceivedCounts)
  | { type: 'closed' };

interface AppBackends {
  otlp: OtlpReceiver;
  otlpSpans: number;
  sentry: FakeSentry;
  postgres: PostgresProxy;
}

const server = new URL(process.argv[2]!);
const hole = await startBlackHole();
const apps = new Map<string, AppBackends>();

async function open(app: string): Promise<ReceiverMessage> {
  const backends: AppBackends = {
    otlp: await startOtlpReceiver({ port: 0 }),
    otlpSpans: 0,
    sentry: await startFakeSentry(),
    postgres: await startPostgresProxy({ host: server.hostname, port: Number(server.port || 5432) }),
  };
  // Count as batches arrive and keep nothing: a long run would otherwise hold every span in memory.
  backends.otlp.subscribe((batch) => {
    backends.otlpSpans += batch.spans.length;
    backends.otlp.reset();
  });
  apps.set(app, backends);
  return { type: 'opened', otlp: backends.otlp.url, sentryDsn: backends.sentry.dsn, postgres: backends.postgres.host };
}

function count(app: string): ReceiverMessage {
  const backends = apps.get(app)!;
  const counts: ReceivedCounts = {
    otlpSpans: backends.otlpSpans,
    sentrySpans: backends.sentry.otlpSpans.length + backends.sentry.nativeSpans().length,
    sentryEvents: backends.sentry.errorEvents().length,
    statements: backends.postgres.takeCount(),
  };
  backends.otlpSpans = 0;
  backends.sentry.reset();
  return { type: 'count', ...counts };
}

async function close(app: string): Promise<ReceiverMessage> {
  const backends = apps.get(app);
  apps.delete(app);
  await Promise.all([backends?.otlp.close(), backends?.sentry.close(), backends?.postgres.close()]);
  return { type: 'closed' };
}

process.on('message', (request: ReceiverRequest) => {
  const answer = request.type === 'open' ? open(request.app) : request.type === 'count' ? Promise.resolve(count(request.app)) : close(request.app);
  void answer.then((message) => process.send!(message));
});
process.on('disconnect', () => {
  void Promise.all([...apps.keys()].map(close)).then(() => hole.close()).then(() => process.exit(0));
});

process.send!({ type: 'ready', blackhole: hole.url, blackholeDsn: hole.url.replace('//', '//publickey@') + '/1' } satisfies ReceiverMessage);
