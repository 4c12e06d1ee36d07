import type { ChatMessage } from './messages.ts';

export interface RepairedHistory {
  messages: ChatMessage[];
  /** Tool call ids that had no result and were given one. */
  repairedToolCallIds: string[];
}

export const MISSING_RESULT = JSON.stringify({
  error: 'This tool call never finished; its outcome is unknown. Do not assume it happened.',
});

/**
 * Makes a stored history valid for a Chat Completions request: every assistant tool call is
 * answered by a tool message right after it (a missing one is filled in), and tool messages
 * whose call is not in view are dropped. Without this, one interrupted turn breaks every later
 * request with "tool_calls must be followed by tool messages responding to each tool_call_id".
 */
export function repairHistory(history: ChatMessage[]): RepairedHistory {
  const messages: ChatMessage[] = [];
  const repairedToolCallIds: string[] = [];
  for (let i = 0; i < history.length; i++) {
    const message = history[i]!;
    if (message.role === 'tool') continue; // only kept when it follows its call, below
    messages.push(message);
    if (message.role !== 'assistant' || !message.toolCalls?.length) continue;
    const results = new Map<string, ChatMessage>();
    while (history[i + 1]?.role === 'tool') {
      const result = history[++i] as Extract<ChatMessage, { role: 'tool' }>;
      results.set(result.toolCallId, result);
    }
    for (const call of message.toolCalls) {
      const result = results.get(call.id);
      if (result) {
        messages.push(result);
      } else {
        messages.push({ role: 'tool', toolCallId: call.id, content: MISSING_RESULT });
        repairedToolCallIds.push(call.id);
      }
    }
  }
  return { messages, repairedToolCallIds };
}

/**
 * The newest part of a history that fits in `limit` messages and starts at a user message, so
 * a window never opens on a tool result whose call was cut off.
 */
export function boundHistory(history: ChatMessage[], limit: number): ChatMessage[] {
  if (history.length <= limit) return history;
  const tail = history.slice(history.length - limit);
  const start = tail.findIndex((message) => message.role === 'user');
  return start === -1 ? [] : tail.slice(start);
}
