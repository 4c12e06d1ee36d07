import { ConfigError, DEVELOPMENT_TWILIO_TOKEN, loadConfig, type Config } from './config.ts';
import { seedDemoIfEmpty } from './db/seed.ts';
import { createLogger } from './log.ts';
import { start } from './server.ts';

// telemetry/preload.ts, when loaded, leaves its flush here: src must not import it.
const TELEMETRY_SHUTDOWN = Symbol.for('convonet.shutdown');

const config = readConfig();
const logger = createLogger(config.logLevel);
if (config.twilio.developmentToken) {
  logger.warn(
    { twilioAuthToken: DEVELOPMENT_TWILIO_TOKEN },
    'TWILIO_AUTH_TOKEN is not set: webhooks are checked against the development token printed here',
  );
}

const server = await start({ config, logger });

// On the embedded database a newcomer has nobody to sign in as: make the demo caller.
if ('pgliteDir' in config.database && config.env !== 'production') {
  const demo = await seedDemoIfEmpty(server.db, { timezone: config.agent.defaultTimezone });
  if (demo) console.error(`Demo caller created: call from ${demo.phone} and give the PIN ${demo.pin}`);
}

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  logger.info({ signal }, 'shutting down');
  // In-flight webhooks take up to the turn deadline, running turns get a short grace, telemetry
  // flushes within its own bound: past all that, something is stuck and the platform wants us gone.
  const bound = setTimeout(() => {
    logger.error('shutdown took too long; exiting anyway');
    process.exit(1);
  }, config.agent.turnTimeoutMs + 20_000);
  bound.unref();
  await server.stop();
  const flushTelemetry = (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN];
  if (typeof flushTelemetry === 'function') await (flushTelemetry as () => Promise<void>)();
  logger.info('stopped');
  process.exit(0);
}

process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));

/** The configuration, or a one-line reason and exit 1: a stack trace would bury the variable's name. */
function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
