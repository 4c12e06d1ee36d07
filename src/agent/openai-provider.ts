import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { AssistantMessage, ChatMessage, ToolCall } from './messages.ts';
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
 * answer can be spoken while the rest is generated. Retries are ours, not the SDK's, so
 * they stop when the turn's signal does: 429, 5xx and a connection dropped mid-request are
 * retried, at most MAX_ATTEMPTS requests in all, after `retry-after-ms` or `Retry-After` when
 * the server gives one and a jittered exponential backoff when it does not. A server that cannot
 * be reached at all (refused, unknown host) and anything else, such as a bad key, fail at once;
 * so does a reply that broke off after some of its words were already handed on.
 */
export function createOpenAiProvider({ apiKey, model, baseURL }: OpenAiProviderOptions): ModelProvider {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });

  async function complete(request: ModelRequest): Promise<ModelReply> {
    const body = {
      model,
      messages: request.messages.map(toOpenAi),
      tools: request.tools.map(toTool),
      parallel_tool_calls: true,
      stream: true as const,
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

  /** One streamed request: text goes to `onText` as it arrives; tool calls are assembled from their pieces. */
  async function streamReply(
    body: ChatCompletionCreateParamsStreaming,
    request: ModelRequest,
    signal: AbortSignal,
    spoken: { any: boolean },
  ): Promise<ModelReply> {
    const sent = performance.now();
    const stream = await client.chat.completions.create(body, { signal });
    let firstChunk: number | undefined;
    let content = '';
    const calls = new Map<number, ToolCall>();
    let finishReason: string | undefined;
    let id: string | undefined;
    let answeredBy = model;
    let usage: ModelReply['usage'];
    for await (const chunk of stream) {
      firstChunk ??= performance.now();
      id = chunk.id || id;
      answeredBy = chunk.model || answeredBy;
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      const choice = chunk.choices[0];
      if (!choice) continue;
      const text = choice.delta?.content;
      if (text) {
        content += text;
        spoken.any = true;
        request.onText?.(text);
      }
      for (const piece of choice.delta?.tool_calls ?? []) {
        const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
        if (piece.id) call.id = piece.id;
        if (piece.function?.name) call.name += piece.function.name;
        if (piece.function?.arguments) call.arguments += piece.function.arguments;
        calls.set(piece.index, call);
      }
      finishReason = choice.finish_reason ?? finishReason;
    }
    if (!finishReason) throw new ModelUnavailableError('the model stream ended without a finish reason');
    const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    const message: AssistantMessage = toolCalls.length
      ? { role: 'assistant', content: content || null, toolCalls }
      : { role: 'assistant', content: content || null };
    return {
      id,
      message,
      model: answeredBy,
      finishReason,
      usage,
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
  return false;
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
