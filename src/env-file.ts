/**
 * Reads `.env` from the directory npm runs scripts in (the project root), when there is one.
 * Loaded first, with `--import` ahead of telemetry/preload.ts, because the telemetry reads its
 * configuration before any app module loads. A variable already in the environment wins over the
 * file, even when it is set to an empty string, so `FOO= npm start` can switch off a line of `.env`.
 */
const FILE = '.env';

try {
  process.loadEnvFile(FILE);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
    process.stderr.write(`cannot read ${FILE} (${(error as Error).message}): fix it or remove it\n`);
    process.exit(1);
  }
}
