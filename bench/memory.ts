import { fileURLToPath } from 'node:url';
import { startApp, type AppProcess } from './app-process.ts';
import { placeCall, type BenchCaller } from './calls.ts';
import type { Variant } from './configurations.ts';

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface MemoryResult {
  variant: string;
  calls: number;
  warmUpCalls: number;
  /** process.memoryUsage() in bytes, each read right after a full garbage collection. */
  afterWarmUp: Memory;
  atEnd: Memory;
}

const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
// Short calls, a write and a read: memory is about what each call leaves behind, not its length.
const TURNS_PER_CALL = 2;

/**
 * Memory of the app after `calls` calls (from `callers` callers at once), compared with after a
 * fifth as many to warm up: the app collects garbage and reports before each reading
 * (bench/memory-probe.ts), so growth is what stays. For the blackholed configuration, this is
 * what an outage of every backend costs: its queues fill within the first calls and no further.
 */
export async function measureMemory(
  variant: Variant,
  options: { calls: number; env: Record<string, string>; authToken: string; callers: BenchCaller[] },
): Promise<MemoryResult> {
  const app = await startApp(variant.configuration, {
    root: variant.checkout.root,
    env: options.env,
    nodeFlags: ['--expose-gc'],
    imports: [PROBE],
  });
  try {
    const warmUpCalls = Math.max(1, Math.round(options.calls / 5));
    let placed = 0;
    const placeUntil = (until: number) =>
      Promise.all(
        options.callers.map(async (caller) => {
          while (placed < until) {
            placed++;
            await placeCall({ url: app.url, authToken: options.authToken }, caller, TURNS_PER_CALL, () => {});
          }
        }),
      );
    await placeUntil(warmUpCalls);
    const afterWarmUp = await probe(app);
    await placeUntil(warmUpCalls + options.calls);
    const atEnd = await probe(app);
    return { variant: variant.name, calls: options.calls, warmUpCalls, afterWarmUp, atEnd };
  } finally {
    await app.stop();
  }
}

async function probe(app: AppProcess): Promise<Memory> {
  const line = app.nextLine(/^memory \{/);
  process.kill(app.pid, 'SIGUSR2');
  return JSON.parse((await line).slice('memory '.length)) as Memory;
}
