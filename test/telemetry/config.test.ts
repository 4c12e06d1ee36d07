import { expect } from 'chai';
import { describeTelemetry, readTelemetryConfig, TelemetryConfigError } from '../../telemetry/config.ts';

const DSN = 'http://publickey@127.0.0.1:9/1';
const ENDPOINT = 'http://127.0.0.1:4318';

describe('telemetry configuration', () => {
  it('when nothing is configured, then telemetry is off', () => {
    expect(readTelemetryConfig({})).to.equal(null);
    expect(describeTelemetry(null)).to.equal('telemetry: off');
  });

  it('when OTEL_SDK_DISABLED=true, then telemetry is off whatever else is set', () => {
    expect(readTelemetryConfig({ OTEL_SDK_DISABLED: 'true', SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).to.equal(null);
  });

  it('when OTEL_SDK_DISABLED is neither true nor false (yes, 1), then it is read as false with a warning, as OpenTelemetry specifies', () => {
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((line: string) => warnings.push(line) > 0) as typeof process.stderr.write;
    try {
      expect(readTelemetryConfig({ OTEL_SDK_DISABLED: 'TRUE', SENTRY_DSN: DSN })).to.equal(null);
      expect(readTelemetryConfig({ OTEL_SDK_DISABLED: 'False', SENTRY_DSN: DSN })?.traces).to.deep.equal(['sentry']);
      expect(warnings).to.deep.equal([]);
      expect(readTelemetryConfig({ OTEL_SDK_DISABLED: 'yes', SENTRY_DSN: DSN })?.traces).to.deep.equal(['sentry']);
      expect(readTelemetryConfig({ OTEL_SDK_DISABLED: '1', SENTRY_DSN: DSN })?.traces).to.deep.equal(['sentry']);
    } finally {
      process.stderr.write = write;
    }
    expect(warnings).to.have.lengthOf(2);
    expect(warnings[0]).to.match(/^telemetry: OTEL_SDK_DISABLED=yes is read as false/);
  });

  it('when OTEL_TRACES_EXPORTER is unset, then a DSN implies sentry and an endpoint implies otlp', () => {
    expect(readTelemetryConfig({ SENTRY_DSN: DSN })?.traces).to.deep.equal(['sentry']);
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })?.traces).to.deep.equal(['otlp']);
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${ENDPOINT}/v1/traces` })?.traces).to.deep.equal(['otlp']);
    expect(readTelemetryConfig({ SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })?.traces).to.deep.equal(['sentry', 'otlp']);
  });

  it('when OTEL_TRACES_EXPORTER=none, then telemetry is off even with a DSN', () => {
    expect(readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'none', SENTRY_DSN: DSN })).to.equal(null);
  });

  it('when exporters are listed, then logs follow them, metrics go to OTLP, and the start-up line says so', () => {
    const config = readTelemetryConfig({
      OTEL_TRACES_EXPORTER: 'sentry,otlp,console',
      SENTRY_DSN: DSN,
      SENTRY_ENVIRONMENT: 'production',
      RENDER_GIT_COMMIT: 'abc123',
    });
    expect(config).to.deep.include({ logs: ['sentry', 'otlp'], metrics: 'otlp', release: 'abc123', environment: 'production' });
    expect(describeTelemetry(config, {})).to.equal(
      'telemetry: exporters=sentry,otlp,console tracer_provider=opentelemetry sampler=parentbased_always_on logs=sentry,otlp metrics=otlp environment=production release=abc123 capture_content=false',
    );
  });

  it('when OTEL_LOGS_EXPORTER or OTEL_METRICS_EXPORTER is set, then it decides, as the specification says', () => {
    const off = readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' });
    expect(off).to.deep.include({ logs: [], metrics: 'env' });
    const prometheus = readTelemetryConfig({ SENTRY_DSN: DSN, OTEL_METRICS_EXPORTER: 'prometheus', OTEL_LOGS_EXPORTER: 'otlp' });
    expect(prometheus).to.deep.include({ logs: ['otlp'], metrics: 'env' });
    expect(describeTelemetry(prometheus, { OTEL_METRICS_EXPORTER: 'prometheus' })).to.include('metrics=prometheus');
  });

  it('when SENTRY_RELEASE and SENTRY_ENVIRONMENT are set, then they win over Render and NODE_ENV', () => {
    const config = readTelemetryConfig({
      SENTRY_DSN: DSN,
      SENTRY_RELEASE: 'r1',
      RENDER_GIT_COMMIT: 'r2',
      SENTRY_ENVIRONMENT: 'staging',
      RENDER_ENVIRONMENT: 'preview',
      NODE_ENV: 'production',
    });
    expect(config).to.include({ release: 'r1', environment: 'staging' });
  });

  it('when the native Sentry bridge is combined with another span exporter, then start-up is refused naming both', () => {
    const attempt = () => readTelemetryConfig({ TELEMETRY_TRACER_PROVIDER: 'sentry', OTEL_TRACES_EXPORTER: 'sentry,otlp', SENTRY_DSN: DSN });
    expect(attempt).to.throw(TelemetryConfigError, /TELEMETRY_TRACER_PROVIDER=sentry.*OTEL_TRACES_EXPORTER=sentry,otlp/);
  });

  it('when the native Sentry bridge has no DSN, then start-up is refused', () => {
    expect(() => readTelemetryConfig({ TELEMETRY_TRACER_PROVIDER: 'sentry' })).to.throw(TelemetryConfigError, /SENTRY_DSN/);
  });

  it('when sentry is listed without a DSN, or an exporter is unknown, then the error names the variable', () => {
    expect(() => readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'sentry' })).to.throw(TelemetryConfigError, /SENTRY_DSN/);
    expect(() => readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).to.throw(TelemetryConfigError, /OTEL_TRACES_EXPORTER/);
    expect(() => readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'none,otlp' })).to.throw(TelemetryConfigError, /none/);
    expect(() => readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_LOGS_EXPORTER: 'loki' })).to.throw(TelemetryConfigError, /OTEL_LOGS_EXPORTER/);
  });

  it('when the OTLP protocol is grpc, then it is accepted; any other unknown protocol is refused naming the variable', () => {
    expect(readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })?.traces).to.deep.equal(['otlp']);
    expect(() => readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).to.throw(
      TelemetryConfigError,
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=thrift/,
    );
  });

  it('when an endpoint has no http(s) scheme, then start-up is refused naming the variable, and a DSN\'s key is never repeated', () => {
    expect(() => readTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).to.throw(TelemetryConfigError, /OTEL_EXPORTER_OTLP_ENDPOINT=localhost:4318: not an http/);
    expect(() => readTelemetryConfig({ SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector:4318/v1/logs' })).to.throw(TelemetryConfigError, /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT/);
    const attempt = () => readTelemetryConfig({ SENTRY_DSN: 'ftp://secretkey@example.com/1' });
    expect(attempt).to.throw(TelemetryConfigError, /SENTRY_DSN/);
    expect(attempt).to.throw(TelemetryConfigError, /^(?!.*secretkey)/);
  });

  it('when a sampler is set, then its name and ratio are validated, and the native bridge gets the ratio as its sample rate', () => {
    const config = readTelemetryConfig({ SENTRY_DSN: DSN, TELEMETRY_TRACER_PROVIDER: 'sentry', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    expect(config?.sentrySampleRate).to.equal(0.25);
    expect(() => readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).to.throw(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => readTelemetryConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'sometimes' })).to.throw(/OTEL_TRACES_SAMPLER=sometimes/);
  });

  it('when OTLP headers are set, then their names are kept from Sentry and their values are known secrets', () => {
    const config = readTelemetryConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=general%20key, x-team=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=traces-key',
    });
    expect(config?.otlpHeaderNames).to.include.members(['x-api-key', 'x-team']);
    expect(config?.knownSecrets).to.include.members(['general key', 'traces-key']);
  });
});
