import type { IncomingMessage } from 'node:http';
import { propagation } from '@opentelemetry/api';

/**
 * Twilio sends no trace headers, but it requests exactly the URLs the app writes into its TwiML,
 * and the app writes the call's trace context into them (src/voice/call-trace.ts). Copied into
 * the request's headers before the HTTP server span starts, that context makes the span, and
 * everything under it, part of the call's trace.
 *
 * Trust: the span starts before the webhook's signature is checked, so a forged request can
 * put its one refused (403) HTTP span into a trace of its choosing, exactly as any client can
 * with a `traceparent` header. It reaches nothing else: the app never reads identity from a
 * trace context, and Twilio signs the whole URL, so a genuine webhook's context is the one the
 * app wrote. docs/telemetry.md, "One trace per call", has the full reasoning.
 *
 * Costs a substring test per request; the query is parsed only when it carries a context.
 */
export function adoptTraceContextFromUrl(request: IncomingMessage): void {
  const url = request.url;
  const queryStart = url?.indexOf('?') ?? -1;
  if (!url || queryStart < 0) return;
  const fields = propagation.fields();
  const query = url.slice(queryStart + 1);
  if (!fields.some((field) => query.includes(`${field}=`))) return;
  const params = new URLSearchParams(query);
  // The URL's context replaces any sent in headers: for a webhook, only Twilio's URL is signed.
  for (const field of fields) {
    const value = params.get(field);
    if (value !== null) request.headers[field] = value;
    else delete request.headers[field];
  }
}
