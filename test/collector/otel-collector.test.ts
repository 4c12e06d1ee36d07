// Static checks of otel-collector.yaml. No collector binary or Docker engine is available here, so
// this stands in for `otelcol-contrib validate`: names, wiring, ordering and secret handling.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';

/** The otelcol-contrib release docker-compose.yml pins; the component list below is for it. */
const CONTRIB_RELEASE = '0.161.0';

// Component type names in otelcol-contrib 0.161.0 that this project may reach for: a small subset
// of the distribution, limited to names whose 0.161 spelling was confirmed. Source: open-telemetry/opentelemetry-collector-releases,
// distributions/otelcol-contrib/manifest.yaml, with the 2026 renames to lower_snake_case applied:
// `otlp` -> `otlp_grpc` and `otlphttp` -> `otlp_http` exporters (opentelemetry-collector#14396,
// v0.144.0), `spanmetrics` -> `span_metrics` connector (opentelemetry-collector-contrib#47963).
// The old names still load as deprecated aliases, so they are deliberately absent here.
// Bumping the image means re-reading that manifest and the release notes, then this list.
const CONTRIB_COMPONENTS = {
  receivers: ['otlp', 'prometheus', 'jaeger', 'zipkin', 'nop'],
  processors: [
    'memory_limiter',
    'batch',
    'attributes',
    'resource',
    'filter',
    'transform',
    'redaction',
    'tail_sampling',
    'probabilistic_sampler',
    'k8s_attributes',
  ],
  exporters: ['debug', 'nop', 'otlp_grpc', 'otlp_http', 'file', 'prometheus', 'zipkin', 'kafka'],
  connectors: ['span_metrics', 'count', 'forward', 'routing', 'failover'],
  extensions: ['health_check', 'pprof', 'zpages', 'file_storage'],
} as const;

type Kind = keyof typeof CONTRIB_COMPONENTS;
const KINDS = Object.keys(CONTRIB_COMPONENTS) as Kind[];

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}

interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const source = readFileSync(new URL('../../otel-collector.yaml', import.meta.url), 'utf8');
const config = parse(source) as CollectorConfig;
const pipelines = Object.entries(config.service.pipelines);

/** `otlp_http/sentry` is an instance of type `otlp_http`. */
function typeOf(id: string): string {
  return id.split('/')[0] ?? id;
}

function defined(kind: Kind): string[] {
  return Object.keys(config[kind] ?? {});
}

function used(kind: Kind): Set<string> {
  if (kind === 'extensions') return new Set(config.service.extensions ?? []);
  const ids = new Set<string>();
  for (const [, pipeline] of pipelines) {
    // A connector is an exporter of one pipeline and a receiver of another.
    const lists = kind === 'connectors' ? [pipeline.receivers, pipeline.exporters] : [pipeline[kind]];
    for (const id of lists.flat()) if (id !== undefined) ids.add(id);
  }
  return ids;
}

