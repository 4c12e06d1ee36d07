// Scores the offline agent on the phrasing set: the real agent, the real tools, a real database
// (embedded PGlite in memory; with DATABASE_URL, a scratch database created on that server and
// dropped after). Prints per-intent scores for both parts, then the development misses.
//
//   npm run eval:offline [-- --failures development|held-out|none] [--grep words] [--batch dev8] [--part development|held-out]
import { developmentExamples } from '../../src/agent/offline/examples.ts';
import { trainIntentModel } from '../../src/agent/offline/intent-model.ts';
import { createOfflineProvider } from '../../src/agent/offline/provider.ts';
import type { ModelProvider } from '../../src/agent/provider.ts';
import { exitWith, readCommandLine } from '../../src/command-line.ts';
import { createDb, migrate, type Db } from '../../src/db/knex.ts';
import { tools } from '../../src/tools/index.ts';
import { createScratchDatabase } from '../../test/support/database.ts';
import { DEFAULT_NOW, DEFAULT_TIMEZONE, loadPhrasings, PARTS, type Part, type Phrasing } from './phrasings.ts';
import { playLines } from './call.ts';
import { judge, UNFIT } from './score.ts';
import { createPeople, type People } from './world.ts';

const { values } = readCommandLine({
  name: 'npm run eval:offline',
  usage: `Scores the offline agent on its phrasing set, per intent, for the development and held-out parts.

  npm run eval:offline -- [--failures development|held-out|none] [--grep words] [--batch dev8] [--part development|held-out]

  --failures  which part's misses to list after the scores (default: development)
  --grep      only the phrasings that contain this text
  --batch     only one batch of phrasings, named by the start of their ids (dev8 for dev8.*), with
              the intent model trained without it: how a fresh batch does on first sight
  --part      play only this part: development while tuning, so the held-out part stays unseen

Runs on an in-memory embedded database, or with DATABASE_URL on a scratch database it creates
on that server and drops after.`,
  options: {
    failures: { type: 'string', default: 'development' },
    grep: { type: 'string' },
    batch: { type: 'string' },
    part: { type: 'string' },
  },
});

if (values.part !== undefined && !PARTS.includes(values.part as Part)) exitWith(`--part is ${PARTS.join(' or ')}: see npm run eval:offline -- --help`, 2);

interface Outcome {
  phrasing: Phrasing;
  problems: string[];
  reply: string;
}

// A batch measured alone is left out of what the intent model learns from, as if never seen.
const intentModel = values.batch ? trainIntentModel(developmentExamples({ leaveOut: values.batch })) : undefined;

const writeTools = new Set(tools.filter((tool) => tool.effect === 'write').map((tool) => tool.name));

async function openDatabase(): Promise<{ db: Db; close(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    const db = createDb({ pgliteDir: 'memory' });
    return { db, close: () => db.destroy() };
  }
  // Never the database DATABASE_URL names: every phrasing truncates tables.
  const scratch = await createScratchDatabase(server, 'convonet_eval');
  return { db: scratch.db, close: () => scratch.drop() };
}

/** CPU the offline agent spent in each turn (all its model calls in that turn), in microseconds. */
const turnCpu: number[] = [];

/** The offline agent, with the CPU each of its answers takes counted: its own work, without the tools' or the database's. */
function timed(provider: ModelProvider): ModelProvider & { spent(): number } {
  let spent = 0;
  return {
    name: provider.name,
    model: provider.model,
    async complete(request) {
      const start = process.cpuUsage();
      try {
        return await provider.complete(request);
      } finally {
        const used = process.cpuUsage(start);
        spent += used.user + used.system;
      }
    },
    spent: () => spent,
  };
}

