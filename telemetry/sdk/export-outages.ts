import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

export type TelemetryLog = (line: string) => void;

/** Telemetry's own messages: plain lines on stderr, so stdout stays the app's JSON log. */
export const writeTelemetryLine: TelemetryLog = (line) => {
  process.stderr.write(`${line}\n`);
};

/**
 * Tells an operator once that a backend is failing, and once that it is back, however many
 * batches fail in between: a backend outage must not turn into a log storm.
 */
export class OutageLog {
  private failing = false;

  constructor(
    private readonly backend: string,
    private readonly log: TelemetryLog = writeTelemetryLine,
  ) {}

  record(result: ExportResult | { ok: boolean; error?: unknown }): void {
    const ok = 'code' in result ? result.code === ExportResultCode.SUCCESS : result.ok;
    if (!ok && !this.failing) {
      this.failing = true;
      this.log(`telemetry: ${this.backend} export failing (${describe(result.error)}); data is dropped until it recovers`);
    } else if (ok && this.failing) {
      this.failing = false;
      this.log(`telemetry: ${this.backend} export recovered`);
    }
  }
}

interface Exporting<Batch> {
  export(batch: Batch, done: (result: ExportResult) => void): void;
}

/** Wraps an exporter's `export` in place (keeping its other methods) to feed an OutageLog. */
export function reportOutages<Batch, E extends Exporting<Batch>>(exporter: E, outages: OutageLog): E {
  const original = exporter.export.bind(exporter);
  exporter.export = (batch, done) => {
    original(batch, (result) => {
      outages.record(result);
      done(result);
    });
  };
  return exporter;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0]?.slice(0, 200) ?? error.name;
  return error === undefined ? 'no response' : String(error).slice(0, 200);
}
