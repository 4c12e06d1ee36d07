import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuShare {
  /** A package (`knex`, `@opentelemetry/sdk-trace-base`), a folder of ours (`src/agent`), or V8's own (`(garbage collector)`). */
  where: string;
  /** CPU time in samples whose stack passes through it, in ms: the same sample counts for every place on its stack. */
  inclusiveMs: number;
  /** CPU time with it on top of the stack, in ms. */
  selfMs: number;
}

export interface ProfileWindow {
  /** CLOCK_MONOTONIC in µs, as V8 stamps its samples and `process.hrtime` reads. */
  fromUs: number;
  toUs: number;
}

/**
 * `node --cpu-prof --cpu-prof-dir=DIR` writes one profile per thread: the main thread's is
 * numbered 0 (the module loader's thread has its own).
 */
export function mainThreadProfile(dir: string): string {
  const file = readdirSync(dir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new Error(`bench: no main-thread CPU profile in ${dir}`);
  return join(dir, file);
}

/**
 * Where a profiled process spent its CPU between two moments, by package and by folder of our
 * own code.
 * Idle samples are left out: the figures add up to the CPU time, not the wall time.
 */
export function cpuByPlace(file: string, window?: ProfileWindow): { totalMs: number; places: CpuShare[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const place = new Map<number, string>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    place.set(node.id, placeOf(node.callFrame.url, node.callFrame.functionName));
  }
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let totalUs = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index]!;
    // A sample's delta is the time since the one before: it is charged to this sample's stack.
    const us = profile.timeDeltas[index]!;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const top = profile.samples[index]!;
    const topPlace = place.get(top)!;
    if (topPlace === '(idle)') continue;
    totalUs += us;
    self.set(topPlace, (self.get(topPlace) ?? 0) + us);
    const seen = new Set<string>();
    for (let id: number | undefined = top; id !== undefined; id = parent.get(id)) {
      const where = place.get(id)!;
      if (seen.has(where) || where === '(root)') continue;
      seen.add(where);
      inclusive.set(where, (inclusive.get(where) ?? 0) + us);
    }
  }
  const places = [...inclusive].map(([where, us]) => ({ where, inclusiveMs: us / 1000, selfMs: (self.get(where) ?? 0) / 1000 }));
  return { totalMs: totalUs / 1000, places: places.toSorted((a, b) => b.selfMs - a.selfMs) };
}

function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  // Our own code by folder: src/voice, src/agent/offline, telemetry/sdk...
  const ours = /\/((?:src|telemetry)(?:\/[^/]+)*)\/[^/]+$/.exec(url);
  return ours ? ours[1]! : 'other';
}
