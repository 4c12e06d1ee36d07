// The names the app's telemetry is read by, in one place: telemetry/ imports them to find what it
// must redact or forward, so this module holds constants only and imports nothing.

// Attribute names and values from the OpenTelemetry GenAI semantic conventions, copied here
// because @opentelemetry/semantic-conventions only ships them from its unstable `incubating`
// entry point, which may rename them in any release.
// https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
/** Seconds from the request to the first chunk of a streamed reply. */
export const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

export const GEN_AI_OPERATION = {
  chat: 'chat',
  invokeAgent: 'invoke_agent',
  executeTool: 'execute_tool',
} as const;

export const ERROR_TYPE = 'error.type';
// Stable general attributes, as the GenAI conventions use them for a remote model.
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';

/** The app's own tracer and meter: telemetry/ tells the app's spans from instrumentations' by it. */
export const INSTRUMENTATION_NAME = 'convonet';

// Our own names, under a namespace the conventions will not claim.
export const TWILIO_CALL_SID = 'twilio.call_sid';
export const TWILIO_CALL_STATUS = 'twilio.call.status';
export const TWILIO_WEBHOOK = 'twilio.webhook';
/** What came of a webhook: greeted, pin_accepted, answered, hold, goodbye, apologised... */
export const WEBHOOK_OUTCOME = 'convonet.webhook.outcome';
export const CALLER_PSEUDO_ID = 'enduser.pseudo.id';
/** How the call talks after sign-in: "gather" (webhooks) or "relay" (ConversationRelay WebSocket). */
export const VOICE_MODE = 'convonet.voice.mode';
/** Twilio's ConversationRelay session id (VX...), from its setup message. */
export const RELAY_SESSION_ID = 'twilio.relay.session_id';
/** Seconds from the caller's final words to the first words of the answer sent to be spoken. */
export const TIME_TO_FIRST_TEXT = 'convonet.turn.time_to_first_text';
/** How much of the answer the caller heard before cutting in, in characters; and after how long. */
export const HEARD_CHARS = 'convonet.interrupt.heard_chars';
export const HEARD_MS = 'convonet.interrupt.heard_ms';
/** Why a relay session ended: hangup, transfer, goodbye, protocol_error, call_ended, shutdown... */
export const RELAY_END_REASON = 'convonet.relay.end_reason';
/** Why a relay message was refused (what was wrong with it, never the message itself). */
export const RELAY_PROBLEM = 'convonet.relay.problem';
/** Twilio's own description of an error it reports on the relay session. */
export const RELAY_ERROR = 'convonet.relay.error';
export const TURN_ID = 'convonet.turn.id';
export const TURN_OUTCOME = 'convonet.turn.outcome';
export const TURN_END_REASON = 'convonet.turn.end_reason';
export const SPEECH_CONFIDENCE = 'convonet.speech.confidence';
export const TRANSCRIPT_LENGTH = 'convonet.transcript.length';
/** The caller's words: set only when content capture is on, and dropped by telemetry/ otherwise. */
export const TRANSCRIPT = 'convonet.transcript';
export const TOOL_OUTCOME = 'convonet.tool.outcome';
export const THREAD_RESET_REASON = 'convonet.thread.reset_reason';
export const AGENT_DEADLINE_MS = 'convonet.agent.deadline_ms';
export const AGENT_ELAPSED_MS = 'convonet.agent.elapsed_ms';
export const REPAIRED_TOOL_CALLS = 'convonet.repaired_tool_calls';
export const PIN_ATTEMPT = 'convonet.pin.attempt';
/** Whether what was heard was digits at all: "digits" or "not_digits", never the digits. */
export const PIN_HEARD = 'convonet.pin.heard';
/** Which lockout bucket a PIN attempt counted in: "attested" (STIR/SHAKEN A) or "unattested". */
export const PIN_BUCKET = 'convonet.pin.bucket';
/** How many locks in a row the bucket has had, this one included: each lasts longer. */
export const PIN_LOCK_LEVEL = 'convonet.pin.lock_level';
/** The stored feedback row: where to read what the caller said when content capture is off. */
export const FEEDBACK_ID = 'convonet.feedback.id';
/** The caller's feedback in their words: set only when content capture is on, and dropped by telemetry/ otherwise. */
export const FEEDBACK_COMMENT = 'convonet.feedback.comment';

/** Span events (and the log records of the same name) that recordEvent writes: src/signals/events.ts. */
export const EVENTS = {
  threadReset: 'thread reset',
  agentTimeout: 'agent timeout',
  toolBackendUnreachable: 'tool backend unreachable',
  historyRepaired: 'tool call history repaired',
  pinRejected: 'pin rejected',
  pinLockout: 'pin lockout',
  callerFeedback: 'caller feedback',
  callerInterrupted: 'caller interrupted',
  relayMessageRefused: 'relay message refused',
  relayError: 'relay error',
} as const;
