import type { Timing } from './calls.ts';
import type { Variant } from './configurations.ts';
import type { CpuShare, ProfileWindow } from './cpu-profile.ts';
import type { Memory, MemoryResult } from './memory.ts';

export interface RoundResult {
  variant: string;
  round: number;
  /** App process CPU time (user + system) over the measured calls. */
  cpuMs: number;
  webhooks: number;
  /** CPU per webhook of each slice of calls, the app's own work during it only. */
  sliceCpuPerWebhookMs: number[];
  timings: Timing[];
  residentMb: number;
  startupMs: number;
  /** Spans the backend received per turn placed (warm-up included); null when nothing counts them. */
  spansPerTurn: number | null;
  /** Statements sent to PostgreSQL per measured turn, the call's other webhooks' included. */
  statementsPerTurn: number;
  /** Where --profile wrote this app's profiles, and when the measured calls ran. */
  profile?: { dir: string; window: ProfileWindow };
}

export interface Summary {
  name: string;
  label: string;
  /** Median over rounds, and the range, of CPU time per webhook (idle time between slices included). */
  cpuPerWebhookMs: { median: number; min: number; max: number };
  /** CPU per webhook × webhooks per turn: a turn's share of every webhook of the call. */
  cpuPerTurnMs: number;
  /** Over every webhook of every round. */
  latencyMs: { p50: number; p95: number; p99: number };
  turnP99Ms: number;
  residentMb: number;
  startupMs: number;
  spansPerTurn: number | null;
  statementsPerTurn: number;
  /** To telemetry off of the same checkout, when it ran. */
  ratios: { cpu: number; p99: number; turnP99AddedMs: number; resident: number } | null;
}

export interface RunDescription {
  rounds: number;
  callers: number;
  calls: number;
  warmup: number;
  turns: number;
  /** Set in every app's environment (--env). */
  env: Record<string, string>;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; date: string; loadBefore: number; loadDuring: number };
}

export function summarise(variants: Variant[], results: RoundResult[]): Summary[] {
  const rows = variants.map((variant): Summary => {
    const rounds = results.filter((result) => result.variant === variant.name);
    const cpu = rounds.map((round) => round.cpuMs / round.webhooks);
    const all = rounds.flatMap((round) => round.timings.map((timing) => timing.ms));
    const turns = rounds.flatMap((round) => round.timings.filter((timing) => timing.kind === 'turn').map((timing) => timing.ms));
    const spans = rounds.map((round) => round.spansPerTurn).filter((value) => value !== null);
    const cpuPerWebhook = median(cpu);
    return {
      name: variant.configuration.name,
      label: variant.configuration.label,
      cpuPerWebhookMs: { median: cpuPerWebhook, min: Math.min(...cpu), max: Math.max(...cpu) },
      cpuPerTurnMs: (cpuPerWebhook * all.length) / turns.length,
      latencyMs: { p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99) },
      turnP99Ms: percentile(turns, 99),
      residentMb: median(rounds.map((round) => round.residentMb)),
      startupMs: median(rounds.map((round) => round.startupMs)),
      spansPerTurn: spans.length > 0 ? median(spans) : null,
      statementsPerTurn: median(rounds.map((round) => round.statementsPerTurn)),
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
      turnP99AddedMs: row.turnP99Ms - off.turnP99Ms,
      resident: row.residentMb / off.residentMb,
    },
  }));
}

