import { Server, ServerCredentials, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { flattenLogs, flattenMetrics, flattenTraces, type ReceivedLog, type ReceivedMetric, type ReceivedSpan } from '../../telemetry/tail/otlp-flatten.ts';
import { decodeProtobufRequest, type OtlpSignal } from '../../telemetry/tail/otlp-schema.ts';

export interface OtlpGrpcReceiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to for OTEL_EXPORTER_OTLP_PROTOCOL=grpc. */
  url: string;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  logs: ReceivedLog[];
  close(): Promise<void>;
}

// The OTLP gRPC services: one unary Export each, with the same protobuf messages as OTLP/HTTP.
const SERVICES: Record<OtlpSignal, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

/** An OTLP/gRPC collector as far as the gRPC exporters can tell, on a free port, plaintext. */
export async function startOtlpGrpcReceiver(): Promise<OtlpGrpcReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const logs: ReceivedLog[] = [];
  const server = new Server();
  for (const [signal, path] of Object.entries(SERVICES) as [OtlpSignal, string][]) {
    const definition: ServiceDefinition = {
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestDeserialize: (bytes: Buffer) => bytes,
        requestSerialize: (bytes: Buffer) => bytes,
        // An empty Export*ServiceResponse: no partial success to report.
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    server.addService(definition, {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const request = decodeProtobufRequest(signal, call.request);
        if (signal === 'traces') spans.push(...flattenTraces(request));
        else if (signal === 'metrics') metrics.push(...flattenMetrics(request));
        else logs.push(...flattenLogs(request));
        callback(null, Buffer.alloc(0));
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    logs,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
