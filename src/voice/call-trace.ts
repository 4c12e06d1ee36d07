import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { TWILIO_CALL_SID } from '../signals/attributes.ts';
import { failSpan, tracer } from '../signals/spans.ts';

/** W3C trace context, as stored with the call. */
export type TraceCarrier = Record<string, string>;

/**
 * Runs one webhook of a call in a span of the call's own trace. Twilio sends no trace context,
 * so each webhook's HTTP span starts a trace of its own; the call's first webhook starts the
 * call's trace and stores it with the call, and every later webhook (on whichever instance)
 * continues it and links back to its HTTP span. Searching for `twilio.call_sid` finds both.
 */
export async function inCallSpan<T>(
  name: string,
  call: { callSid: string; traceContext?: TraceCarrier | null },
  attributes: Attributes,
  work: (span: Span, carrier: TraceCarrier) => Promise<T>,
): Promise<T> {
  const httpSpan = trace.getActiveSpan();
  httpSpan?.setAttribute(TWILIO_CALL_SID, call.callSid);
  const links: Link[] = httpSpan ? [{ context: httpSpan.spanContext() }] : [];
  const parent = call.traceContext ? propagation.extract(ROOT_CONTEXT, call.traceContext) : ROOT_CONTEXT;
  const options = {
    kind: SpanKind.SERVER,
    links,
    root: !call.traceContext,
    attributes: { [TWILIO_CALL_SID]: call.callSid, ...attributes },
  };
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    const carrier: TraceCarrier = {};
    propagation.inject(context.active(), carrier);
    try {
      return await work(span, carrier);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