describe('otel-collector.yaml', () => {
  it('when parsed, then it has pipelines for traces, metrics and logs', () => {
    const signals = new Set(pipelines.map(([id]) => typeOf(id)));
    expect([...signals].sort()).to.deep.equal(['logs', 'metrics', 'traces']);
  });

  it('when a pipeline names a component, then that component is defined', () => {
    const definedIds = new Set(KINDS.flatMap(defined));
    for (const [id, pipeline] of pipelines) {
      for (const component of [...(pipeline.receivers ?? []), ...(pipeline.processors ?? []), ...(pipeline.exporters ?? [])]) {
        expect(definedIds.has(component), `${component} in pipeline ${id}`).to.equal(true);
      }
    }
    for (const extension of config.service.extensions ?? []) {
      expect(defined('extensions'), `extension ${extension}`).to.include(extension);
    }
  });

  it('when a component is defined, then some pipeline uses it', () => {
    for (const kind of KINDS) {
      const usedIds = used(kind);
      for (const id of defined(kind)) expect(usedIds.has(id), `${kind}.${id} is defined but unused`).to.equal(true);
    }
  });

  it('when a connector is used, then it both leaves one pipeline and feeds another', () => {
    for (const id of defined('connectors')) {
      expect(pipelines.some(([, p]) => p.exporters?.includes(id)), `${id} as exporter`).to.equal(true);
      expect(pipelines.some(([, p]) => p.receivers?.includes(id)), `${id} as receiver`).to.equal(true);
    }
  });

  it('when a pipeline has processors, then memory_limiter comes first', () => {
    for (const [id, pipeline] of pipelines) {
      expect(pipeline.processors?.[0], `first processor of ${id}`).to.equal('memory_limiter');
    }
  });

  it('when data leaves the collector, then it has passed the redaction safety net', () => {
    for (const [id, pipeline] of pipelines) {
      expect(pipeline.processors, `processors of ${id}`).to.include.members(['transform/scrub', 'redaction']);
    }
  });

  it('when batching, then exporters batch on their sending queue and the deprecated batch processor is absent', () => {
    expect(defined('processors').map(typeOf)).not.to.include('batch');
    const queued = ['otlp_http/sentry', 'otlp_grpc/jaeger'];
    for (const id of queued) {
      const exporter = config.exporters?.[id] as { sending_queue?: { batch?: unknown } } | undefined;
      expect(exporter?.sending_queue?.batch, `${id} sending_queue.batch`).to.be.an('object');
    }
  });

  it('when traces are sampled, then errors and slow traces are always kept and the rest by a share', () => {
    const sampler = config.processors?.['tail_sampling'] as { policies: { type: string; status_code?: { status_codes: string[] } }[] };
    const types = sampler.policies.map((policy) => policy.type);
    expect(types).to.include.members(['status_code', 'latency', 'probabilistic']);
    expect(sampler.policies.find((policy) => policy.type === 'status_code')?.status_code?.status_codes).to.deep.equal(['ERROR']);
    const unsampled = pipelines.filter(([id, p]) => typeOf(id) === 'traces' && !p.processors?.includes('tail_sampling'));
    expect(unsampled.flatMap(([, p]) => p.exporters ?? [])).to.include.members(['debug', 'file']);
  });

  it('when exporting to Sentry, then the endpoint and key come from env, not the file', () => {
    const sentry = config.exporters?.['otlp_http/sentry'] as { endpoint: string; headers: Record<string, string> };
    expect(sentry.endpoint).to.match(/\$\{env:SENTRY_HOST\}/);
    expect(sentry.endpoint).to.match(/\$\{env:SENTRY_PROJECT_ID\}/);
    expect(sentry.headers['x-sentry-auth']).to.match(/sentry_key=\$\{env:SENTRY_PUBLIC_KEY\}$/);
    const sentryPipelines = pipelines.filter(([, p]) => p.exporters?.includes('otlp_http/sentry')).map(([id]) => typeOf(id));
    expect(sentryPipelines.sort()).to.deep.equal(['logs', 'traces']);
  });

  it('when reading the file, then it holds no literal secret and every substitution uses the env provider', () => {
    expect(source).not.to.match(/https:\/\/[0-9a-f]{32}@/);
    expect(source).not.to.match(/sentry_key=[0-9a-f]{16,}/);
    const substitutions = source.match(/\$\{[^}]*\}/g) ?? [];
    expect(substitutions.length).to.be.greaterThan(0);
    for (const substitution of substitutions) expect(substitution).to.match(/^\$\{env:[A-Z_]+(:-[^}]*)?\}$/);
  });

  it('when debugging extensions listen, then they listen on localhost only', () => {
    for (const id of ['health_check', 'pprof', 'zpages']) {
      const extension = config.extensions?.[id] as { endpoint?: string } | undefined;
      expect(extension?.endpoint, id).to.match(/^(127\.0\.0\.1|localhost):\d+$/);
    }
  });

  it(`when naming components, then every type exists in otelcol-contrib ${CONTRIB_RELEASE}`, () => {
    for (const kind of KINDS) {
      const known: readonly string[] = CONTRIB_COMPONENTS[kind];
      for (const id of defined(kind)) expect(known, `${kind}.${id}`).to.include(typeOf(id));
    }
  });

  it('when docker-compose.yml runs the collector, then it pins the release this test knows', () => {
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).to.include(`otel/opentelemetry-collector-contrib:${CONTRIB_RELEASE}`);
  });
});
