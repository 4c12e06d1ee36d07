// What the benchmarked app talks to besides the bench: the telemetry backends it exports to, and a
// proxy in front of PostgreSQL that counts its statements. In a process of their own, so that
// decoding what arrives never shares the app's CPU accounting. Forked by bench/run.ts with the
// PostgreSQL server's URL as its argument; over IPC:
//   -> { type: 'ready', otlp, sentryDsn, blackhole, blackholeDsn, postgres }   once listening
//   <- { type: 'count' }  -> { type: 'count', otlpSpans, sentrySpans, sentryEvents, statements }   since the last count
import { startOtlpReceiver } from '../telemetry/tail/otlp-receiver.ts';
import { startBlackHole } from '../test/support/black-hole.ts';
import { startFakeSentry } from '../test/support/fake-sentry.ts';
import { startPostgresProxy } from './postgres-proxy.ts';

export interface ReceiverUrls {
  otlp: string;
  sentryDsn: string;
  /** Takes connections and never answers: a backend in an outage that still accepts TCP. */
  blackhole: string;
  blackholeDsn: string;
  /** host:port of the counting proxy to PostgreSQL. */
  postgres: string;
}

export interface ReceivedCounts {
  otlpSpans: number;
  /** Native Sentry spans (native bridge) or spans on Sentry's OTLP intake. */
  sentrySpans: number;
  sentryEvents: number;
  /** Statements (round trips) sent to PostgreSQL. */
  statements: number;
}

export type ReceiverMessage = ({ type: 'ready' } & ReceiverUrls) | ({ type: 'count' } & ReceivedCounts);

const otlp = await startOtlpReceiver({ port: 0 });
const sentry = await startFakeSentry();

// Count as batches arrive and keep nothing: a long run would otherwise hold every span in memory.
let otlpSpans = 0;
otlp.subscribe((batch) => {
  otlpSpans += batch.spans.length;
  otlp.reset();
});

const hole = await startBlackHole();
const server = new URL(process.argv[2]!);
const postgres = await startPostgresProxy({ host: server.hostname, port: Number(server.port || 5432) });

function count(): ReceivedCounts {
  const counts = {
    otlpSpans,
    sentrySpans: sentry.otlpSpans.length + sentry.nativeSpans().length,
    sentryEvents: sentry.errorEvents().length,
    statements: postgres.takeCount(),
  };
  otlpSpans = 0;
  sentry.reset();
  return counts;
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send!({ type: 'count', ...count() } satisfies ReceiverMessage);
});
process.on('disconnect', () => {
  void Promise.all([otlp.close(), sentry.close(), hole.close(), postgres.close()]).then(() => process.exit(0));
});

process.send!({
  type: 'ready',
  otlp: otlp.url,
  sentryDsn: sentry.dsn,
  blackhole: hole.url,
  blackholeDsn: hole.url.replace('//', '//publickey@') + '/1',
  postgres: postgres.host,
} satisfies ReceiverMessage);
