import { expect } from 'chai';
import { startOtlpReceiver } from '../../telemetry/tail/otlp-receiver.ts';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry.ts';
import { spawnApp } from './spawned-app.ts';

describe('a crash after start-up', function () {
  this.timeout(30_000);
  let sentry: FakeSentry;
  before(async () => {
    sentry = await startFakeSentry();
  });
  after(() => sentry.close());
  beforeEach(() => sentry.reset());

  for (const [kind, message] of [
    ['uncaught', 'fixture crash nobody caught'],
    ['rejection', 'fixture rejection nobody handled'],
  ] as const) {
    it(`when an ${kind === 'uncaught' ? 'uncaught exception' : 'unhandled rejection'} happens, then it reaches Sentry before the process exits 1`, async () => {
      const app = await spawnApp({ SENTRY_DSN: sentry.dsn, CRASH: kind }, 'test/telemetry/fixtures/crash.ts');
      // The process exits only after its flush, so what it sent has arrived by then.
      expect(await app.exited).to.equal(1);
      const events = sentry.errorEvents().filter((event) => JSON.stringify(event).includes(message));
      expect(events).to.have.length(1);
      expect(JSON.stringify(events[0])).to.include('crash.ts');
    });
  }

  it('when only OTLP is configured and the process crashes, then the crash reaches it as a FATAL log and an ERROR span before exit', async () => {
    const otlp = await startOtlpReceiver();
    try {
      const app = await spawnApp({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, CRASH: 'uncaught' }, 'test/telemetry/fixtures/crash.ts');
      expect(await app.exited).to.equal(1);
      const log = otlp.logs.find((record) => record.severityText === 'FATAL');
      expect(log?.body).to.equal('crash: fixture crash nobody caught');
      expect(String(log?.attributes['exception.stacktrace'])).to.include('crash.ts');
      const span = otlp.spans.find((candidate) => candidate.name === 'process crash');
      expect(span?.status.code).to.equal(2);
      expect(span?.events.find((event) => event.name === 'exception')?.attributes['exception.message']).to.equal('fixture crash nobody caught');
    } finally {
      await otlp.close();
    }
  });
});
