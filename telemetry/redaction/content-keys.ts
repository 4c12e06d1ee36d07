import {
  FEEDBACK_COMMENT,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OUTPUT_MESSAGES,
  TRANSCRIPT,
} from '../../src/signals/attributes.ts';

/**
 * Attribute keys that hold what people said or what the model was told: dropped before any
 * exporter unless TELEMETRY_CAPTURE_CONTENT=true. Extend this list when src/ gains a new one.
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/#content-capturing
 */
export const CONTENT_KEYS: readonly string[] = [
  TRANSCRIPT,
  FEEDBACK_COMMENT,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OUTPUT_MESSAGES,
  // Content keys of the GenAI conventions that src/ does not set today.
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  // Twilio's own field names, should a form body ever be logged or attached.
  'SpeechResult',
  'UnstableSpeechResult',
  'Digits',
];

/** Any key ending in one of these (after a dot or underscore) is content too. */
export const CONTENT_KEY_SUFFIXES: readonly string[] = ['transcript', 'prompt', 'completion', 'utterance', 'speech_result'];

export function isContentKey(key: string): boolean {
  if (CONTENT_KEYS.includes(key)) return true;
  const lower = key.toLowerCase();
  return CONTENT_KEY_SUFFIXES.some(
    (suffix) => lower === suffix || lower.endsWith(`.${suffix}`) || lower.endsWith(`_${suffix}`),
  );
}
