// Renders received spans as indented trees, one per trace, for the terminal viewer:
//
//   trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  812.4 ms
//   └─ POST /voice/turn  812.4 ms  server  http.route=/voice/turn
//      ├─ agent.turn  790.1 ms  internal  convonet.turn.outcome=completed
//      │  └─ ✗ execute_tool add_todo  12.0 ms  internal  ERROR: db down  gen_ai.tool.name=add_todo
//      └─ ...
//
// Errors are marked with ✗ and ERROR so they stand out without colour too (CI logs, pipes).
import type { ReceivedSpan } from './otlp-flatten.ts';

export interface TraceTreeOptions {
  /** ANSI colours: red errors, dim ids. Off by default; the CLI turns it on for a TTY. */
  color?: boolean;
  /** Which attributes are worth a place on the line; defaults to `isKeyAttribute`. */
  showAttribute?: (key: string) => boolean;
}

const KEY_ATTRIBUTES = new Set([
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'url.path',
  'server.address',
  'db.system.name',
  'db.operation.name',
  'db.collection.name',
  'error.type',
  'exception.type',
]);

const KEY_PREFIXES = ['convonet.', 'twilio.', 'gen_ai.'];

export function isKeyAttribute(key: string): boolean {
  return KEY_ATTRIBUTES.has(key) || KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

const SPAN_KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

const RED = '\u001b[31m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms * 1000)} µs`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s=]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return JSON.stringify(value) ?? String(value);
}

function compareStart(a: ReceivedSpan, b: ReceivedSpan): number {
  const difference = BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

function earliestStart(spans: readonly ReceivedSpan[]): bigint {
  return spans.reduce((min, span) => {
    const start = BigInt(span.startTimeUnixNano);
    return start < min ? start : min;
  }, BigInt(spans[0]?.startTimeUnixNano ?? 0));
}

function latestEnd(spans: readonly ReceivedSpan[]): bigint {
  return spans.reduce((max, span) => {
    const end = BigInt(span.endTimeUnixNano);
    return end > max ? end : max;
  }, 0n);
}

function spanLine(span: ReceivedSpan, options: Required<TraceTreeOptions>, orphan: boolean): string {
  const isError = span.status.code === 2;
  const parts = [
    `${isError ? '✗ ' : ''}${span.name}`,
    formatDuration(span.durationMs),
    SPAN_KINDS[span.kind] ?? `kind=${span.kind}`,
  ].filter((part) => part !== '');
  if (isError) parts.push(`ERROR${span.status.message ? `: ${span.status.message}` : ''}`);
  if (orphan) parts.push('(parent not received)');
  for (const [key, value] of Object.entries(span.attributes)) {
    if (options.showAttribute(key)) parts.push(`${key}=${formatValue(value)}`);
  }
  const line = parts.join('  ');
  if (!options.color) return line;
  return isError ? `${RED}${BOLD}${line}${RESET}` : line;
}

/** Exception events recorded on a span, one line each, shown under the span. */
function exceptionLines(span: ReceivedSpan): string[] {
  return span.events
    .filter((event) => event.name === 'exception')
    .map((event) => {
      const type = event.attributes['exception.type'];
      const message = event.attributes['exception.message'];
      return `exception ${typeof type === 'string' ? type : ''}${typeof message === 'string' ? `: ${message}` : ''}`.trim();
    });
}

function renderTrace(traceId: string, spans: ReceivedSpan[], options: Required<TraceTreeOptions>): string[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId !== undefined && ids.has(span.parentSpanId)) {
      const siblings = children.get(span.parentSpanId) ?? [];
      siblings.push(span);
      children.set(span.parentSpanId, siblings);
    } else {
      roots.push(span);
    }
  }

  const errors = spans.filter((span) => span.status.code === 2).length;
  const header = [
    `trace ${traceId}`,
    `${spans.length} span${spans.length === 1 ? '' : 's'}`,
    formatDuration(Number(latestEnd(spans) - earliestStart(spans)) / 1e6),
    errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '',
  ]
    .filter((part) => part !== '')
    .join('  ');
  const lines = [options.color ? `${errors > 0 ? RED : ''}${BOLD}${header}${RESET}` : header];

  const walk = (span: ReceivedSpan, prefix: string, last: boolean, orphan: boolean): void => {
    lines.push(`${prefix}${last ? '└─ ' : '├─ '}${spanLine(span, options, orphan)}`);
    const childPrefix = `${prefix}${last ? '   ' : '│  '}`;
    const kids = (children.get(span.spanId) ?? []).sort(compareStart);
    for (const exception of span.status.code === 2 ? exceptionLines(span) : []) {
      const text = `${childPrefix}${kids.length > 0 ? '│  ' : ''}${exception}`;
      lines.push(options.color ? `${RED}${text}${RESET}` : text);
    }
    kids.forEach((kid, index) => walk(kid, childPrefix, index === kids.length - 1, false));
  };
  roots.sort(compareStart).forEach((root, index) => walk(root, '', index === roots.length - 1, root.parentSpanId !== undefined));
  return lines;
}

/** Renders every trace among `spans`, earliest first, as an indented tree. */
export function renderTraceTree(spans: readonly ReceivedSpan[], options: TraceTreeOptions = {}): string {
  const resolved: Required<TraceTreeOptions> = {
    color: options.color ?? false,
    showAttribute: options.showAttribute ?? isKeyAttribute,
  };
  const traces = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const trace = traces.get(span.traceId) ?? [];
    trace.push(span);
    traces.set(span.traceId, trace);
  }
  const ordered = [...traces.entries()].sort(([, a], [, b]) => {
    const difference = earliestStart(a) - earliestStart(b);
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  });
  return ordered.map(([traceId, trace]) => renderTrace(traceId, trace, resolved).join('\n')).join('\n\n');
}
