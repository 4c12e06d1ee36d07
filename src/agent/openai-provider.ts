import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatCompletionStreamParams } from 'openai/lib/ChatCompletionStream';
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

// Requests per model call, first one included: a model that keeps failing is told so quickly,
// and a server in trouble gets three requests per turn, not a storm.
export const MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 250;
// A longer wait than this does not fit in a caller's turn: asked for it, we fail at once.
const MAX_BACKOFF_MS = 4_000;

/**
 * Chat Completions with tools through the official SDK, streamed, so the first words of an
 * answer can be spoken while the rest is generated. Retries are ours, not the SDK's, so they
 * stop when the turn's signal does: 429, 5xx and a connection dropped mid-request or mid-stream
 * are retried, at most MAX_ATTEMPTS requests in all, after `retry-after-ms` or `Retry-After`
 * when the server gives one and a jittered exponential backoff when it does not. A server that
 * cannot be reached at all (refused, unknown host) and anything else, such as a bad key, fail at
 * once; so does a reply that broke off after some of its words were already handed on.
 */
export function createOpenAiProvider({ apiKey, model, baseURL }: OpenAiProviderOptions): ModelProvider {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });

  async function complete(request: ModelRequest): Promise<ModelReply> {
    const body = {
      model,
      messages: request.messages.map(toOpenAi),
      tools: request.tools.map(toTool),
      parallel_tool_calls: true,
      stream_options: { include_usage: true },
    };
    let lastFailure: unknown;
    for (let attempt = 0; ; attempt++) {
      // A signal per attempt: the SDK leaves a listener on the signal it is given, and a turn
      // that retries for a while would pile them onto the turn's own.
      const attemptAbort = new AbortController();
      const forward = () => attemptAbort.abort(request.signal.reason);
      request.signal.addEventListener('abort', forward, { once: true });
      const spoken = { any: false };
      try {
        return await streamReply(body, request, attemptAbort.signal, spoken);
      } catch (error) {
        // Stopped in the middle of a retry: the model's failure is what went wrong, not the abort,
        // whether the stop came during the backoff (below) or during the request. Stopped before
        // anything failed: the stop itself, not the SDK's word for it.
        if (request.signal.aborted) throw lastFailure ?? request.signal.reason ?? error;
        // Words already spoken cannot be taken back: a reply that failed after them is not asked for again.
        const wait = retryable(error) && !spoken.any && attempt + 1 < MAX_ATTEMPTS ? backoff(attempt, error) : null;
        if (wait === null || request.signal.aborted) throw error;
        lastFailure = error;
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

  /** One streamed request: text goes to `onText` as it arrives; the SDK assembles the rest. */
  async function streamReply(
    body: ChatCompletionStreamParams,
    request: ModelRequest,
    signal: AbortSignal,
    spoken: { any: boolean },
  ): Promise<ModelReply> {
    const sent = performance.now();
    let firstChunk: number | undefined;
    const stream = client.chat.completions.stream(body, { signal });
    stream.on('chunk', () => (firstChunk ??= performance.now()));
    stream.on('content', (delta) => {
      spoken.any = true;
      request.onText?.(delta);
    });
    // Rejects as the request would: an API error, a dropped connection, an abort, or a stream
    // that ended without a finish reason.
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    if (!choice) throw new ModelUnavailableError('the model returned no choices');
    return {
      id: completion.id,
      message: fromOpenAi(choice.message),
      model: completion.model,
      finishReason: choice.finish_reason,
      usage: completion.usage ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens } : undefined,
      timeToFirstChunk: firstChunk === undefined ? undefined : (firstChunk - sent) / 1000,
    };
  }

  return { name: 'openai', model, server: serverOf(client.baseURL), complete };
}

function serverOf(baseURL: string): { address: string; port: number } {
  const url = new URL(baseURL);
  return { address: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
}

function retryable(error: unknown): boolean {
  if (error instanceof OpenAI.APIUserAbortError) return false;
  if (error instanceof OpenAI.APIConnectionError) return !couldNotConnect(error);
  if (error instanceof OpenAI.APIError) return error.status === 429 || (error.status ?? 0) >= 500;
  // Not an API error but the SDK's own: the stream broke off mid-reply (a dropped connection).
  return error instanceof OpenAI.OpenAIError;
}

// Connecting failed: nothing listens there, or the name or route does not resolve. Retrying
// within a turn will not change that; a connection reset mid-request might.
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function couldNotConnect(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const codes = [cause, ...(cause instanceof AggregateError ? cause.errors : [])].map((e) => (e as { code?: unknown }).code);
    if (codes.some((code) => typeof code === 'string' && CONNECT_FAILURES.has(code))) return true;
  }
  return false;
}

/** Milliseconds to wait before the next attempt, or null when the server asks for more than a turn has. */
function backoff(attempt: number, error: unknown): number | null {
  const asked = error instanceof OpenAI.APIError ? retryAfterMs(error.headers) : null;
  if (asked !== null) return asked <= MAX_BACKOFF_MS ? asked : null;
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date; null when neither is usable. */
function retryAfterMs(headers: Headers | undefined): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const after = headers?.get('retry-after')?.trim();
  if (!after) return null;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  const at = Date.parse(after);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
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
