// Turns OTLP export requests (OTLP/JSON, or protobuf decoded to the same shape) into flat records
// that tests and the terminal viewer can read without walking resource/scope nesting.
//
// Input is untrusted wire data, so every field is optional here and defaults are applied on read.
// JSON and protobuf differ in three places, all handled below: ids are hex strings in JSON but bytes
// in protobuf; 64-bit integers may be JSON numbers or strings; bytes values are base64 in JSON.

export interface ReceivedResourceScope {
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedSpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpanLink {
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpan extends ReceivedResourceScope {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** SpanKind as in OTLP: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Nanoseconds since the epoch as a decimal string: it does not fit a double. */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  attributes: Record<string, unknown>;
  status: { code: 0 | 1 | 2; message?: string };
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
}

export type ReceivedMetricType = 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface ReceivedDataPoint {
  attributes: Record<string, unknown>;
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram, exponential histogram and summary points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  scale?: number;
  zeroCount?: number;
}

export interface ReceivedMetric extends ReceivedResourceScope {
  name: string;
  unit: string;
  description: string;
  type: ReceivedMetricType;
  /** For sums: 1 delta, 2 cumulative. */
  aggregationTemporality?: number;
  isMonotonic?: boolean;
  dataPoints: ReceivedDataPoint[];
}

export interface ReceivedLog extends ReceivedResourceScope {
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  severityText: string;
  severityNumber: number;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

type Int64 = string | number;
type Id = string | Uint8Array;

interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: string | Uint8Array;
}
interface WireKeyValue { key?: string; value?: WireAnyValue }
interface WireResource { attributes?: WireKeyValue[] }
interface WireScope { name?: string; version?: string }

interface WireSpan {
  traceId?: Id; spanId?: Id; parentSpanId?: Id; name?: string; kind?: number;
  startTimeUnixNano?: Int64; endTimeUnixNano?: Int64; attributes?: WireKeyValue[];
  events?: { timeUnixNano?: Int64; name?: string; attributes?: WireKeyValue[] }[];
  links?: { traceId?: Id; spanId?: Id; attributes?: WireKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface WireTraceRequest {
  resourceSpans?: { resource?: WireResource; scopeSpans?: { scope?: WireScope; spans?: WireSpan[] }[] }[];
}

interface WireNumberPoint {
  attributes?: WireKeyValue[]; startTimeUnixNano?: Int64; timeUnixNano?: Int64; asDouble?: number; asInt?: Int64;
}
interface WireHistogramPoint {
  attributes?: WireKeyValue[]; startTimeUnixNano?: Int64; timeUnixNano?: Int64; count?: Int64; sum?: number;
  min?: number; max?: number; bucketCounts?: Int64[]; explicitBounds?: number[];
  scale?: number; zeroCount?: Int64; positive?: { offset?: number; bucketCounts?: Int64[] };
}
interface WireMetric {
  name?: string; description?: string; unit?: string;
  gauge?: { dataPoints?: WireNumberPoint[] };
  sum?: { dataPoints?: WireNumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: WireHistogramPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: WireHistogramPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints?: WireHistogramPoint[] };
}
interface WireMetricsRequest {
  resourceMetrics?: { resource?: WireResource; scopeMetrics?: { scope?: WireScope; metrics?: WireMetric[] }[] }[];
}

interface WireLogRecord {
  timeUnixNano?: Int64; observedTimeUnixNano?: Int64; severityNumber?: number; severityText?: string;
  body?: WireAnyValue; attributes?: WireKeyValue[]; traceId?: Id; spanId?: Id; eventName?: string;
}
interface WireLogsRequest {
  resourceLogs?: { resource?: WireResource; scopeLogs?: { scope?: WireScope; logRecords?: WireLogRecord[] }[] }[];
}

const HEX_ID = /^[0-9a-f]+$/i;

/** OTLP/JSON carries ids as hex; protobuf as bytes. Some older JSON senders used base64. */
function toHexId(id: Id | undefined): string | undefined {
  if (id === undefined) return undefined;
  const hex =
    typeof id === 'string'
      ? (id.length === 32 || id.length === 16) && HEX_ID.test(id)
        ? id.toLowerCase()
        : Buffer.from(id, 'base64').toString('hex')
      : Buffer.from(id).toString('hex');
  return hex === '' || /^0+$/.test(hex) ? undefined : hex;
}

function toNanos(value: Int64 | undefined): string {
  if (value === undefined) return '0';
  return typeof value === 'number' ? BigInt(Math.trunc(value)).toString() : value;
}

function toNumber(value: Int64 | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** int64 values become numbers when exact, otherwise bigint, so a test never compares a rounded value. */
function toInteger(value: Int64): number | bigint {
  const big = BigInt(value);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
}

function anyValue(value: WireAnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return toInteger(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue !== undefined) return attributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) {
    return typeof value.bytesValue === 'string'
      ? new Uint8Array(Buffer.from(value.bytesValue, 'base64'))
      : new Uint8Array(value.bytesValue);
  }
  return undefined;
}

function attributes(list: WireKeyValue[] | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    if (key !== undefined) result[key] = anyValue(value);
  }
  return result;
}

function resourceScope(resource: WireResource | undefined, scope: WireScope | undefined): ReceivedResourceScope {
  return {
    resource: attributes(resource?.attributes),
    scope: { name: scope?.name ?? '', version: scope?.version ?? '' },
  };
}

function statusCode(code: number | undefined): 0 | 1 | 2 {
  return code === 1 || code === 2 ? code : 0;
}

export function flattenTraces(request: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of (request as WireTraceRequest).resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const start = toNanos(span.startTimeUnixNano);
        const end = toNanos(span.endTimeUnixNano);
        const parentSpanId = toHexId(span.parentSpanId);
        const message = span.status?.message;
        spans.push({
          ...resourceScope(rs.resource, ss.scope),
          traceId: toHexId(span.traceId) ?? '',
          spanId: toHexId(span.spanId) ?? '',
          ...(parentSpanId === undefined ? {} : { parentSpanId }),
          name: span.name ?? '',
          kind: span.kind ?? 0,
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: Number(BigInt(end) - BigInt(start)) / 1e6,
          attributes: attributes(span.attributes),
          status: { code: statusCode(span.status?.code), ...(message ? { message } : {}) },
          events: (span.events ?? []).map((event) => ({
            name: event.name ?? '',
            timeUnixNano: toNanos(event.timeUnixNano),
            attributes: attributes(event.attributes),
          })),
          links: (span.links ?? []).map((link) => ({
            traceId: toHexId(link.traceId) ?? '',
            spanId: toHexId(link.spanId) ?? '',
            attributes: attributes(link.attributes),
          })),
        });
      }
    }
  }
  return spans;
}

