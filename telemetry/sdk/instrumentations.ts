import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KnexInstrumentation } from '@opentelemetry/instrumentation-knex';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

export interface InstrumentationOptions {
  /** Whether pino records are sent to the logs pipeline (trace ids are always added). */
  sendLogs: boolean;
  /** Hosts (host:port) of our own backends: their requests are telemetry, not app traffic. */
  ownBackends: readonly string[];
}

/**
 * Only what this app uses: its HTTP server and clients (Twilio, OpenAI), Koa, knex and pg, and
 * pino. No fs/dns/net: they would add spans to every turn and say nothing new.
 * Creating an instrumentation enables it, which registers its import-in-the-middle hook, so
 * this runs after the loader hook is registered and before the app is imported.
 */
export function createInstrumentations(options: InstrumentationOptions): Instrumentation[] {
  const isOwnBackend = (host: string | undefined, port: string | number | undefined): boolean =>
    options.ownBackends.includes(`${host}:${port ?? ''}`) || (port === undefined && options.ownBackends.some((backend) => backend.startsWith(`${host}:`)));
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => request.url === '/healthz' || request.url === '/readyz',
      ignoreOutgoingRequestHook: (request) => isOwnBackend(request.hostname ?? request.host ?? undefined, request.port ?? undefined),
      // Query parameters a URL may carry secrets in; the redactor catches the rest.
      redactedQueryParams: ['token', 'key', 'api_key', 'apikey', 'signature', 'sig', 'secret', 'password', 'access_token', 'code', 'sentry_key'],
    }),
    new UndiciInstrumentation({
      ignoreRequestHook: (request) => {
        const url = new URL(request.origin);
        return isOwnBackend(url.hostname, url.port);
      },
    }),
    new KoaInstrumentation(),
    // requireParentSpan: queries outside a request (migrations, pool checks) are not traces.
    new KnexInstrumentation({ requireParentSpan: true }),
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
    new PinoInstrumentation({ disableLogSending: !options.sendLogs }),
  ];
}
