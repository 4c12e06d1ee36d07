import { expect } from 'chai';
import { PIN_FAILURES_PER_LOCK } from '../../src/db/pin-lockout.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../../telemetry/tail/otlp-receiver.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { logged, phoneCall, startCluster, type Cluster } from './instances.ts';

describe('a PIN lockout, as an operator sees it', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  let sentry: FakeSentry;
  let otlp: OtlpReceiver;
  before(async () => {
    cluster = await startCluster(0);
    sentry = await startFakeSentry();
    otlp = await startOtlpReceiver();
  });
  after(async () => {
    await cluster?.close();
    await sentry?.close();
    await otlp?.close();
  });

  it('when wrong PINs lock an account, then there is a lockout metric, a log line and one Sentry issue, on the trace of the call that locked it', async () => {
    const app = await cluster.spawn({
      OTEL_TRACES_EXPORTER: 'sentry,otlp',
      SENTRY_DSN: sentry.dsn,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    let last = phoneCall(cluster.demo.phone);
    for (let guess = 0; guess < PIN_FAILURES_PER_LOCK; guess++) {
      if (guess % 3 === 0) {
        last = phoneCall(cluster.demo.phone);
        await last.ring(app);
      }
      await last.pin(app, '0000');
    }
    // Stopped, the app has flushed everything it will ever send.
    expect(await app.stop('SIGTERM')).to.equal(0);

    const lockouts = otlp.metrics.filter((metric) => metric.name === 'convonet.pin.lockouts').at(-1);
    expect(lockouts?.dataPoints.at(-1)).to.deep.include({ value: 1 });
    expect(lockouts?.dataPoints.at(-1)?.attributes).to.deep.include({ 'convonet.pin.bucket': 'unattested', 'convonet.pin.lock_level': 1 });

    const [line] = logged(app, 'pin lockout');
    expect(line).to.include({ 'twilio.call_sid': last.callSid, 'convonet.pin.bucket': 'unattested', 'convonet.pin.lock_level': 1 });

    const issues = sentry.errorEvents().filter((event) => event.exception?.values?.at(-1)?.type === 'PinLockoutError');
    expect(issues).to.have.length(1);
    const lockingSpan = otlp.spans.find((span) => span.name === 'voice_call.pin' && span.attributes['error.type'] === 'PinLockoutError');
    expect(issues[0]?.contexts?.trace?.trace_id).to.equal(lockingSpan?.traceId);
  });
});
