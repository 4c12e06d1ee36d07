import { trace, type Attributes, type ProxyTracerProvider, type Span, type TimeInput, type Tracer } from '@opentelemetry/api';
import { INSTRUMENTATION_NAME } from '../../src/signals/attributes.ts';

/** What Sentry is told about the app's own spans, whatever their sampling decision. */
export interface AppSpanReport {
  /** An exception the app recorded (`failSpan`): every one is a failure the caller heard about. */
  exception(exception: unknown, span: Span): void;
  /** A span event, while the span is still open. */
  event(name: string, attributes: Attributes, span: Span): void;
}

/**
 * Reports what the app records on its own spans (tracer `convonet`), sampled or not: a
 * sampled-out span is a non-recording span that drops everything, in either bridge, so
 * watching span processors or exports would lose a sampled-out call's errors. The tracer the app
 * gets from the registered provider is wrapped instead, so each of its spans (a handful per
 * turn; instrumentations' spans are untouched) reports exceptions and events as they are
 * recorded. Only the app's spans: Koa records a refused webhook's 403 on its middleware span, and
 * undici a connection error the agent then retries; neither is a failure of the call.
 * Call after the tracer provider is registered and before the app takes its tracer.
 */
export function watchAppSpans(report: AppSpanReport): void {
  const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
  const getTracer = provider.getTracer.bind(provider);
  const watched = new WeakSet<Tracer>();
  provider.getTracer = (name, version, options) => {
    const tracer = getTracer(name, version, options);
    if (name !== INSTRUMENTATION_NAME || watched.has(tracer)) return tracer;
    watched.add(tracer);
    // startActiveSpan calls this.startSpan in both the SDK's and Sentry's tracers.
    const startSpan = tracer.startSpan.bind(tracer);
    tracer.startSpan = (spanName, spanOptions, context) => watch(startSpan(spanName, spanOptions, context), report);
    return tracer;
  };
}

function watch(span: Span, report: AppSpanReport): Span {
  let ended = false;
  const end = span.end.bind(span);
  const recordException = span.recordException.bind(span);
  const addEvent = span.addEvent.bind(span);
  span.end = (endTime?: TimeInput) => {
    ended = true;
    end(endTime);
  };
  span.recordException = (exception, time) => {
    recordException(exception, time);
    report.exception(exception, span);
  };
  span.addEvent = (name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput) => {
    addEvent(name, attributesOrStartTime, startTime);
    // An ended span drops the event, and so does this: the app records it again on an open span.
    if (!ended) report.event(name, eventAttributes(attributesOrStartTime), span);
    return span;
  };
  return span;
}

/** `addEvent`'s second argument is either the attributes or a time. */
function eventAttributes(attributesOrStartTime: unknown): Attributes {
  const isTime =
    attributesOrStartTime === undefined ||
    typeof attributesOrStartTime === 'number' ||
    attributesOrStartTime instanceof Date ||
    Array.isArray(attributesOrStartTime);
  return isTime ? {} : (attributesOrStartTime as Attributes);
}
