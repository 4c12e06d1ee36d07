import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { parseEnvelope } from '@sentry/core';
import { flattenLogs, flattenTraces, type ReceivedLog, type ReceivedSpan } from '../../telemetry/tail/otlp-flatten.ts';
import { decodeProtobufRequest } from '../../telemetry/tail/otlp-schema.ts';

/** One envelope item: its header (`type` says what it is) and its parsed payload. */
export interface SentryItem {
  header: { type: string; [key: string]: unknown };
  payload: unknown;
}

export interface SentryRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The body after decompression, for scanning every byte that reached "Sentry". */
  body: Buffer;
}

/** The fields of a Sentry error event the tests read. */
export interface SentryErrorEvent {
  event_id?: string;
  level?: string;
  contexts?: { trace?: { trace_id?: string; span_id?: string } };
  exception?: {
    values?: { type?: string; value?: string; stacktrace?: { frames?: { filename?: string; function?: string }[] } }[];
  };
  [key: string]: unknown;
}

export interface FakeSentry {
  /** DSN pointing here: http://publickey@127.0.0.1:<port>/1 */
  dsn: string;
  /** The same project's OTLP base URL, as Client Keys shows it: http://127.0.0.1:<port>/api/1/integration/otlp */
  otlpEndpoint: string;
  requests: SentryRequest[];
  items: SentryItem[];
  /** Spans received on Sentry's OTLP traces intake. */
  otlpSpans: ReceivedSpan[];
  /** Log records received on Sentry's OTLP logs intake (what a collector sends). */
  otlpLogs: ReceivedLog[];
  errorEvents(): SentryErrorEvent[];
  /** Log records from `log` items (each item carries a batch). */
  logs(): { body?: string; trace_id?: string; attributes?: Record<string, { value: unknown }> }[];
  /** Native Sentry spans, streamed (`span` items) or inside transactions. */
  nativeSpans(): { trace_id?: string; span_id?: string; parent_span_id?: string; name?: string; description?: string; attributes?: Record<string, unknown>; data?: Record<string, unknown> }[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

const decompressors: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  deflate: promisify(inflate),
};

/**
 * Sentry's ingest as far as the SDK and an OTLP exporter can tell: envelopes at
 * /api/<project>/envelope/ (parsed with @sentry/core's own parser) and OTLP traces and logs at
 * /api/<project>/integration/otlp/v1/{traces,logs}, everything recorded, raw bytes included.
 */
export async function startFakeSentry(): Promise<FakeSentry> {
  const requests: SentryRequest[] = [];
  const items: SentryItem[] = [];
  const otlpSpans: ReceivedSpan[] = [];
  const otlpLogs: ReceivedLog[] = [];
  const received = new EventEmitter();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const encoding = request.headers['content-encoding'];
        const decompress = encoding ? decompressors[encoding] : undefined;
        const body = decompress ? await decompress(raw) : raw;
        const path = (request.url ?? '/').split('?')[0] ?? '/';
        requests.push({ path, headers: request.headers, body });
        if (/^\/api\/\d+\/envelope\/?$/.test(path)) {
          const [, envelopeItems] = parseEnvelope(body);
          for (const [header, payload] of envelopeItems) {
            items.push({ header: header as SentryItem['header'], payload });
          }
        } else if (/^\/api\/\d+\/integration\/otlp\/v1\/(traces|logs)\/?$/.test(path)) {
          const signal = path.includes('/v1/traces') ? 'traces' : 'logs';
          const contentType = request.headers['content-type'] ?? '';
          const decoded = contentType.includes('json') ? JSON.parse(body.toString('utf8')) : decodeProtobufRequest(signal, body);
          if (signal === 'traces') otlpSpans.push(...flattenTraces(decoded));
          else otlpLogs.push(...flattenLogs(decoded));
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        received.emit('request');
      })().catch((error: unknown) => {
        response.writeHead(400).end(String(error));
        received.emit('request');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const payloadsOf = (type: string): unknown[] => items.filter((item) => item.header.type === type).map((item) => item.payload);

  return {
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    otlpEndpoint: `http://127.0.0.1:${port}/api/1/integration/otlp`,
    requests,
    items,
    otlpSpans,
    otlpLogs,
    errorEvents: () => payloadsOf('event') as SentryErrorEvent[],
    logs: () => payloadsOf('log').flatMap((payload) => (payload as { items?: [] }).items ?? []),
    nativeSpans: () => [
      ...payloadsOf('span').flatMap((payload) => (payload as { items?: [] }).items ?? [payload]),
      ...payloadsOf('transaction').flatMap((payload) => {
        const transaction = payload as { contexts?: { trace?: object }; spans?: object[]; transaction?: string };
        return [{ ...transaction.contexts?.trace, description: transaction.transaction }, ...(transaction.spans ?? [])];
      }),
    ] as ReturnType<FakeSentry['nativeSpans']>,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          received.off('request', check);
          resolve();
        };
        const timer = setTimeout(() => {
          received.off('request', check);
          reject(new Error(`fake Sentry: condition not met within ${timeoutMs} ms; item types: ${items.map((item) => item.header.type).join(',') || 'none'}, otlp spans: ${otlpSpans.length}, otlp logs: ${otlpLogs.length}`));
        }, timeoutMs);
        received.on('request', check);
        check();
      });
    },
    reset() {
      requests.length = 0;
      items.length = 0;
      otlpSpans.length = 0;
      otlpLogs.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
