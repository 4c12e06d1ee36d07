import type { AssistantMessage, ChatMessage } from './messages.ts';

/** A tool as offered to a model: its name, what it does and a JSON Schema for its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** The caller's clock: providers that understand dates resolve "tomorrow" against it. */
  now: Date;
  timezone: string;
  signal: AbortSignal;
  /**
   * Given each piece of the answer's text as it arrives, by providers that stream; for those
   * that do not, `chat` hands over the whole text once the reply is complete.
   */
  onText?: (delta: string) => void;
}

export interface ModelReply {
  message: AssistantMessage;
  /** The model that actually answered (may differ from the one requested). */
  model: string;
  finishReason: string;
  usage?: { inputTokens: number; outputTokens: number };
  /** The completion's id (gen_ai.response.id), when the server gives one. */
  id?: string;
  /** Seconds from the request to the first chunk of a streamed reply (gen_ai.response.time_to_first_chunk). */
  timeToFirstChunk?: number;
}

/** Messages and tool schemas in, one assistant message (maybe with tool calls) out. */
export interface ModelProvider {
  /** gen_ai.provider.name: "openai", or "convonet.offline" for the built-in one. */
  readonly name: string;
  readonly model: string;
  /** Where a remote model is served (server.address, server.port); none for an in-process one. */
  readonly server?: { address: string; port: number };
  complete(request: ModelRequest): Promise<ModelReply>;
}
