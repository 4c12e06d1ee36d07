import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
// NodeSDK's own readers of OTEL_BLRP_* and OTEL_METRIC_EXPORT_*: not its public API, but those
// processors no longer read the variables themselves, and NodeSDK only applies them to exporters
// it builds. The version is pinned; check these paths when upgrading.
import {
  getBatchLogRecordProcessorFromEnv,
  getNonNegativeNumberFromEnv,
  getOtlpMetricExporterFromEnv,
  getPeriodicExportingMetricReaderFromEnv,
} from '@opentelemetry/sdk-node/build/src/utils.js';
import type { TelemetryConfig } from '../config.ts';
import { CompactConsoleSpanExporter } from './console-span-exporter.ts';
import { OutageLog, reportOutages } from './export-outages.ts';

/** Sentry's OTLP traces URL and auth header, from `Sentry.getOtlpTracesEndpoint(dsn)`. */
export interface SentryOtlpEndpoint {
  url: string;
  headers: Record<string, string>;
}

type Protocol = 'grpc' | 'http/protobuf' | 'http/json';

/** The specification's precedence: the signal's own variable, then the general one. */
function protocolFor(signal: 'TRACES' | 'LOGS'): Protocol {
  const raw = process.env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`]?.trim() || process.env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  return (raw as Protocol | undefined) ?? 'http/protobuf';
}

/**
 * One processor per span backend, each a bounded queue (OTEL_BSP_MAX_QUEUE_SIZE) that drops
 * when full and exports off the request path, within OTEL_EXPORTER_OTLP_TIMEOUT. The OTLP
 * exporters read their endpoint, headers, timeout, compression and certificates from the
 * standard variables; `OutageLog` says once that a backend is failing, and once that it is back.
 */
export function spanProcessors(config: TelemetryConfig, sentryEndpoint?: SentryOtlpEndpoint): SpanProcessor[] {
  return config.traces.flatMap((backend): SpanProcessor[] => {
    switch (backend) {
      case 'otlp':
        return [batched(reportOutages(otlpTraceExporter(protocolFor('TRACES')), new OutageLog('otlp traces')))];
      case 'console':
        return [batched(new CompactConsoleSpanExporter())];
      case 'sentry':
        if (config.tracerProvider === 'sentry') return []; // native spans: Sentry sends them itself
        if (!sentryEndpoint) throw new Error('telemetry: SENTRY_DSN could not be turned into an OTLP endpoint');
        return [batched(reportOutages(sentryTraceExporter(config, sentryEndpoint), new OutageLog('sentry traces (otlp)')))];
    }
  });
}

export function otlpLogProcessor(): LogRecordProcessor {
  const protocol = protocolFor('LOGS');
  const exporter = protocol === 'grpc' ? new GrpcLogExporter() : protocol === 'http/json' ? new JsonLogExporter() : new ProtoLogExporter();
  return getBatchLogRecordProcessorFromEnv(reportOutages(exporter, new OutageLog('otlp logs')), undefined);
}

/** Metrics go to OTLP only (Sentry takes no OTLP metrics), on OTEL_METRIC_EXPORT_INTERVAL. */
export function otlpMetricReader(): IMetricReader {
  return getPeriodicExportingMetricReaderFromEnv(reportOutages(getOtlpMetricExporterFromEnv(), new OutageLog('otlp metrics')));
}

/**
 * The specification's 512 spans per export take milliseconds to encode in one go (and more per
 * span than smaller batches), on the event loop of whichever webhook is running at that moment;
 * 128 keep an export under a millisecond. OTEL_BSP_MAX_EXPORT_BATCH_SIZE decides when set.
 */
export const DEFAULT_EXPORT_BATCH_SIZE = 128;

function batched(exporter: SpanExporter): SpanProcessor {
  // This BatchSpanProcessor reads the other OTEL_BSP_* variables itself.
  return new BatchSpanProcessor(exporter, {
    maxExportBatchSize: getNonNegativeNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? DEFAULT_EXPORT_BATCH_SIZE,
  });
}

function otlpTraceExporter(protocol: Protocol, options?: { url: string; headers: Record<string, string> }): SpanExporter {
  if (protocol === 'grpc') return new GrpcTraceExporter(options);
  return protocol === 'http/json' ? new JsonTraceExporter(options) : new ProtoTraceExporter(options);
}

/**
 * Spans to Sentry's OTLP intake (OTLP/HTTP only), at the URL and with the auth header derived
 * from the DSN. The exporter also reads the OTEL_EXPORTER_OTLP_* variables meant for the OTLP
 * backend and merges them under the options given here, ours winning. So none of them reaches
 * Sentry: each OTLP header is overridden with an empty value (its name may reach Sentry, another
 * vendor's API key never does).
 */
function sentryTraceExporter(config: TelemetryConfig, endpoint: SentryOtlpEndpoint): SpanExporter {
  const blanked = Object.fromEntries(config.otlpHeaderNames.map((name) => [name, '']));
  const protocol = protocolFor('TRACES') === 'http/json' ? 'http/json' : 'http/protobuf';
  return otlpTraceExporter(protocol, { url: endpoint.url, headers: { ...blanked, ...endpoint.headers } });
}
