import { SpanKind } from '@opentelemetry/api';
import {
  ERROR_TYPE,
  GEN_AI_CONVERSATION_ID,
  GEN_AI_OPERATION,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  GEN_AI_TOKEN_TYPE,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
  SERVER_ADDRESS,
  SERVER_PORT,
} from '../signals/attributes.ts';
import { genAiOperationDuration, genAiTimeToFirstChunk, genAiTokenUsage } from '../signals/metrics.ts';
import { errorType, inSpan } from '../signals/spans.ts';
import type { ModelProvider, ModelReply, ModelRequest } from './provider.ts';

/**
 * One model call as a GenAI `chat {model}` span, with the conventions' duration and token
 * metrics, and for a streamed reply its time to first chunk. `conversationId` is the caller's
 * thread, the same `gen_ai.conversation.id` as on `invoke_agent`, so a search by thread finds
 * every model call in it.
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/#inference
 */
export function chat(provider: ModelProvider, request: ModelRequest, conversationId?: string): Promise<ModelReply> {
  const common = {
    [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.chat,
    [GEN_AI_PROVIDER_NAME]: provider.name,
    [GEN_AI_REQUEST_MODEL]: provider.model,
    ...(provider.server ? { [SERVER_ADDRESS]: provider.server.address, [SERVER_PORT]: provider.server.port } : {}),
  };
  const attributes = { ...common, ...(conversationId ? { [GEN_AI_CONVERSATION_ID]: conversationId } : {}) };
  return inSpan(`${GEN_AI_OPERATION.chat} ${provider.model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const started = performance.now();
    try {
      const { onText } = request;
      let streamed = false;
      const forward = (delta: string) => {
        streamed = true;
        onText?.(delta);
      };
      const reply = await provider.complete({ ...request, onText: onText && forward });
      // A provider that does not stream (the offline agent) hands its words over whole, at the end.
      if (!streamed && reply.message.content) onText?.(reply.message.content);
      if (reply.timeToFirstChunk !== undefined) {
        span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, reply.timeToFirstChunk);
        genAiTimeToFirstChunk.record(reply.timeToFirstChunk, { ...common, [GEN_AI_RESPONSE_MODEL]: reply.model });
      }
      span.setAttributes({
        [GEN_AI_RESPONSE_MODEL]: reply.model,
        [GEN_AI_RESPONSE_FINISH_REASONS]: [reply.finishReason],
        ...(reply.id ? { [GEN_AI_RESPONSE_ID]: reply.id } : {}),
      });
      const metricAttributes = { ...common, [GEN_AI_RESPONSE_MODEL]: reply.model };
      genAiOperationDuration.record((performance.now() - started) / 1000, metricAttributes);
      if (reply.usage) {
        span.setAttributes({
          [GEN_AI_USAGE_INPUT_TOKENS]: reply.usage.inputTokens,
          [GEN_AI_USAGE_OUTPUT_TOKENS]: reply.usage.outputTokens,
        });
        genAiTokenUsage.record(reply.usage.inputTokens, { ...metricAttributes, [GEN_AI_TOKEN_TYPE]: 'input' });
        genAiTokenUsage.record(reply.usage.outputTokens, { ...metricAttributes, [GEN_AI_TOKEN_TYPE]: 'output' });
      }
      return reply;
    } catch (error) {
      genAiOperationDuration.record((performance.now() - started) / 1000, { ...common, [ERROR_TYPE]: errorType(error) });
      throw error;
    }
  });
}
