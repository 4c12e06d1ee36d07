/**
 * Loaded before the app with `node --import tsx --import ./telemetry/preload.ts src/main.ts`.
 * Reads the telemetry configuration and, only when a backend is on, registers the ESM loader
 * hook and starts the pipelines before a single app module is imported. With telemetry off
 * it imports nothing else: no SDK, no loader hook, no cost.
 */
import { describeTelemetry, readTelemetryConfig, TelemetryConfigError, type TelemetryConfig } from './config.ts';

let config: TelemetryConfig | null;
try {
  config = readTelemetryConfig();
} catch (error) {
  if (!(error instanceof TelemetryConfigError)) throw error;
  process.stderr.write(`telemetry: invalid configuration: ${error.message}\n`);
  process.exit(1);
}

process.stderr.write(`${describeTelemetry(config)}\n`);

if (config) {
  const { register } = await import('node:module');
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  // The loader thread only wraps modules an instrumentation has asked for (koa, pino, pg, knex...),
  // so the rest of the app loads untouched; the channel tells it which ones.
  // https://github.com/nodejs/import-in-the-middle#only-intercepting-hooked-modules
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const { startTelemetry } = await import('./sdk/start.ts');
  const { installShutdown } = await import('./shutdown.ts');
  installShutdown(await startTelemetry(config), config.shutdownTimeoutMs);
  await waitForAllMessagesAcknowledged();
}
