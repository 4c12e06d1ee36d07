import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { AssistantMessage, ChatMessage } from './messages.ts';
import type { ModelProvider, ModelReply, ModelRequest, ToolSpec } from './provider.ts';

export interface OpenAiProviderOptions {
  apiKey: string;
  model: string;
  /** Any OpenAI-compatible server: a gateway, a local model server. */
  baseURL?: string;
}

/** Thrown when a model keeps failing in a way worth retrying until the turn's time runs out. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4_000;

/**
 * Chat Completions with tools through the official SDK. Retries are ours, not the SDK's, so
 * they stop when the turn's signal does: 429 and 5xx (and dropped connections) are retried with
 * jittered exponential backoff, honouring Retry-After; anything else, such as a bad key, fails
 * at once.
 */
export function createOpenAiProvider({ apiKey, model, baseURL }: OpenAiProviderOptions): ModelProvider {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });

  async function complete(request: ModelRequest): Promise<ModelReply> {
    const body = {
      model,
      messages: request.messages.map(toOpenAi),
      tools: request.tools.map(toTool),
      parallel_tool_calls: true,
    };
    let lastFailure: unknown;
    for (let attempt = 0; ; attempt++) {
      // A signal per attempt: the SDK leaves a listener on the signal it is given, and a turn
      // that retries for a while would pile them onto the turn's own.
      const attemptAbort = new AbortController();
      const forward = () => attemptAbort.abort(request.signal.reason);
      request.signal.addEventListener('abort', forward, { once: true });
      try {
        const completion = await client.chat.completions.create(body, { signal: attemptAbort.signal });
        const choice = completion.choices[0];
        if (!choice) throw new ModelUnavailableError('the model returned no choices');
        return {
          id: completion.id,
          message: fromOpenAi(choice.message),
          model: completion.model,
          finishReason: choice.finish_reason,
          usage: completion.usage
            ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens }
            : undefined,
        };
      } catch (error) {
        // Stopped in the middle of a retry: the model's failure is what went wrong, not the abort,
        // whether the stop came during the backoff (below) or during the request.
        if (request.signal.aborted && lastFailure !== undefined) throw lastFailure;
        if (!retryable(error) || request.signal.aborted) throw error;
        lastFailure = error;
        const wait = backoff(attempt, error);
        try {
          await delay(wait, undefined, { signal: request.signal });
        } catch {
          throw error; // the turn ran out of time while waiting: report the model's failure, not the abort
        }
      } finally {
        request.signal.removeEventListener('abort', forward);
      }
    }
  }

  return { name: 'openai', model, server: serverOf(client.baseURL), complete };
}

function serverOf(baseURL: string): { address: string; port: number } {
  const url = new URL(baseURL);
  return { address: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
}

function retryable(error: unknown): boolean {
  if (error instanceof OpenAI.APIUserAbortError) return false;
  if (error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIError) return error.status === 429 || (error.status ?? 0) >= 500;
  return false;
}

function backoff(attempt: number, error: unknown): number {
  const retryAfter = error instanceof OpenAI.APIError ? Number(error.headers?.get('retry-after')) : NaN;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter * 1000, MAX_BACKOFF_MS);
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function toTool(spec: ToolSpec): ChatCompletionTool {
  return { type: 'function', function: { name: spec.name, description: spec.description, parameters: spec.parameters } };
}

function toOpenAi(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant':
      return message.toolCalls?.length
        ? {
            role: 'assistant',
            content: message.content,
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          }
        : { role: 'assistant', content: message.content ?? '' };
  }
}

function fromOpenAi(message: { content: string | null; tool_calls?: ChatCompletionMessageToolCall[] }): AssistantMessage {
  const toolCalls = (message.tool_calls ?? []).flatMap((call) =>
    call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
  );
  return toolCalls.length ? { role: 'assistant', content: message.content, toolCalls } : { role: 'assistant', content: message.content };
}
