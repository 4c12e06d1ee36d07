import { trace, type Attributes } from '@opentelemetry/api';
import type { Logger } from 'pino';

type Level = 'info' | 'warn' | 'error';

/**
 * One of the moments an operator looks for (a thread reset, an agent timeout...): an event on
 * the active span, so it sits in the call's trace, and a log record at its level, so it can be
 * searched and alerted on where traces are sampled away.
 */
export function recordEvent(logger: Logger, level: Level, name: string, attributes: Attributes = {}): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
  logger[level]({ event: name, ...attributes }, name);
}
