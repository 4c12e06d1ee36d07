import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAgent } from './agent/agent.ts';
import { chooseProvider } from './agent/choose-provider.ts';
import { createApp, type App } from './app.ts';
import { serveCallerCommands } from './callers/command-socket.ts';
import { loadConfig, type Config } from './config.ts';
import { createDb, embeddedDirectory, migrate, type Db } from './db/knex.ts';
import { createLogger, type Logger } from './log.ts';
import { tools } from './tools/index.ts';

// How long a stopping instance lets answers still being worked on finish before it stops them.
const TURN_DRAIN_MS = 5_000;

export interface RunningServer {
  url: string;
  port: number;
  app: App;
  db: Db;
  config: Config;
  logger: Logger;
  /** Stops accepting, lets in-flight webhooks and turns finish (briefly), closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  logger?: Logger;
  /** For tests and the simulator: a database they already opened (and will close). */
  db?: Db;
}

/** Opens the database, migrates it, and serves the app; port 0 picks a free port. */
export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? createDb(config.database, logger);
  await migrate(db);

  const provider = chooseProvider(config.agent);
  const agent = createAgent({
    db,
    provider,
    tools,
    logger,
    toolTimeoutMs: config.agent.toolTimeoutMs,
    maxToolRounds: config.agent.maxToolRounds,
    historyMessages: config.agent.historyMessages,
  });
  const app = createApp({ db, agent, config, logger });
  const server: Server = app.listen(config.port, config.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  // Nobody else may open an embedded database this process holds: `npm run users` asks it instead.
  const dir = options.db ? null : embeddedDirectory(config.database);
  const callerCommands = dir ? await serveCallerCommands({ db, dir, defaultTimezone: config.agent.defaultTimezone, logger }) : null;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info(
    {
      port,
      database: 'url' in config.database ? 'postgres' : 'pglite',
      agent: `${provider.name}/${provider.model}`,
    },
    'listening',
  );

  async function stop(): Promise<void> {
    await callerCommands?.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await app.turns.drain(TURN_DRAIN_MS);
    if (!options.db) await db.destroy();
  }

  return { url, port, app, db, config, logger, stop };
}
