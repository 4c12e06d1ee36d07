import type { RunningTelemetry } from './sdk/start.ts';

/**
 * The agreed hook between the app and telemetry, which never import each other: on SIGTERM or
 * SIGINT, src/main.ts closes the server and the database, then awaits this function if it is
 * set, then exits 0.
 */
export const SHUTDOWN_HOOK = Symbol.for('convonet.shutdown');

type ShutdownHook = () => Promise<void>;

export function installShutdown(telemetry: RunningTelemetry, timeoutMs: number): void {
  (globalThis as Record<symbol, ShutdownHook | undefined>)[SHUTDOWN_HOOK] = () => telemetry.shutdown(timeoutMs);

  // A crash is telemetry's to report: capture it, flush every pipeline within the bound, exit 1.
  // Sentry's own exit handlers are left out (sentry/init.ts) so that OpenTelemetry is flushed too.
  let crashing = false;
  const crash = (error: unknown, origin: string): void => {
    process.stderr.write(`${origin}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (crashing) return;
    crashing = true;
    process.exitCode = 1;
    telemetry.captureFatal(error);
    void telemetry.shutdown(timeoutMs).finally(() => process.exit(1));
  };
  process.on('uncaughtException', (error) => crash(error, 'uncaughtException'));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandledRejection'));
}
