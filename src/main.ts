import { readCommandLine } from './command-line.ts';
import { loadConfig } from './config.ts';
import { ADD_YOURSELF, seedDemoIfEmpty } from './db/seed.ts';
import { createLogger } from './log.ts';
import { start, stopBoundMs } from './server.ts';
import { orExit } from './start-failures.ts';

// telemetry/preload.ts, when loaded, leaves its flush here: src must not import it.
const TELEMETRY_SHUTDOWN = Symbol.for('convonet.shutdown');
// The telemetry flush bounds itself (TELEMETRY_SHUTDOWN_TIMEOUT_MS, 5 s by default); this leaves it room.
const FLUSH_ALLOWANCE_MS = 8_000;

readCommandLine({
  name: 'npm start',
  options: {},
  usage: `Serves the Twilio webhooks on PORT (3000), with the embedded database in .data/pglite
unless DATABASE_URL is set, and the offline agent unless OPENAI_API_KEY is set.

  npm start

Configuration is environment variables, or a .env file in the project root (the environment
wins); docs/configuration.md lists them. A problem at start is one line on stderr
and exit code 1.`,
});

const config = await orExit(() => loadConfig());
const logger = createLogger(config.logLevel);
if (config.twilio.developmentToken) {
  // Straight to stderr, past the log and the console (either may be exported): this is a credential.
  const kept = config.twilio.developmentToken.file ? ` (kept in ${config.twilio.developmentToken.file})` : '';
  process.stderr.write(`TWILIO_AUTH_TOKEN is not set: webhooks must be signed with the development token ${config.twilio.authToken}${kept}\n`);
}

const server = await orExit(() => start({ config, logger }), config);

// On the embedded database a newcomer has nobody to sign in as: make the demo caller.
if ('pgliteDir' in config.database && config.env !== 'production') {
  const demo = await seedDemoIfEmpty(server.db, { timezone: config.agent.defaultTimezone });
  if (demo) console.error(`Demo caller created: call from ${demo.phone} and give the PIN ${demo.pin}\n${ADD_YOURSELF}`);
}

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  logger.info({ signal }, 'shutting down');
  // Every step below bounds itself; past all of them together, something is stuck and the
  // platform wants us gone.
  const bound = setTimeout(() => {
    logger.error('shutdown took too long; exiting anyway');
    process.exit(1);
  }, stopBoundMs(config) + FLUSH_ALLOWANCE_MS);
  bound.unref();
  try {
    await server.stop();
  } catch (error) {
    logger.error({ err: error }, 'stopping failed');
  }
  const flushTelemetry = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN];
  if (typeof flushTelemetry === 'function') await (flushTelemetry as () => Promise<void>)();
  logger.info('stopped');
  process.exit(0);
}

process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
