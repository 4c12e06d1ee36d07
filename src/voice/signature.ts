import type { Context, Next } from 'koa';
import twilio from 'twilio';

export interface SignatureOptions {
  authToken: string;
  /** The URL Twilio was given, when the app runs behind a proxy or tunnel that rewrites it. */
  publicBaseUrl?: string;
}

/**
 * Refuses any webhook not signed by Twilio with our auth token, before it can touch anything.
 * Twilio signs the full URL it called plus the sorted form parameters.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export function verifyTwilioSignature({ authToken, publicBaseUrl }: SignatureOptions) {
  return async function twilioSignature(ctx: Context, next: Next) {
    const signature = ctx.get('X-Twilio-Signature');
    const url = publicBaseUrl ? publicBaseUrl + ctx.originalUrl : ctx.href;
    const params = (ctx.request.body ?? {}) as Record<string, string>;
    if (!signature || !twilio.validateRequest(authToken, signature, url, params)) {
      ctx.state.outcome = 'forged';
      ctx.throw(403, 'invalid Twilio signature');
    }
    await next();
  };
}
