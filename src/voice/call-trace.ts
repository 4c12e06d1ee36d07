import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { TWILIO_CALL_SID } from '../signals/attributes.ts';
import { failSpan, tracer } from '../signals/spans.ts';

/**
 * A call's trace context as the propagator writes it (`traceparent`, or Sentry's `sentry-trace`
 * and `baggage`): stored with the call, and written into every URL Twilio will request next.
 */
export type TraceCarrier = Record<string, string>;

const CALL_TRACE = createContextKey('convonet.call_trace');

/**
 * One call is one trace. Twilio sends no trace headers, but it requests exactly the URLs the
 * TwiML names (`action`, `Redirect`) and signs them query string included, so the call's trace
 * context rides in those URLs (`callTraceQuery`) and telemetry makes each later webhook's HTTP
 * span a child of the call's first webhook span. The carrier is nothing but a query string, so a
 * WebSocket session (ConversationRelay's URL is signed the same way) can continue the trace with
 * `propagation.extract` on its URL's query just as well.
 *
 * Runs one webhook of a call in a span under the webhook's HTTP span. A webhook whose HTTP span
 * is not in the call's trace (the status callback, whose URL is set in the Twilio console, or a
 * URL written without a context) continues the stored trace instead and links to its HTTP span.
 */
export async function inCallSpan<T>(
  name: string,
  call: { callSid: string; traceContext?: TraceCarrier | null },
  attributes: Attributes,
  work: (span: Span, carrier: TraceCarrier) => Promise<T>,
): Promise<T> {
  const httpSpan = trace.getActiveSpan();
  httpSpan?.setAttribute(TWILIO_CALL_SID, call.callSid);
  const stored = call.traceContext ? propagation.extract(ROOT_CONTEXT, call.traceContext) : undefined;
  const joined = !stored || trace.getSpanContext(stored)?.traceId === httpSpan?.spanContext().traceId;
  const options: SpanOptions = {
    kind: joined ? SpanKind.INTERNAL : SpanKind.SERVER,
    links: !joined && httpSpan ? [{ context: httpSpan.spanContext() }] : [],
    attributes: { [TWILIO_CALL_SID]: call.callSid, ...attributes },
  };
  const parent = joined ? context.active() : stored;
  return tracer.startActiveSpan(name, options, parent, (span) => {
    // The call's first webhook starts the call's context; every later one passes it on unchanged,
    // so each webhook's HTTP span is a child of the first, not of the one before.
    const carrier = call.traceContext ?? injected(context.active());
    return context.with(context.active().setValue(CALL_TRACE, carrier), async () => {
      try {
        return await work(span, carrier);
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  });
}

/**
 * The current call's trace context as a query string for a URL Twilio will request; '' when
 * telemetry is off. Outside a call's span (an apology for a webhook that failed before it got
 * one), the active context: the webhook's own, which is the call's trace when its URL carried it.
 */
export function callTraceQuery(): string {
  const carrier = (context.active().getValue(CALL_TRACE) as TraceCarrier | undefined) ?? injected(context.active());
  return new URLSearchParams(carrier).toString();
}

function injected(active: Context): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier;
}
