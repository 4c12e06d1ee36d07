import * as chrono from 'chrono-node';
for (const t of process.argv.slice(2)) console.log(t, JSON.stringify(chrono.casual.parse(t, new Date('2026-12-02T15:00:00Z'), { forwardDate: true }).map(r => [r.text, r.start.date().toISOString(), r.end?.date().toISOString()])));
