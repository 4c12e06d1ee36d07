import { metrics, ValueType } from '@opentelemetry/api';
import { INSTRUMENTATION_NAME } from './attributes.ts';

const meter = metrics.getMeter(INSTRUMENTATION_NAME);

// Bucket boundaries in seconds sized for a voice turn: Twilio gives up at 15 s.
const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 6, 8, 10, 12, 15, 20, 30, 60];

/** Per the GenAI conventions: one record per model call, in seconds. */
export const genAiOperationDuration = meter.createHistogram('gen_ai.client.operation.duration', {
  description: 'GenAI operation duration',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] },
});

/** Per the GenAI conventions: input and output tokens, told apart by `gen_ai.token.type`. */
export const genAiTokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
  description: 'Measures number of input and output tokens used',
  unit: '{token}',
  valueType: ValueType.INT,
  advice: {
    explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  },
});

/** Per the GenAI conventions, for streamed replies: seconds from the request to the first chunk. */
export const genAiTimeToFirstChunk = meter.createHistogram('gen_ai.client.operation.time_to_first_chunk', {
  description: 'Time to receive the first chunk of a streamed reply',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24] },
});

/** What a relay caller waits for: from their final words to the first words of the answer sent to Twilio. */
export const timeToFirstText = meter.createHistogram('convonet.turn.time_to_first_text', {
  description: 'Time from a caller utterance to the first words of its answer sent to be spoken (ConversationRelay)',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4, 8, 15] },
});

export const interruptions = meter.createCounter('convonet.turn.interruptions', {
  description: 'Answers the caller cut in on (ConversationRelay barge-in)',
  unit: '{interruption}',
  valueType: ValueType.INT,
});

/** The old system's "agent processing time": from utterance to answer, by outcome. */
export const turnDuration = meter.createHistogram('convonet.turn.duration', {
  description: 'Time from a caller utterance to its answer',
  unit: 's',
  advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
});

export const toolDuration = meter.createHistogram('convonet.tool.duration', {
  description: 'Tool execution time, by tool and outcome',
  unit: 's',
  advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
});

export const toolErrors = meter.createCounter('convonet.tool.errors', {
  description: 'Tool executions that failed, by tool and error.type',
  unit: '{error}',
  valueType: ValueType.INT,
});

export const calls = meter.createCounter('convonet.calls', {
  description: 'Calls ended, by final Twilio status',
  unit: '{call}',
  valueType: ValueType.INT,
});

export const threadResets = meter.createCounter('convonet.thread.resets', {
  description: 'Conversation threads reset, by reason',
  unit: '{reset}',
  valueType: ValueType.INT,
});

export const agentTimeouts = meter.createCounter('convonet.agent.timeouts', {
  description: 'Turns that passed the answer deadline',
  unit: '{timeout}',
  valueType: ValueType.INT,
});

export const pinFailures = meter.createCounter('convonet.pin.failures', {
  description: 'Rejected PIN attempts',
  unit: '{attempt}',
  valueType: ValueType.INT,
});

export const pinLockouts = meter.createCounter('convonet.pin.lockouts', {
  description: 'Accounts whose PIN was locked after wrong guesses, by bucket and lock level',
  unit: '{lockout}',
  valueType: ValueType.INT,
});

export const errors = meter.createCounter('convonet.errors', {
  description: 'Failures a caller heard an apology for, by error.type',
  unit: '{error}',
  valueType: ValueType.INT,
});
