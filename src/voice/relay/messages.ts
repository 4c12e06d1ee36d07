import { z } from 'zod';

// Twilio's ConversationRelay messages, only what we use, checked before anything acts on them.
// https://www.twilio.com/docs/voice/conversationrelay/websocket-messages
const setup = z.object({
  type: z.literal('setup'),
  sessionId: z.string().max(64),
  callSid: z.string().regex(/^CA[0-9a-f]{32}$/, 'is not a Twilio CallSid'),
});
const prompt = z.object({
  type: z.literal('prompt'),
  voicePrompt: z.string().max(4000),
  // Twilio sends `last: true` on the final transcript; partial prompts are only sent when asked for.
  last: z.boolean().default(true),
});
const dtmf = z.object({ type: z.literal('dtmf'), digit: z.string().max(8) });
const interrupt = z.object({
  type: z.literal('interrupt'),
  utteranceUntilInterrupt: z.string().max(8000).default(''),
  durationUntilInterruptMs: z.coerce.number().min(0).optional(),
});
const error = z.object({ type: z.literal('error'), description: z.string().max(2000).default('') });

export const relayMessage = z.discriminatedUnion('type', [setup, prompt, dtmf, interrupt, error]);
export type RelayMessage = z.infer<typeof relayMessage>;

/** What the app sends: text to speak (streamed, `last` ends a reply), and `end` to leave the session. */
export type RelayReply = { type: 'text'; token: string; last: boolean } | { type: 'end'; handoffData: string };

/** Why the app ended a session, as `handoffData.reasonCode`, read back by the <Connect> action. */
export const HANDOFF = { transfer: 'live-agent-handoff', goodbye: 'goodbye', refused: 'refused' } as const;

export function handoffData(reasonCode: (typeof HANDOFF)[keyof typeof HANDOFF]): string {
  return JSON.stringify({ reasonCode });
}

/** The `handoffData` Twilio posts back to the action URL; null when absent (the session was lost) or not ours. */
export function readHandoff(data: string | undefined): { reasonCode: string } | null {
  if (!data) return null;
  try {
    const parsed = z.object({ reasonCode: z.string().max(64) }).safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A message as received: parsed and checked, or why not (never thrown). */
export function parseRelayMessage(data: string): { message: RelayMessage } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { problem: 'not JSON' };
  }
  const parsed = relayMessage.safeParse(json);
  if (parsed.success) return { message: parsed.data };
  return { problem: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'} ${issue.message}`).join('; ') };
}