export function printTable(run: RunDescription, rows: Summary[], checkout?: string): void {
  const { machine } = run;
  console.log(
    `\n${checkout ? `${checkout === 'this' ? 'This checkout' : 'Baseline'}: ` : ''}` +
      `${run.rounds} rounds × ${run.callers} concurrent callers × ${run.calls} calls (after ${run.warmup} to warm up) × ${run.turns} turns, offline agent, PostgreSQL` +
      Object.entries(run.env).map(([name, value]) => `, ${name}=${value}`).join('') +
      `\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GiB, Node ${machine.node}, ${machine.date}, ` +
      `load average ${machine.loadBefore.toFixed(1)} before, ${machine.loadDuring.toFixed(1)} during (median)\n`,
  );
  const header = ['configuration', 'CPU/webhook ms', '×off', 'CPU/turn', 'p50 ms', 'p95 ms', 'p99 ms', 'turn p99', '+off', 'RSS MB', '×off', 'spans/turn', 'SQL/turn', 'start ms'];
  printColumns(
    header,
    rows.map((row) => [
      row.label,
      `${row.cpuPerWebhookMs.median.toFixed(2)} (${row.cpuPerWebhookMs.min.toFixed(2)}–${row.cpuPerWebhookMs.max.toFixed(2)})`,
      row.ratios ? row.ratios.cpu.toFixed(2) : '',
      row.cpuPerTurnMs.toFixed(1),
      row.latencyMs.p50.toFixed(1),
      row.latencyMs.p95.toFixed(1),
      row.latencyMs.p99.toFixed(1),
      row.turnP99Ms.toFixed(1),
      row.ratios ? signed(row.ratios.turnP99AddedMs) : '',
      row.residentMb.toFixed(0),
      row.ratios ? row.ratios.resident.toFixed(2) : '',
      row.spansPerTurn === null ? '–' : row.spansPerTurn.toFixed(1),
      row.statementsPerTurn.toFixed(1),
      row.startupMs.toFixed(0),
    ]),
  );
}

/** This checkout against the baseline, configuration by configuration. */
export function printComparison(current: Summary[], baseline: Summary[]): void {
  console.log('\nThis checkout ÷ baseline');
  printColumns(
    ['configuration', 'CPU/webhook', 'p99', 'turn p99', 'RSS', 'spans/turn', 'SQL/turn'],
    current.flatMap((row) => {
      const before = baseline.find((candidate) => candidate.name === row.name);
      if (!before) return [];
      const ratio = (after: number | null, was: number | null) => (after === null || was === null ? '–' : (after / was).toFixed(2));
      return [
        [
          row.label,
          ratio(row.cpuPerWebhookMs.median, before.cpuPerWebhookMs.median),
          ratio(row.latencyMs.p99, before.latencyMs.p99),
          ratio(row.turnP99Ms, before.turnP99Ms),
          ratio(row.residentMb, before.residentMb),
          ratio(row.spansPerTurn, before.spansPerTurn),
          ratio(row.statementsPerTurn, before.statementsPerTurn),
        ],
      ];
    }),
  );
}

/**
 * Where each configuration's main thread spent its CPU during the measured calls, in ms per
 * webhook, by package or folder of our own code (self time: what ran there, not what it called).
 */
export function printProfileTable(variants: Variant[], byVariant: Map<string, CpuShare[]>, rowsShown = 18): void {
  const names = variants.map((variant) => variant.name).filter((name) => byVariant.has(name));
  const totals = new Map<string, number>();
  for (const places of byVariant.values()) {
    for (const place of places) totals.set(place.where, Math.max(totals.get(place.where) ?? 0, place.selfMs));
  }
  const shown = [...totals].toSorted((a, b) => b[1] - a[1]).slice(0, rowsShown).map(([where]) => where);
  console.log('\nWhere the CPU went (main thread, self time, ms per webhook; median of rounds)');
  printColumns(
    ['', ...names],
    [
      ...shown.map((where) => [where, ...names.map((name) => (byVariant.get(name)!.find((place) => place.where === where)?.selfMs ?? 0).toFixed(2))]),
      ['all', ...names.map((name) => byVariant.get(name)!.reduce((sum, place) => sum + place.selfMs, 0).toFixed(2))],
    ],
  );
}

export function printMemoryTable(calls: number, results: MemoryResult[]): void {
  // Each checkout's configurations against its own telemetry off.
  const offOf = (variant: string) => results.find((result) => result.variant === (variant.endsWith('@baseline') ? 'off@baseline' : 'off'));
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  console.log(`\nMemory after ${calls} calls of two turns (after ${results[0]?.warmUpCalls} to warm up), each reading after a full garbage collection, MB`);
  const row = (result: MemoryResult) => [
    result.variant,
    ...(['heapUsed', 'external', 'rss'] as (keyof Memory)[]).flatMap((key) => [mb(result.afterWarmUp[key]), mb(result.atEnd[key])]),
    ((off) => (off ? (result.atEnd.rss / off.atEnd.rss).toFixed(2) : ''))(offOf(result.variant)),
  ];
  printColumns(['configuration', 'heap warm', 'heap end', 'external warm', 'external end', 'RSS warm', 'RSS end', 'RSS ×off'], results.map(row));
}

function printColumns(header: string[], lines: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

/** The middle value; of an even count, the mean of the two middle ones (not the lower, as nearest-rank would). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
