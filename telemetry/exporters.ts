import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from './config.ts';
import { CompactConsoleSpanExporter } from './console-span-exporter.ts';
import { OutageLog, reportOutages } from './export-outages.ts';

/**
 * Where each signal goes, per OTEL_TRACES_EXPORTER. Every exporter sits behind a batch
 * processor: a bounded queue (OTEL_BSP_MAX_QUEUE_SIZE, 2048 spans by default; logs
 * OTEL_BLRP_MAX_QUEUE_SIZE) that drops when full and exports off the request path, with a
 * timeout per export (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s). So a slow or dead backend costs a
 * webhook nothing; OutageLog says so once.
 * OTLP endpoints and headers come from the standard OTEL_EXPORTER_OTLP_* variables, read by
 * the exporters themselves.
 */
/** Sentry's OTLP traces URL and auth header, from `Sentry.getOtlpTracesEndpoint(dsn)`. */
export interface SentryOtlpEndpoint {
  url: string;
  headers: Record<string, string>;
}

export function createSpanProcessors(config: TelemetryConfig, sentryEndpoint?: SentryOtlpEndpoint): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const exporter of config.exporters) {
    if (exporter === 'otlp') {
      const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtoTraceExporter();
      processors.push(new BatchSpanProcessor(reportOutages(otlp, new OutageLog('otlp traces'))));
    } else if (exporter === 'sentry' && config.tracerProvider === 'opentelemetry') {
      if (!sentryEndpoint) throw new Error('telemetry: SENTRY_DSN could not be turned into an OTLP endpoint');
      processors.push(new BatchSpanProcessor(reportOutages(sentryTraceExporter(config, sentryEndpoint), new OutageLog('sentry traces (otlp)'))));
    } else if (exporter === 'console') {
      processors.push(new BatchSpanProcessor(new CompactConsoleSpanExporter()));
    }
  }
  return processors;
}

export function createOtlpLogProcessor(config: TelemetryConfig): LogRecordProcessor {
  const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonLogExporter() : new OTLPProtoLogExporter();
  return new BatchLogRecordProcessor({ exporter: reportOutages(otlp, new OutageLog('otlp logs')) });
}

/** Metrics go to OTLP only: Sentry takes no OTLP metrics. */
export function createOtlpMetricReader(config: TelemetryConfig): IMetricReader {
  const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonMetricExporter() : new OTLPProtoMetricExporter();
  return new PeriodicExportingMetricReader({
    exporter: reportOutages(otlp, new OutageLog('otlp metrics')),
    exportIntervalMillis: config.metricExportIntervalMs,
    exportTimeoutMillis: Math.min(config.metricExportIntervalMs, 10_000),
  });
}

/**
 * Spans to Sentry's OTLP intake, at the URL and with the auth header derived from the DSN.
 * The exporter would also merge OTEL_EXPORTER_OTLP_HEADERS into its headers, which would hand
 * another vendor's API key to Sentry; those variables are hidden while it reads them.
 */
function sentryTraceExporter(config: TelemetryConfig, endpoint: SentryOtlpEndpoint): SpanExporter {
  return withEnvironmentHidden(OTHER_BACKEND_VARIABLES, () =>
    config.otlpProtocol === 'http/json'
      ? new OTLPJsonTraceExporter({ url: endpoint.url, headers: endpoint.headers })
      : new OTLPProtoTraceExporter({ url: endpoint.url, headers: endpoint.headers }),
  );
}

const OTHER_BACKEND_VARIABLES = [
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_CLIENT_KEY',
  'OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY',
  'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
];

function withEnvironmentHidden<T>(names: readonly string[], build: () => T): T {
  const saved = new Map<string, string>();
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    delete process.env[name];
  }
  try {
    return build();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}
