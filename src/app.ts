import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import type { Agent } from './agent/agent.ts';
import type { Config } from './config.ts';
import { deadlineAt } from './deadline.ts';
import type { Db } from './db/knex.ts';
import { verifyTwilioSignature } from './voice/signature.ts';
import { createTurns, type Turns, type WebhookClock } from './voice/turns.ts';
import { voiceRoutes } from './voice/routes.ts';
import { logWebhook } from './voice/webhook-log.ts';

export interface AppDeps {
  /** The webhook bookkeeping pool; the agent brings its own. */
  db: Db;
  agent: Agent;
  config: Config;
  logger: Logger;
}

export type App = Koa & {
  turns: Turns;
  /** Set when the instance starts to stop: readiness fails, so a load balancer sends nothing new. */
  stopping: boolean;
};

// Twilio's webhook bodies are a few hundred bytes; anything near this limit is not Twilio.
const BODY_LIMIT = '16kb';

export function createApp({ db, agent, config, logger }: AppDeps): App {
  const app = new Koa({ proxy: config.twilio.trustProxy }) as App;
  app.silent = true; // errors are logged once, below, not also by Koa's default handler
  app.on('error', (error: Error & { status?: number }, ctx?: Koa.Context) => {
    if ((error.status ?? 500) >= 500) logger.error({ err: error, path: ctx?.path }, 'request failed');
  });

  const turns = createTurns({ db, agent, logger, config: { ...config.agent, captureContent: config.captureContent } });
  app.turns = turns;
  app.stopping = false;

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    if (app.stopping) {
      ctx.status = 503;
      ctx.body = { status: 'stopping' };
      return;
    }
    try {
      await db.raw('select 1');
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'database unreachable' };
    }
  });

  app.use(health.routes());
  app.use(health.allowedMethods());
  // Everything that is not a health check is a webhook, whatever its path or case: guarded.
  app.use(webhookGuards(config, logger));
  const voice = voiceRoutes({ db, turns, logger, config });
  app.use(voice.routes());
  app.use(voice.allowedMethods());
  return app;
}

/**
 * Everything a webhook passes before a handler sees it, in order: its clock starts, its log line
 * is set up, then nothing is read before its type is right, and nothing is acted on unless
 * Twilio signed it. One named middleware, so a trace shows one step rather than several anonymous ones.
 */
function webhookGuards(config: Config, logger: Logger): Koa.Middleware {
  const guards = compose([
    startClock(config.webhookDeadlineMs),
    logWebhook(logger),
    requireForm,
    bodyParser({ enableTypes: ['form'], formLimit: BODY_LIMIT, encoding: 'utf-8' }),
    verifyTwilioSignature({ authToken: config.twilio.authToken, publicBaseUrl: config.twilio.publicBaseUrl }),
  ]);
  return function twilioWebhookGuards(ctx, next) {
    return guards(ctx, next);
  };
}

/** The webhook's deadline counts from its arrival, before anything else is done for it. */
function startClock(deadlineMs: number): Koa.Middleware {
  return async function webhookClock(ctx, next) {
    const arrivedAt = Date.now();
    ctx.state.clock = { arrivedAt, deadline: deadlineAt(arrivedAt + deadlineMs) } satisfies WebhookClock;
    await next();
  };
}

/** Twilio posts plain forms; anything else is refused before it is read. */
async function requireForm(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (ctx.method === 'POST' && !ctx.is('application/x-www-form-urlencoded')) {
    ctx.throw(415, 'webhooks must be application/x-www-form-urlencoded');
  }
  // Twilio never compresses a webhook; a body that claims to be, whatever it holds, is not one.
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  if (encoding && encoding !== 'identity') ctx.throw(415, 'webhooks are never content-encoded');
  await next();
}
