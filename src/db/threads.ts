import type { ChatMessage, ToolCall } from '../agent/messages.ts';
import type { Db, Executor } from './knex.ts';

export interface ThreadRow {
  id: string;
  user_id: string;
  status: 'active' | 'reset';
  reset_reason: string | null;
  reset_requested: string | null;
  created_at: Date;
  reset_at: Date | null;
}

interface MessageRow {
  id: string;
  thread_id: string;
  role: 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls: ToolCall[] | null;
  tool_call_id: string | null;
}

/**
 * The caller's active thread and its newest `limit` messages, oldest first, in one round trip;
 * the thread is created if there is none (two instances racing get the same one).
 */
export async function openThread(db: Executor, userId: string, limit: number): Promise<{ thread: ThreadRow; messages: ChatMessage[] }> {
  const found = await activeThreadWithMessages(db, userId, limit);
  if (found) return found;
  await db.raw(`insert into threads (user_id) values (?) on conflict (user_id) where status = 'active' do nothing`, [
    userId,
  ]);
  return (await activeThreadWithMessages(db, userId, limit))!;
}

async function activeThreadWithMessages(db: Executor, userId: string, limit: number): Promise<{ thread: ThreadRow; messages: ChatMessage[] } | null> {
  // One row per message (the thread's columns on each), or one row with no message.
  const rows = await db('threads')
    .joinRaw(
      `left join lateral (select id as message_id, role, content, tool_calls, tool_call_id from messages
        where thread_id = threads.id order by id desc limit ?) as newest on true`,
      [limit],
    )
    .where({ 'threads.user_id': userId, 'threads.status': 'active' })
    .select<(ThreadRow & Partial<Omit<MessageRow, 'id' | 'thread_id'>> & { message_id: string | null })[]>('threads.*', 'newest.*');
  const [first] = rows;
  if (!first) return null;
  const { message_id: _id, role: _role, content: _content, tool_calls: _calls, tool_call_id: _callId, ...thread } = first;
  const messages = rows
    .filter((row) => row.message_id !== null)
    .reverse()
    .map((row) => toChatMessage({ id: row.message_id!, thread_id: thread.id, role: row.role!, content: row.content ?? null, tool_calls: row.tool_calls ?? null, tool_call_id: row.tool_call_id ?? null }));
  return { thread, messages };
}

/** Closes a thread for good; it stays in the database for inspection. */
export async function resetThread(db: Executor, threadId: string, reason: string): Promise<void> {
  await db('threads')
    .where({ id: threadId, status: 'active' })
    .update({ status: 'reset', reset_reason: reason, reset_at: db.fn.now() });
}

/** Marks the caller's active thread to be reset when they next speak. */
export async function requestCallerThreadReset(db: Executor, userId: string, reason: string): Promise<void> {
  await db('threads').where({ user_id: userId, status: 'active' }).whereNull('reset_requested').update({
    reset_requested: reason,
  });
}

/** The newest `limit` messages of a thread, oldest first. */
export async function loadMessages(db: Executor, threadId: string, limit: number): Promise<ChatMessage[]> {
  const rows = await db<MessageRow>('messages')
    .where({ thread_id: threadId })
    .orderBy('id', 'desc')
    .limit(limit);
  return rows.reverse().map(toChatMessage);
}

export async function appendMessages(db: Executor, threadId: string, messages: ChatMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db('messages').insert(messages.map((message) => toRow(threadId, message)));
}

function toChatMessage(row: MessageRow): ChatMessage {
  switch (row.role) {
    case 'user':
      return { role: 'user', content: row.content ?? '' };
    case 'assistant':
      return row.tool_calls?.length
        ? { role: 'assistant', content: row.content, toolCalls: row.tool_calls }
        : { role: 'assistant', content: row.content };
    case 'tool':
      return { role: 'tool', toolCallId: row.tool_call_id!, content: row.content ?? '' };
  }
}

function toRow(threadId: string, message: ChatMessage) {
  switch (message.role) {
    case 'system':
      throw new Error('system prompts are built per request, never stored');
    case 'user':
      return { thread_id: threadId, role: 'user', content: message.content };
    case 'assistant':
      return {
        thread_id: threadId,
        role: 'assistant',
        content: message.content,
        tool_calls: message.toolCalls?.length ? JSON.stringify(message.toolCalls) : null,
      };
    case 'tool':
      return { thread_id: threadId, role: 'tool', content: message.content, tool_call_id: message.toolCallId };
  }
}

/**
 * Cuts the thread's last message, an answer stored whole, down to what the caller heard of it
 * (`cut` gives that from the stored text) before cutting in; with nothing heard, it goes. Only
 * while it is still the last message: an answer already followed by more is left as it is.
 */
export async function cutLastAnswer(db: Db, threadId: string, cut: (stored: string) => string): Promise<void> {
  await db.transaction(async (trx) => {
    const last = await trx<MessageRow>('messages').where({ thread_id: threadId }).orderBy('id', 'desc').forUpdate().first();
    if (!last || last.role !== 'assistant' || last.tool_calls?.length || !last.content) return;
    const heard = cut(last.content);
    if (heard === last.content) return;
    const message = trx('messages').where({ id: last.id });
    await (heard ? message.update({ content: heard }) : message.delete());
  });
}
