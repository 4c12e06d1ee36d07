import { context, trace, type Span } from '@opentelemetry/api';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { maskPhone } from '../log.ts';
import { TWILIO_CALL_SID, WEBHOOK_OUTCOME } from '../signals/attributes.ts';

/**
 * One log line per webhook, refused ones included: which call, what came of it, how long. It is
 * written in the context of the webhook's span in the call's trace (`ctx.state.span`, once the
 * webhook got that far), so its trace and span ids find the call, the status callback's too.
 */
export function logWebhook(logger: Logger) {
  return async function webhookLog(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const body = (ctx.request.body ?? {}) as Record<string, string | undefined>;
      const span = ctx.state.span as Span | undefined;
      const write = () =>
        logger.info(
          {
            webhook: ctx.path,
            [TWILIO_CALL_SID]: ctx.state.callSid ?? body.CallSid,
            from: maskPhone(body.From),
            [WEBHOOK_OUTCOME]: ctx.state.outcome ?? (ctx.status >= 400 ? 'refused' : 'ok'),
            status: ctx.status,
            ms: Math.round(performance.now() - started),
          },
          'webhook',
        );
      if (span) context.with(trace.setSpan(context.active(), span), write);
      else write();
    }
  };
}
