import { expect } from 'chai';
import { spawnApp } from './spawned-app.ts';

const FIXTURE = 'test/telemetry/fixtures/report-loaded.ts';

describe('the telemetry preload', function () {
  this.timeout(30_000);

  it('when OTEL_SDK_DISABLED=true, then it says so and loads no SDK and sets no hook', async () => {
    const app = await spawnApp({ OTEL_SDK_DISABLED: 'true', SENTRY_DSN: 'http://publickey@127.0.0.1:9/1' }, FIXTURE);
    const report = JSON.parse(app.stdout[0] ?? '{}') as { otel: boolean; shutdownHook: string };
    await app.stop();
    expect(app.stderr).to.include('telemetry: off');
    expect(report).to.deep.equal({ msg: 'listening', port: 0, otel: false, shutdownHook: 'undefined' });
  });

  it('when a backend is configured, then the OpenTelemetry globals and the shutdown hook are in place before the app loads', async () => {
    const app = await spawnApp({ OTEL_TRACES_EXPORTER: 'console' }, FIXTURE);
    const report = JSON.parse(app.stdout[0] ?? '{}') as { otel: boolean; shutdownHook: string };
    await app.stop();
    expect(report).to.include({ otel: true, shutdownHook: 'function' });
    expect(app.stderr[0]).to.match(/^telemetry: exporters=console tracer_provider=opentelemetry sampler=parentbased_always_on /);
  });
});
