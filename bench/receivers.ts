// The backends the benchmarked app exports to, in a process of their own so that decoding what
// arrives never shares the app's CPU accounting. Forked by bench/run.ts; talks over IPC:
//   -> { type: 'ready', otlp, sentryDsn, blackhole }   once listening
//   <- { type: 'count' }  -> { type: 'count', otlpSpans, sentrySpans, sentryEvents }   counted since the last count
import { startOtlpReceiver } from '../telemetry/tail/otlp-receiver.ts';
import { startBlackHole } from '../test/support/black-hole.ts';
import { startFakeSentry } from '../test/support/fake-sentry.ts';

export interface ReceiverUrls {
  otlp: string;
  sentryDsn: string;
  /** Takes connections and never answers: a backend in an outage that still accepts TCP. */
  blackhole: string;
  blackholeDsn: string;
}

export interface ReceivedCounts {
  otlpSpans: number;
  /** Native Sentry spans (native bridge) or spans on Sentry's OTLP intake. */
  sentrySpans: number;
  sentryEvents: number;
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

function count(): ReceivedCounts {
  const counts = {
    otlpSpans,
    sentrySpans: sentry.otlpSpans.length + sentry.nativeSpans().length,
    sentryEvents: sentry.errorEvents().length,
  };
  otlpSpans = 0;
  sentry.reset();
  return counts;
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send!({ type: 'count', ...count() } satisfies ReceiverMessage);
});
process.on('disconnect', () => {
  void Promise.all([otlp.close(), sentry.close(), hole.close()]).then(() => process.exit(0));
});

process.send!({
  type: 'ready',
  otlp: otlp.url,
  sentryDsn: sentry.dsn,
  blackhole: hole.url,
  blackholeDsn: hole.url.replace('//', '//publickey@') + '/1',
} satisfies ReceiverMessage);
