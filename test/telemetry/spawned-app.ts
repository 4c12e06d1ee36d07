import { fileURLToPath } from 'node:url';
import { startProcess, type Script } from '../support/scripts.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const TWILIO_TOKEN = 'twilio-test-token-5f0c2d9e8a7b6c1d';

export interface SpawnedApp extends Script {
  url: string;
}

/**
 * The app as `npm start` runs it, preload and all, in a child process: telemetry hooks the module
 * loader and process signals, which an in-process app cannot show. The environment is built from
 * scratch, and .env is not read, so the developer's own OTEL_* or SENTRY_* never leak in.
 */
export async function spawnApp(env: Record<string, string>, entry = 'src/main.ts'): Promise<SpawnedApp> {
  const app = startProcess(['--import', 'tsx', '--import', './telemetry/preload.ts', entry], {
    cwd: ROOT,
    label: 'app',
    env: {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      // Short batch delays so tests wait on data, not on timers.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    },
  });
  const listening = await app.waitForLine(/"msg":"listening"/, 20_000);
  const { port } = JSON.parse(listening) as { port: number };
  return { ...app, url: `http://127.0.0.1:${port}` };
}
