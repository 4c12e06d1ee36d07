// Imported into the app by `npm run bench -- --memory N` (after the project's preloads, with
// node --expose-gc): on SIGUSR2 the app collects garbage and prints `memory {...}`
// (process.memoryUsage(), bytes) on stderr, so a reading is what stays, not what the next
// collection would free. Nothing else changes.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stderr.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
});
