import { readWhen } from './src/agent/offline/when.ts';
const clock = { now: new Date('2026-12-02T15:00:00Z'), timezone: 'America/New_York' };
for (const t of process.argv.slice(2)) { const w = readWhen(t, clock); console.log(t, '=>', w.at?.toISOString(), w.durationMinutes, JSON.stringify(w.range), '|', w.rest); }
