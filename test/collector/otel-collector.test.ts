// Static checks of otel-collector.yaml and collector/sentry.yaml, for what the running collector
// (collector.test.ts) cannot tell: ordering, the safety net on every pipeline, how the Sentry
// fragment merges, and that secrets and addresses come from the environment.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';

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

const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
type Kind = (typeof KINDS)[number];

const baseSource = readFileSync(new URL('../../otel-collector.yaml', import.meta.url), 'utf8');
const sentrySource = readFileSync(new URL('../../collector/sentry.yaml', import.meta.url), 'utf8');
const base = parse(baseSource) as CollectorConfig;
const sentry = parse(sentrySource) as Partial<CollectorConfig>;

/** The collector's merge of several --config files: maps merge deeply, anything else is replaced. */
function merge(into: unknown, from: unknown): unknown {
  const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isMap(into) || !isMap(from)) return from;
  const merged: Record<string, unknown> = { ...into };
  for (const [key, value] of Object.entries(from)) merged[key] = key in into ? merge(into[key], value) : value;
  return merged;
}

const withSentry = merge(base, sentry) as CollectorConfig;

/** `otlp_http/sentry` is an instance of type `otlp_http`. */
function typeOf(id: string): string {
  return id.split('/')[0] ?? id;
}

for (const [name, config] of [
  ['otel-collector.yaml', base],
  ['otel-collector.yaml with collector/sentry.yaml', withSentry],
] as const) {
  const pipelines = Object.entries(config.service.pipelines);
  const defined = (kind: Kind): string[] => Object.keys(config[kind] ?? {});
  const used = (kind: Kind): Set<string> => {
    if (kind === 'extensions') return new Set(config.service.extensions ?? []);
    // A connector is an exporter of one pipeline and a receiver of another.
    const lists = pipelines.flatMap(([, p]) => (kind === 'connectors' ? [p.receivers, p.exporters] : [p[kind]]));
    return new Set(lists.flatMap((list) => list ?? []));
  };

  describe(name, () => {
    it('when parsed, then it has pipelines for traces, metrics and logs', () => {
      expect([...new Set(pipelines.map(([id]) => typeOf(id)))].sort()).to.deep.equal(['logs', 'metrics', 'traces']);
    });

    it('when a pipeline or the service names a component, then that component is defined', () => {
      const definedIds = new Set(KINDS.flatMap(defined));
      for (const [id, pipeline] of pipelines) {
        for (const component of [...(pipeline.receivers ?? []), ...(pipeline.processors ?? []), ...(pipeline.exporters ?? [])]) {
          expect(definedIds.has(component), `${component} in pipeline ${id}`).to.equal(true);
        }
      }
      for (const extension of config.service.extensions ?? []) expect(defined('extensions'), `extension ${extension}`).to.include(extension);
    });

    it('when a component is defined, then something uses it', () => {
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

    it('when a pipeline has processors, then memory_limiter comes first and the scrubbing safety net follows', () => {
      for (const [id, pipeline] of pipelines) {
        expect(pipeline.processors?.[0], `first processor of ${id}`).to.equal('memory_limiter');
        expect(pipeline.processors, `processors of ${id}`).to.include.members(['transform/scrub', 'redaction']);
      }
    });

    it('when an exporter sends over the network, then it batches on its sending queue (no deprecated batch processor)', () => {
      expect(defined('processors').map(typeOf)).not.to.include('batch');
      for (const id of defined('exporters').filter((exporter) => /^otlp_(grpc|http)\//.test(exporter))) {
        const exporter = config.exporters?.[id] as { sending_queue?: { batch?: unknown } } | undefined;
        expect(exporter?.sending_queue?.batch, `${id} sending_queue.batch`).to.be.an('object');
      }
    });
  });
}

describe('otel-collector.yaml, what it promises', () => {
  const pipelines = Object.entries(base.service.pipelines);

  it('when traces are sampled, then errors and slow operations are always kept and the rest by a share', () => {
    const sampler = base.processors?.['tail_sampling'] as { policies: { type: string; status_code?: { status_codes: string[] } }[] };
    expect(sampler.policies.map((policy) => policy.type)).to.have.members(['status_code', 'ottl_condition', 'probabilistic']);
    expect(sampler.policies.find((policy) => policy.type === 'status_code')?.status_code?.status_codes).to.deep.equal(['ERROR']);
    const unsampled = pipelines.filter(([id, p]) => typeOf(id) === 'traces' && !p.processors?.includes('tail_sampling'));
    expect(unsampled.flatMap(([, p]) => p.exporters ?? [])).to.include.members(['debug', 'file', 'span_metrics']);
  });

  it('when Sentry is not configured, then nothing in otel-collector.yaml mentions it', () => {
    expect(JSON.stringify(base)).not.to.match(/sentry/i);
  });

  it('when a listener has a default address, then debugging endpoints default to localhost only', () => {
    for (const id of ['health_check', 'pprof', 'zpages']) {
      const extension = base.extensions?.[id] as { endpoint?: string } | undefined;
      expect(extension?.endpoint, id).to.match(/^\$\{env:COLLECTOR_[A-Z]+_ENDPOINT:-(127\.0\.0\.1|localhost):\d+\}$/);
    }
  });
});

describe('collector/sentry.yaml', () => {
  it('when added, then it sends sampled traces and logs to Sentry, from env only', () => {
    const exporter = withSentry.exporters?.['otlp_http/sentry'] as { endpoint: string; headers: Record<string, string> };
    expect(exporter.endpoint).to.equal('${env:SENTRY_OTLP_ENDPOINT}');
    expect(exporter.headers['x-sentry-auth']).to.equal('sentry sentry_key=${env:SENTRY_PUBLIC_KEY}');
    const toSentry = Object.entries(withSentry.service.pipelines).filter(([, p]) => p.exporters?.includes('otlp_http/sentry'));
    expect(toSentry.map(([id]) => id).sort()).to.deep.equal(['logs', 'traces/sampled']);
  });

  it('when it replaces an exporter list, then it keeps every exporter of otel-collector.yaml and only adds Sentry', () => {
    for (const [id, pipeline] of Object.entries(sentry.service?.pipelines ?? {})) {
      const before = base.service.pipelines[id]?.exporters ?? [];
      expect(pipeline.exporters?.filter((exporter) => exporter !== 'otlp_http/sentry'), id).to.deep.equal(before);
      expect(Object.keys(pipeline), id).to.deep.equal(['exporters']);
    }
  });
});

describe('otel-collector.yaml and collector/sentry.yaml as files', () => {
  for (const [name, source] of [
    ['otel-collector.yaml', baseSource],
    ['collector/sentry.yaml', sentrySource],
  ] as const) {
    it(`when reading ${name}, then it holds no literal secret and every substitution uses the env provider`, () => {
      expect(source).not.to.match(/https:\/\/[0-9a-f]{32}@/);
      expect(source).not.to.match(/sentry_key=[0-9a-f]{16,}/);
      const substitutions = source.match(/\$\{[^}]*\}/g) ?? [];
      expect(substitutions.length).to.be.greaterThan(0);
      for (const substitution of substitutions) expect(substitution).to.match(/^\$\{env:[A-Z_]+(:-[^}]*)?\}$/);
    });
  }
});
