// A small OTLP/HTTP receiver: the terminal trace viewer listens with it, and tests use it as the
// backend the telemetry setup exports to, so they can assert on what actually left the process.
//
// It speaks the OTLP/HTTP spec (https://opentelemetry.io/docs/specs/otlp/#otlphttp): POST to
// /v1/traces, /v1/metrics or /v1/logs, body in protobuf or JSON, optionally gzip- or
// deflate-compressed; it answers 200 with an empty Export*ServiceResponse in the request's encoding.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { flattenLogs, flattenMetrics, flattenTraces } from './otlp-flatten.ts';
import type { ReceivedLog, ReceivedMetric, ReceivedSpan } from './otlp-flatten.ts';
import { decodeProtobufRequest } from './otlp-schema.ts';
import type { OtlpSignal } from './otlp-schema.ts';

export type {
  ReceivedDataPoint,
  ReceivedLog,
  ReceivedMetric,
  ReceivedMetricType,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
} from './otlp-flatten.ts';

export interface ReceivedRequest {
  path: string;
  contentType: string;
  /** The body after decompression, so a test can scan it for leaked secrets. */
  body: Buffer;
  headers: IncomingHttpHeaders;
}

export interface ReceivedBatch {
  signal: OtlpSignal;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  logs: ReceivedLog[];
}

export interface OtlpReceiverOptions {
  /** Defaults to 127.0.0.1: this receiver has no authentication and must not face a network. */
  host?: string;
  /** 0 (the default) picks a free port; read it back from `url`. */
  port?: number;
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:43817; exporters append /v1/traces and so on. */
  url: string;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  logs: ReceivedLog[];
  requests: ReceivedRequest[];
  /**
   * Resolves once `predicate` holds, checking now and again each time a request has been decoded;
   * rejects after `timeoutMs` (default 5000) with what was received so far.
   */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Called with each decoded request; returns the unsubscribe function. */
  subscribe(listener: (batch: ReceivedBatch) => void): () => void;
  /** Empties the collections in place, so references already taken stay live. */
  reset(): void;
  close(): Promise<void>;
}

const SIGNAL_BY_PATH: Record<string, OtlpSignal> = {
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
};

const MAX_BODY_BYTES = 32 * 1024 * 1024;

const decompressors: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  deflate: promisify(inflate),
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(buffer);
  }
  const raw = Buffer.concat(chunks);
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity' || raw.length === 0) return raw;
  const decompress = decompressors[encoding];
  if (!decompress) throw new HttpError(415, `unsupported content-encoding ${encoding}`);
  return decompress(raw);
}

function isProtobuf(contentType: string): boolean {
  return contentType === 'application/x-protobuf' || contentType === 'application/protobuf';
}

function decode(signal: OtlpSignal, contentType: string, body: Buffer): unknown {
  if (isProtobuf(contentType)) return decodeProtobufRequest(signal, body);
  if (contentType === 'application/json') return body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  throw new HttpError(415, `unsupported content-type ${contentType || '(none)'}`);
}

function flatten(signal: OtlpSignal, request: unknown): ReceivedBatch {
  return {
    signal,
    spans: signal === 'traces' ? flattenTraces(request) : [],
    metrics: signal === 'metrics' ? flattenMetrics(request) : [],
    logs: signal === 'logs' ? flattenLogs(request) : [],
  };
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const logs: ReceivedLog[] = [];
  const requests: ReceivedRequest[] = [];
  const events = new EventEmitter();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const signal = SIGNAL_BY_PATH[path];
    if (!signal) throw new HttpError(404, `no OTLP signal at ${path}`);
    if (request.method !== 'POST') throw new HttpError(405, 'OTLP/HTTP accepts POST only');

    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const body = await readBody(request);
    let decoded: unknown;
    try {
      decoded = decode(signal, contentType, body);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, `cannot decode ${signal}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const batch = flatten(signal, decoded);

    requests.push({ path, contentType, body, headers: request.headers });
    spans.push(...batch.spans);
    metrics.push(...batch.metrics);
    logs.push(...batch.logs);

    // An empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON.
    response.writeHead(200, { 'content-type': isProtobuf(contentType) ? contentType : 'application/json' });
    response.end(isProtobuf(contentType) ? Buffer.alloc(0) : '{}');
    events.emit('batch', batch);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) {
        // OTLP/HTTP errors carry a google.rpc.Status; its JSON form is enough for a debugging receiver.
        response.writeHead(status, { 'content-type': 'application/json' });
      }
      response.end(JSON.stringify({ code: status === 400 ? 3 : 13, message }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    spans,
    metrics,
    logs,
    requests,
    waitFor(predicate, timeoutMs = 5000) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          try {
            if (!predicate()) return;
          } catch (error) {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(
              `OTLP receiver: condition not met within ${timeoutMs} ms ` +
                `(received ${spans.length} spans, ${metrics.length} metrics, ${logs.length} logs ` +
                `in ${requests.length} requests)`,
            ),
          );
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          events.off('batch', check);
        };
        events.on('batch', check);
      });
    },
    subscribe(listener) {
      events.on('batch', listener);
      return () => {
        events.off('batch', listener);
      };
    },
    reset() {
      spans.length = 0;
      metrics.length = 0;
      logs.length = 0;
      requests.length = 0;
    },
    close() {
      events.removeAllListeners();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Exporters keep connections alive; without this, close waits for their idle timeout.
        server.closeAllConnections();
      });
    },
  };
}
