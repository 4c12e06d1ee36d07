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
 * OTLP endpoints come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporters
 * themselves; the headers, validated by config.ts, are passed in.
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
      const options = { headers: config.otlpHeaders.traces };
      const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonTraceExporter(options) : new OTLPProtoTraceExporter(options);
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
  const options = { headers: config.otlpHeaders.logs };
  const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonLogExporter(options) : new OTLPProtoLogExporter(options);
  return new BatchLogRecordProcessor({ exporter: reportOutages(otlp, new OutageLog('otlp logs')) });
}

/** Metrics go to OTLP only: Sentry takes no OTLP metrics. */
export function createOtlpMetricReader(config: TelemetryConfig): IMetricReader {
  const options = { headers: config.otlpHeaders.metrics };
  const otlp = config.otlpProtocol === 'http/json' ? new OTLPJsonMetricExporter(options) : new OTLPProtoMetricExporter(options);
  return new PeriodicExportingMetricReader({
    exporter: reportOutages(otlp, new OutageLog('otlp metrics')),
    exportIntervalMillis: config.metricExportIntervalMs,
    exportTimeoutMillis: Math.min(config.metricExportIntervalMs, 10_000),
  });
}

/**
 * Spans to Sentry's OTLP intake, at the URL and with the auth header derived from the DSN.
 * The exporter also reads the OTEL_EXPORTER_OTLP_* variables meant for the OTLP backend and
 * merges them under the options given here, ours winning. So none of them reaches Sentry: each
 * OTLP header is overridden with an empty value (its name may reach Sentry, another vendor's API
 * key never does), and an agent of our own replaces the one built from
 * OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_KEY and _CLIENT_CERTIFICATE.
 */
function sentryTraceExporter(config: TelemetryConfig, endpoint: SentryOtlpEndpoint): SpanExporter {
  const blanked = Object.fromEntries(Object.keys(config.otlpHeaders.traces).map((name) => [name, '']));
  const options = {
    url: endpoint.url,
    headers: { ...blanked, ...endpoint.headers },
    httpAgentOptions: { keepAlive: true },
  };
  return config.otlpProtocol === 'http/json' ? new OTLPJsonTraceExporter(options) : new OTLPProtoTraceExporter(options);
}
