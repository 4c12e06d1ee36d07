import { z } from 'zod';

// Twilio's own parameter names; only what we use, validated after the signature check.
const callSid = z.string().regex(/^CA[0-9a-f]{32}$/, 'is not a Twilio CallSid');
const phone = z.string().max(64).optional();

export const incomingParams = z.object({
  CallSid: callSid,
  From: phone,
  To: phone,
  CallStatus: z.string().max(32).default('ringing'),
  // STIR/SHAKEN: "TN-Validation-Passed-A" when the carrier vouches that the caller owns the number.
  StirVerstat: z.string().max(64).optional(),
});

export const pinParams = z.object({
  CallSid: callSid,
  Digits: z.string().max(32).optional(),
  SpeechResult: z.string().max(200).optional(),
});

export const turnParams = z.object({
  CallSid: callSid,
  SpeechResult: z.string().max(2000).optional(),
  Confidence: z.coerce.number().min(0).max(1).optional(),
});

/** The <Gather> number the app wrote into the action URL; absent in URLs older versions wrote. */
export const turnQuery = z.object({ seq: z.coerce.number().int().min(1).max(1_000_000).optional() });

/** Twilio's request to the <Connect> action when a relay session ends; HandoffData is what the app sent with `end`. */
export const relayEndedParams = z.object({
  CallSid: callSid,
  SessionStatus: z.string().max(32).optional(),
  HandoffData: z.string().max(4096).optional(),
});

export const resultParams = z.object({ CallSid: callSid });
export const resultQuery = z.object({ turn: z.uuid(), seq: z.coerce.number().int().min(1).max(1_000_000).optional() });

export const statusParams = z.object({
  CallSid: callSid,
  CallStatus: z.enum(['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']),
  // Seconds; the column is a 32-bit integer, and no call lasts anywhere near that long.
  CallDuration: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional(),
});

export class WebhookParamsError extends Error {
  override name = 'WebhookParamsError';
  readonly status = 400;
  readonly expose = true;
}

export function parseParams<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new WebhookParamsError(`bad webhook parameters: ${problems.join('; ')}`);
  }
  return parsed.data;
}
