/** The conversation as the model sees it: the Chat Completions shape, provider-neutral. */
export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, exactly as the model produced it (it may be malformed). */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
