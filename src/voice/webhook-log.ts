import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { maskPhone } from '../log.ts';

/** One log line per webhook, refused ones included: which call, what came of it, how long. */
export function logWebhook(logger: Logger) {
  return async function webhookLog(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const body = (ctx.request.body ?? {}) as Record<string, string | undefined>;
      logger.info(
        {
          webhook: ctx.path,
          callSid: ctx.state.callSid ?? body.CallSid,
          from: maskPhone(body.From),
          outcome: ctx.state.outcome ?? (ctx.status >= 400 ? 'refused' : 'ok'),
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'webhook',
      );
    }
  };
}
