import type { Timing } from './calls.ts';
import type { Configuration } from './configurations.ts';

export interface RoundResult {
  configuration: string;
  round: number;
  /** App process CPU time (user + system) over the measured calls. */
  cpuMs: number;
  webhooks: number;
  timings: Timing[];
  residentMb: number;
  startupMs: number;
  /** Spans the backend received per turn placed (warm-up included); null when nothing counts them. */
  spansPerTurn: number | null;
}

export interface Summary {
  name: string;
  label: string;
  /** Median over rounds, and the range, of CPU time per webhook. */
  cpuPerWebhookMs: { median: number; min: number; max: number };
  /** Over every webhook of every round. */
  latencyMs: { p50: number; p95: number; p99: number };
  turnP99Ms: number;
  residentMb: number;
  startupMs: number;
  spansPerTurn: number | null;
  /** To telemetry off, when it ran. */
  ratios: { cpu: number; p99: number; resident: number } | null;
}

export function summarise(chosen: Configuration[], results: RoundResult[]): Summary[] {
  const rows = chosen.map((configuration): Summary => {
    const rounds = results.filter((result) => result.configuration === configuration.name);
    const cpu = rounds.map((round) => round.cpuMs / round.webhooks);
    const all = rounds.flatMap((round) => round.timings.map((timing) => timing.ms));
    const turns = rounds.flatMap((round) => round.timings.filter((timing) => timing.kind === 'turn').map((timing) => timing.ms));
    const spans = rounds.map((round) => round.spansPerTurn).filter((value) => value !== null);
    return {
      name: configuration.name,
      label: configuration.label,
      cpuPerWebhookMs: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu) },
      latencyMs: { p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99) },
      turnP99Ms: percentile(turns, 99),
      residentMb: median(rounds.map((round) => round.residentMb)),
      startupMs: median(rounds.map((round) => round.startupMs)),
      spansPerTurn: spans.length > 0 ? median(spans) : null,
      ratios: null,
    };
  });
  const off = rows.find((row) => row.name === 'off');
  if (!off) return rows;
  return rows.map((row) => ({
    ...row,
    ratios: {
      cpu: row.cpuPerWebhookMs.median / off.cpuPerWebhookMs.median,
      p99: row.latencyMs.p99 / off.latencyMs.p99,
      resident: row.residentMb / off.residentMb,
    },
  }));
}

export function printTable(
  run: { rounds: number; callers: number; calls: number; turns: number; machine: Record<string, string | number> },
  rows: Summary[],
): void {
  const { machine } = run;
  console.log(
    `\n${run.rounds} rounds × ${run.callers} concurrent callers × ${run.calls} calls × ${run.turns} turns, offline agent, PostgreSQL` +
      `\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GiB, Node ${machine.node}, ${machine.date}\n`,
  );
  const header = ['configuration', 'CPU/webhook ms', '×off', 'p50 ms', 'p95 ms', 'p99 ms', 'turn p99', 'RSS MB', '×off', 'spans/turn', 'start ms'];
  const lines = rows.map((row) => [
    row.label,
    `${row.cpuPerWebhookMs.median.toFixed(2)} (${row.cpuPerWebhookMs.min.toFixed(2)}–${row.cpuPerWebhookMs.max.toFixed(2)})`,
    row.ratios ? row.ratios.cpu.toFixed(2) : '',
    row.latencyMs.p50.toFixed(1),
    row.latencyMs.p95.toFixed(1),
    row.latencyMs.p99.toFixed(1),
    row.turnP99Ms.toFixed(1),
    row.residentMb.toFixed(0),
    row.ratios ? row.ratios.resident.toFixed(2) : '',
    row.spansPerTurn === null ? '–' : row.spansPerTurn.toFixed(1),
    row.startupMs.toFixed(0),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