async function play(db: Db, people: People, phrasing: Phrasing): Promise<Outcome> {
  const timezone = phrasing.timezone ?? DEFAULT_TIMEZONE;
  const lines = [...(phrasing.before ?? []), phrasing.say];
  const provider = timed(createOfflineProvider({ intentModel }));
  const exchanges = await playLines(db, people, lines, new Date(phrasing.now ?? DEFAULT_NOW), timezone, provider);
  turnCpu.push(...lines.map(() => provider.spent() / lines.length));
  const turn = exchanges.at(-1)!;
  return { phrasing, problems: judge(phrasing, { uses: turn.uses, reply: turn.heard }, timezone, writeTools), reply: turn.heard };
}

function percent(passed: number, total: number): string {
  return total === 0 ? '' : `${String(passed).padStart(3)}/${String(total).padEnd(3)} ${((100 * passed) / total).toFixed(1).padStart(5)}%`;
}

function table(title: string, keysOf: (phrasing: Phrasing) => string[], results: Record<Part, Outcome[]>): void {
  const keys = [...new Set(PARTS.flatMap((part) => results[part].flatMap((outcome) => keysOf(outcome.phrasing))))];
  const width = Math.max(title.length, ...keys.map((key) => key.length)) + 2;
  console.log(`${title.padEnd(width)}${'development'.padEnd(16)}held-out`);
  const row = (key: string, pick: (outcome: Outcome) => boolean): void => {
    const cells = PARTS.map((part) => {
      const chosen = results[part].filter(pick);
      return percent(chosen.filter((outcome) => outcome.problems.length === 0).length, chosen.length).padEnd(16);
    });
    console.log(`${key.padEnd(width)}${cells.join('')}`);
  };
  for (const key of keys) row(key, (outcome) => keysOf(outcome.phrasing).includes(key));
  row('all', () => true);
  console.log();
}

/** The same count, leaving out how the reply sounds: understanding alone. */
function understood(results: Record<Part, Outcome[]>): Record<Part, Outcome[]> {
  const only = (outcome: Outcome): Outcome => ({ ...outcome, problems: outcome.problems.filter((problem) => problem !== UNFIT) });
  return { development: results.development.map(only), 'held-out': results['held-out'].map(only) };
}

/** Mean, median and 95th percentile of the offline agent's CPU per turn. */
function cpuFigures(): string {
  const sorted = [...turnCpu].sort((a, b) => a - b);
  const at = (q: number): string => ((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) / 1000).toFixed(2);
  const mean = sorted.reduce((sum, micros) => sum + micros, 0) / Math.max(1, sorted.length) / 1000;
  return `offline agent CPU per turn (its own work, not the tools'): mean ${mean.toFixed(2)} ms, median ${at(0.5)} ms, p95 ${at(0.95)} ms over ${sorted.length} turns`;
}

const started = performance.now();
const { db, close } = await openDatabase();
try {
  await migrate(db);
  const people = await createPeople(db);
  const results = {} as Record<Part, Outcome[]>;
  for (const part of PARTS) {
    const phrasings = values.part && values.part !== part ? [] : loadPhrasings(part).filter(
            (phrasing) => (!values.grep || phrasing.say.includes(values.grep)) && (!values.batch || phrasing.id.startsWith(`${values.batch}.`)),
          );
    results[part] = [];
    for (const phrasing of phrasings) results[part].push(await play(db, people, phrasing));
  }
  console.log(`offline agent on the phrasing set (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  table('intent', (phrasing) => [phrasing.intent], results);
  table('failure category (issue #14)', (phrasing) => phrasing.tags ?? [], results);
  table('ignoring how replies sound', () => [], understood(results));
  console.log(`${cpuFigures()}\n`);
  const shown = PARTS.find((part) => part === values.failures);
  for (const { phrasing, problems, reply } of shown ? results[shown] : []) {
    if (problems.length === 0) continue;
    const before = phrasing.before?.length ? ` (after ${phrasing.before.map((line) => `"${line}"`).join(', ')})` : '';
    console.log(`✗ ${phrasing.id} "${phrasing.say}"${before}\n    ${problems.join('; ')}\n    heard: ${reply}`);
  }
} finally {
  await close();
}
