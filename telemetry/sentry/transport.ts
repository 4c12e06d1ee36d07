import * as http from 'node:http';
import * as https from 'node:https';
import * as Sentry from '@sentry/node';
import type { BaseTransportOptions, Transport } from '@sentry/core';
import { OutageLog } from '../sdk/export-outages.ts';

type NodeTransportOptions = Parameters<typeof Sentry.makeNodeTransport>[0];

/**
 * Sentry's Node transport, with what it lacks: a request timeout (without one, a Sentry that
 * accepts connections and never answers holds every envelope's request open forever and is never
 * reported), and outage reporting for every envelope it sends: events, feedback, logs, spans.
 * Its queue stays bounded by Sentry's own `transportOptions.bufferSize` (64 requests in flight);
 * beyond that, envelopes are dropped and counted as client reports.
 */
export function makeTransport(timeoutMs: number, outages = new OutageLog('sentry')) {
  return (options: BaseTransportOptions): Transport => {
    const client = new URL(options.url).protocol === 'https:' ? https : http;
    const httpModule: NonNullable<NodeTransportOptions['httpModule']> = {
      request: (requestOptions, callback) => {
        const request = client.request(requestOptions as http.RequestOptions, callback);
        request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        return request;
      },
    };
    const transport = Sentry.makeNodeTransport({ ...options, httpModule });
    return {
      ...transport,
      send: async (envelope) => {
        try {
          const response = await transport.send(envelope);
          const status = response.statusCode;
          outages.record({ ok: status === undefined || status < 400, error: `HTTP ${status}` });
          return response;
        } catch (error) {
          outages.record({ ok: false, error });
          throw error;
        }
      },
    };
  };
}
