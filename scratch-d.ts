import { understand } from './src/agent/offline/intents.ts';
import { readContext } from './src/agent/offline/context.ts';
const clock = { now: new Date('2026-12-02T15:00:00Z'), timezone: 'America/New_York' };
for (const t of process.argv.slice(2)) console.log(t, '=>', JSON.stringify(understand(t, clock, readContext([]))));
