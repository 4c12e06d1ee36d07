import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { createAgent } from './agent/agent.ts';
import { chooseProvider } from './agent/choose-provider.ts';
import { createApp, type App } from './app.ts';
import { serveCallerCommands } from './callers/command-socket.ts';
import { loadConfig, type Config } from './config.ts';
import { createDb, createWorkDb, embeddedDirectory, migrate, type Db } from './db/knex.ts';
import { createLogger, type Logger } from './log.ts';
import { tools } from './tools/index.ts';
import { serveRelay } from './voice/relay/server.ts';
import { settleStaleWork, turnBudgetMs } from './voice/turns.ts';

// How long a stopping instance lets answers still being worked on finish before it gives up on them.
const TURN_DRAIN_MS = 5_000;
// Twilio's longest call is 24 hours (its `timeLimit`): an open call older than that lost its final status.
const CALL_MAX_MS = 24 * 60 * 60 * 1000;
// How often each instance looks for work a crashed or hung instance left unsettled.
const SWEEP_EVERY_MS = 60_000;
// Closing the pools waits for connections in use; past this they are left to the exit.
const POOL_CLOSE_MS = 4_000;

export interface RunningServer {
  url: string;
  port: number;
  app: App;
  db: Db;
  config: Config;
  logger: Logger;
  /**
   * Stops accepting, answers in-flight webhooks (by their deadlines) and closes each connection
   * after its last answer, gives running turns a short grace before giving up on them, and
   * closes the database. Resolves within `stopBoundMs(config)`.
   */
  stop(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  logger?: Logger;
  /** For tests and the simulator: a database they already opened (and will close). */
  db?: Db;
}

/**
 * The longest `stop()` takes: webhooks in flight answer by their deadline, while running turns
 * get their grace, then stop within their tool's limits; then the pools close.
 */
export function stopBoundMs(config: Config): number {
  return Math.max(config.webhookDeadlineMs, TURN_DRAIN_MS + config.agent.toolTimeoutMs + 3_000) + POOL_CLOSE_MS;
}

/** Opens the database, migrates it, and serves the app; port 0 picks a free port. */
export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? createDb(config.database, { logger });
  await migrate(db);
  // On PostgreSQL the agent and its tools get their own pool, so they can never starve webhook bookkeeping.
  const workDb = createWorkDb(config.database, db, logger);

  const provider = chooseProvider(config.agent);
  const agent = createAgent({
    db: workDb,
    provider,
    tools,
    logger,
    toolTimeoutMs: config.agent.toolTimeoutMs,
    maxToolRounds: config.agent.maxToolRounds,
    historyMessages: config.agent.historyMessages,
  });
  const app = createApp({ db, agent, config, logger });
  const server: Server = app.listen(config.port, config.host);
  // The client or proxy in front must close an idle connection before we do, or it may reuse one
  // we are closing; headers must be allowed longer than that (Node's own rule).
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.headersTimeout = config.keepAliveTimeoutMs + 1_000;
  // While stopping, every answer (those in flight included) closes its connection: a keep-alive
  // client or proxy opens a new one, to an instance that is still accepting.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (app.stopping) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  // ConversationRelay sessions: WebSockets on the same server and port as the webhooks.
  const relay = serveRelay(server, { db, turns: app.turns, logger, config });
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
      voice: config.voiceMode,
    },
    'listening',
  );

  const sweep = () =>
    settleStaleWork(db, { turnBudgetMs: turnBudgetMs(config.agent), callMaxMs: CALL_MAX_MS })
      .then((settled) => {
        if (settled.turns || settled.calls) logger.warn(settled, 'settled work left behind by another instance');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not look for stale work'));
  void sweep();
  const sweeper = setInterval(sweep, SWEEP_EVERY_MS);
  sweeper.unref();

  async function stop(): Promise<void> {
    clearInterval(sweeper);
    app.stopping = true;
    for (const res of inFlight) res.shouldKeepAlive = false;
    await callerCommands?.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A connection busy now closes after its answer (shouldKeepAlive above); none outlives the deadline.
    const cut = setTimeout(() => server.closeAllConnections(), config.webhookDeadlineMs + 1_000);
    await Promise.all([closed.finally(() => clearTimeout(cut)), relay.close(), app.turns.drain(TURN_DRAIN_MS)]);
    await Promise.race([
      Promise.all([workDb === db ? undefined : workDb.destroy(), options.db ? undefined : db.destroy()]),
      delay(POOL_CLOSE_MS, undefined, { ref: false }),
    ]);
  }

  return { url, port, app, db, config, logger, stop };
}