function numberPoint(point: WireNumberPoint): ReceivedDataPoint {
  return {
    attributes: attributes(point.attributes),
    startTimeUnixNano: toNanos(point.startTimeUnixNano),
    timeUnixNano: toNanos(point.timeUnixNano),
    value: point.asDouble ?? toNumber(point.asInt) ?? 0,
  };
}

function distributionPoint(point: WireHistogramPoint): ReceivedDataPoint {
  const optional: Partial<ReceivedDataPoint> = {};
  if (point.sum !== undefined) optional.sum = point.sum;
  if (point.min !== undefined) optional.min = point.min;
  if (point.max !== undefined) optional.max = point.max;
  if (point.explicitBounds !== undefined) optional.explicitBounds = point.explicitBounds;
  const buckets = point.bucketCounts ?? point.positive?.bucketCounts;
  if (buckets !== undefined) optional.bucketCounts = buckets.map(Number);
  if (point.scale !== undefined) optional.scale = point.scale;
  if (point.zeroCount !== undefined) optional.zeroCount = Number(point.zeroCount);
  return {
    attributes: attributes(point.attributes),
    startTimeUnixNano: toNanos(point.startTimeUnixNano),
    timeUnixNano: toNanos(point.timeUnixNano),
    count: toNumber(point.count) ?? 0,
    ...optional,
  };
}

function flattenMetric(metric: WireMetric): Pick<ReceivedMetric, 'type' | 'dataPoints' | 'aggregationTemporality' | 'isMonotonic'> {
  if (metric.sum) {
    return {
      type: 'sum',
      dataPoints: (metric.sum.dataPoints ?? []).map(numberPoint),
      aggregationTemporality: metric.sum.aggregationTemporality ?? 0,
      isMonotonic: metric.sum.isMonotonic ?? false,
    };
  }
  if (metric.gauge) return { type: 'gauge', dataPoints: (metric.gauge.dataPoints ?? []).map(numberPoint) };
  if (metric.histogram) {
    return {
      type: 'histogram',
      dataPoints: (metric.histogram.dataPoints ?? []).map(distributionPoint),
      aggregationTemporality: metric.histogram.aggregationTemporality ?? 0,
    };
  }
  if (metric.exponentialHistogram) {
    return {
      type: 'exponentialHistogram',
      dataPoints: (metric.exponentialHistogram.dataPoints ?? []).map(distributionPoint),
      aggregationTemporality: metric.exponentialHistogram.aggregationTemporality ?? 0,
    };
  }
  return { type: 'summary', dataPoints: (metric.summary?.dataPoints ?? []).map(distributionPoint) };
}

export function flattenMetrics(request: unknown): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = [];
  for (const rm of (request as WireMetricsRequest).resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const metric of sm.metrics ?? []) {
        metrics.push({
          ...resourceScope(rm.resource, sm.scope),
          name: metric.name ?? '',
          unit: metric.unit ?? '',
          description: metric.description ?? '',
          ...flattenMetric(metric),
        });
      }
    }
  }
  return metrics;
}

export function flattenLogs(request: unknown): ReceivedLog[] {
  const logs: ReceivedLog[] = [];
  for (const rl of (request as WireLogsRequest).resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        const traceId = toHexId(record.traceId);
        const spanId = toHexId(record.spanId);
        logs.push({
          ...resourceScope(rl.resource, sl.scope),
          timeUnixNano: toNanos(record.timeUnixNano),
          ...(record.observedTimeUnixNano === undefined ? {} : { observedTimeUnixNano: toNanos(record.observedTimeUnixNano) }),
          severityText: record.severityText ?? '',
          severityNumber: record.severityNumber ?? 0,
          body: anyValue(record.body),
          attributes: attributes(record.attributes),
          ...(traceId === undefined ? {} : { traceId }),
          ...(spanId === undefined ? {} : { spanId }),
          ...(record.eventName ? { eventName: record.eventName } : {}),
        });
      }
    }
  }
  return logs;
}
