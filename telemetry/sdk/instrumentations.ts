import { getNodeAutoInstrumentations, type InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import { KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { adoptTraceContextFromUrl } from './url-trace-context.ts';

export interface InstrumentationOptions {
  /** Whether pino records are sent to the logs pipeline (trace ids are always added). */
  sendLogs: boolean;
  /** Hosts (host:port) of our own backends: their requests are telemetry, not app traffic. */
  ownBackends: readonly string[];
}

/**
 * What the app uses, on by default: its HTTP server, its HTTP clients (Twilio, OpenAI), Koa,
 * knex and pino. The rest of the auto-instrumentations are off until asked for with
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS (which then replaces this list, as the variable says);
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS narrows either. Left out on purpose: `pg`, because knex
 * already makes one span per query (both would count each query twice), works on PGlite too,
 * and `openai`, because the agent makes its own GenAI `chat` spans for every provider.
 */
export const DEFAULT_INSTRUMENTATIONS = ['http', 'undici', 'koa', 'knex', 'pino'] as const;

export function createInstrumentations(options: InstrumentationOptions): ReturnType<typeof getNodeAutoInstrumentations> {
  const isOwnBackend = (host: string | undefined, port: string | number | undefined): boolean =>
    options.ownBackends.includes(`${host}:${port ?? ''}`) || (port === undefined && options.ownBackends.some((backend) => backend.startsWith(`${host}:`)));

  const configs: InstrumentationConfigMap = {
    '@opentelemetry/instrumentation-http': {
      ignoreIncomingRequestHook: (request) => request.url === '/healthz' || request.url === '/readyz',
      ignoreOutgoingRequestHook: (request) => isOwnBackend(request.hostname ?? request.host ?? undefined, request.port ?? undefined),
      // Runs before the server span starts: a webhook's trace context rides in its URL.
      startIncomingSpanHook: (request) => {
        adoptTraceContextFromUrl(request);
        return {};
      },
      // Query parameters a URL may carry secrets in; the redactor catches the rest.
      redactedQueryParams: ['token', 'key', 'api_key', 'apikey', 'signature', 'sig', 'secret', 'password', 'access_token', 'code', 'sentry_key'],
    },
    '@opentelemetry/instrumentation-undici': {
      ignoreRequestHook: (request) => {
        const url = new URL(request.origin);
        return isOwnBackend(url.hostname, url.port);
      },
    },
    // A span per route (it puts http.route on the HTTP span and its metrics), none per middleware:
    // those only say that a function ran.
    '@opentelemetry/instrumentation-koa': { ignoreLayersType: [KoaLayerType.MIDDLEWARE] },
    // requireParentSpan: queries outside a request (migrations, pool checks) are not traces.
    '@opentelemetry/instrumentation-knex': { requireParentSpan: true },
    '@opentelemetry/instrumentation-pg': { requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true },
    '@opentelemetry/instrumentation-pino': { disableLogSending: !options.sendLogs },
  };
  if (!process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS?.trim()) {
    // Ours by default; `enabled: false` would win over OTEL_NODE_ENABLED_INSTRUMENTATIONS, so it is
    // only set when that variable is not.
    const on = new Set<string>(DEFAULT_INSTRUMENTATIONS.map((name) => `@opentelemetry/instrumentation-${name}`));
    for (const name of ALL_INSTRUMENTATIONS) {
      if (!on.has(name)) Object.assign(configs, { [name]: { ...configs[name], enabled: false } });
    }
  }
  return getNodeAutoInstrumentations(configs);
}

// Every name getNodeAutoInstrumentations knows, typed so that a renamed one fails to compile.
const ALL_INSTRUMENTATIONS: (keyof InstrumentationConfigMap)[] = [
  '@opentelemetry/instrumentation-amqplib',
  '@opentelemetry/instrumentation-aws-lambda',
  '@opentelemetry/instrumentation-aws-sdk',
  '@opentelemetry/instrumentation-bunyan',
  '@opentelemetry/instrumentation-cassandra-driver',
  '@opentelemetry/instrumentation-connect',
  '@opentelemetry/instrumentation-cucumber',
  '@opentelemetry/instrumentation-dataloader',
  '@opentelemetry/instrumentation-dns',
  '@opentelemetry/instrumentation-express',
  '@opentelemetry/instrumentation-fs',
  '@opentelemetry/instrumentation-generic-pool',
  '@opentelemetry/instrumentation-graphql',
  '@opentelemetry/instrumentation-grpc',
  '@opentelemetry/instrumentation-hapi',
  '@opentelemetry/instrumentation-host-metrics',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-ioredis',
  '@opentelemetry/instrumentation-kafkajs',
  '@opentelemetry/instrumentation-knex',
  '@opentelemetry/instrumentation-koa',
  '@opentelemetry/instrumentation-lru-memoizer',
  '@opentelemetry/instrumentation-memcached',
  '@opentelemetry/instrumentation-mongodb',
  '@opentelemetry/instrumentation-mongoose',
  '@opentelemetry/instrumentation-mysql2',
  '@opentelemetry/instrumentation-mysql',
  '@opentelemetry/instrumentation-nestjs-core',
  '@opentelemetry/instrumentation-net',
  '@opentelemetry/instrumentation-openai',
  '@opentelemetry/instrumentation-oracledb',
  '@opentelemetry/instrumentation-pg',
  '@opentelemetry/instrumentation-pino',
  '@opentelemetry/instrumentation-redis',
  '@opentelemetry/instrumentation-restify',
  '@opentelemetry/instrumentation-router',
  '@opentelemetry/instrumentation-runtime-node',
  '@opentelemetry/instrumentation-socket.io',
  '@opentelemetry/instrumentation-tedious',
  '@opentelemetry/instrumentation-undici',
  '@opentelemetry/instrumentation-winston',
];
