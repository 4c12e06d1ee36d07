import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Deadline } from '../deadline.ts';
import type { Db, Executor } from '../db/knex.ts';
import {
  appendMessages,
  openThread,
  resetThread,
  type ThreadRow,
} from '../db/threads.ts';
import { assertTurnRunning, TurnGivenUpError } from '../db/turns.ts';
import {
  EVENTS,
  GEN_AI_AGENT_NAME,
  GEN_AI_CONVERSATION_ID,
  GEN_AI_OPERATION,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  REPAIRED_TOOL_CALLS,
  THREAD_RESET_REASON,
  TURN_END_REASON,
} from '../signals/attributes.ts';
import { recordEvent } from '../signals/events.ts';
import { threadResets } from '../signals/metrics.ts';
import { inSpan, Stopped } from '../signals/spans.ts';
import { toolSpecs } from '../tools/index.ts';
import type { Caller, Tool } from '../tools/tool.ts';
import { chat } from './chat.ts';
import { boundHistory, repairHistory } from './history.ts';
import type { ChatMessage } from './messages.ts';
import type { ModelProvider } from './provider.ts';
import { systemPrompt } from './system-prompt.ts';
import { CallerInterrupted, heardPart } from './interrupted.ts';
import { speakableChunks } from './speakable.ts';
import { createToolRunner } from './tool-runner.ts';

export const AGENT_NAME = 'convonet';

// The result of a tool call that never started because the turn stopped at an earlier one.
const NOT_STARTED = JSON.stringify({ error: 'Not started: the turn stopped before this call; nothing was changed.' });

export interface AgentInput {
  caller: Caller;
  utterance: string;
  /**
   * The stored turn this answer belongs to. Giving up on it is a fact in the database that the
   * agent honours wherever it runs: it checks before every model round, and every effect and the
   * answer commit only while the turn is still running. Absent only where nobody waits on a
   * turn (an evaluation run).
   */
  turn?: AgentTurn;
  /** When the caller was promised an answer (epoch ms); finishing later ends as "redirected". */
  answerBy?: number;
  /** When the work must end whatever happens; tools get no time past it. */
  deadline?: Deadline;
  /**
   * Stops the work: the caller gave up or the instance stops, or, with a CallerInterrupted
   * reason, the caller cut in on the answer, which then ends with what they heard of it.
   */
  signal: AbortSignal;
  /**
   * Given the answer's words as soon as they can be spoken, chunk by chunk (sentences, long
   * clauses), while the rest is still being generated. Joined, the chunks are `say`.
   */
  onText?: (chunk: string) => void;
}

export interface AgentTurn {
  id: string;
  /**
   * Stores the answer on the turn, in the transaction that writes the answer into the thread's
   * history; resolves false when the turn was settled first (given up on), which rolls both back.
   */
  settle(trx: Executor, answer: AgentAnswer): Promise<boolean>;
}

export interface AgentAnswer {
  /** Everything said for the turn (words before tool calls included), in the order it was said. */
  say: string;
  /** "transfer" when the caller asked for a person. */
  action: 'listen' | 'transfer';
  threadId: string;
  /** What the caller said about the assistant itself, for the voice layer to file. */
  feedback: string[];
  /** "redirected" when the answer came after `answerBy`; "interrupted" when the caller cut in on it. */
  endReason: 'completed' | 'redirected' | 'interrupted';
}

/** Why a turn failed: given up on or stopped by its signal (the caller gave up, the instance stops), or on its own. */
export function failureReason(error: unknown, signal: AbortSignal): 'timed_out' | 'error' {
  if (error instanceof Stopped) return 'timed_out';
  // The SDKs' abort errors go by several names (AbortError, APIUserAbortError...).
  const aborted = error === signal.reason || (error instanceof Error && /abort/i.test(`${error.name} ${error.constructor.name}`));
  return signal.aborted && aborted ? 'timed_out' : 'error';
}

export interface Agent {
  answer(input: AgentInput): Promise<AgentAnswer>;
}

export interface AgentOptions {
  db: Db;
  provider: ModelProvider;
  tools: Tool[];
  logger: Logger;
  toolTimeoutMs: number;
  maxToolRounds: number;
  historyMessages: number;
  now?: () => Date;
}

/**
 * The turn loop: load the caller's thread, ask the model, run the tools it calls, feed the
 * results back, until it answers in words or runs out of rounds. Knows nothing of Twilio, HTTP
 * or WebSockets: a caller, an utterance in, what to say out, whole (`say`) and as it comes
 * (`onText`), for the Gather webhooks and the ConversationRelay session alike.
 */
export function createAgent(options: AgentOptions): Agent {
  const { db, provider, tools, logger, maxToolRounds, historyMessages } = options;
  const now = options.now ?? (() => new Date());
  const specs = toolSpecs(tools);
  const runTool = createToolRunner({ db, tools, timeoutMs: options.toolTimeoutMs, logger });

  async function answer(input: AgentInput): Promise<AgentAnswer> {
    const { caller, signal } = input;
    const { thread, stored } = await currentThread(caller);
    return inSpan(
      `${GEN_AI_OPERATION.invokeAgent} ${AGENT_NAME}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.invokeAgent,
          [GEN_AI_AGENT_NAME]: AGENT_NAME,
          [GEN_AI_PROVIDER_NAME]: provider.name,
          [GEN_AI_REQUEST_MODEL]: provider.model,
          [GEN_AI_CONVERSATION_ID]: thread.id,
        },
      },
      async (span) => {
        try {
          const answer = await converse(thread, history(thread.id, stored), input);
          span.setAttribute(TURN_END_REASON, answer.endReason);
          return answer;
        } catch (error) {
          span.setAttribute(TURN_END_REASON, failureReason(error, signal));
          throw error;
        }
      },
    );
  }

  async function converse(thread: ThreadRow, history: ChatMessage[], input: AgentInput): Promise<AgentAnswer> {
    const { caller, utterance, turn, answerBy, signal, deadline } = input;
    const userMessage: ChatMessage = { role: 'user', content: utterance };
    await appendMessages(db, thread.id, [userMessage]);
    const conversation: ChatMessage[] = [...history, userMessage];
    const feedback: string[] = [];
    let action: AgentAnswer['action'] = 'listen';
    const clock = now();
    const system: ChatMessage = { role: 'system', content: systemPrompt(caller, clock) };
    const speech = speakableChunks((chunk) => input.onText?.(chunk));
    // How much of what was said the thread's history already holds (words before tool calls).
    let stored = 0;

    /** The last words of the turn: into history and onto the turn together, or neither if it was given up on. */
    async function finish(said: string, endReason?: 'interrupted'): Promise<AgentAnswer> {
      const late = answerBy !== undefined && Date.now() > answerBy;
      const answer: AgentAnswer = {
        say: speech.said.trim(),
        action,
        threadId: thread.id,
        feedback,
        endReason: endReason ?? (late ? 'redirected' : 'completed'),
      };
      await db.transaction(async (trx) => {
        if (said) await appendMessages(trx, thread.id, [{ role: 'assistant', content: said }]);
        if (turn && !(await turn.settle(trx, answer))) throw new TurnGivenUpError('the turn was given up on before its answer');
      });
      return answer;
    }

    /** Only what the caller heard stays: the words not yet in history, cut where they cut in. */
    function interrupted(reason: CallerInterrupted): Promise<AgentAnswer> {
      // Words still waiting for a clause to end were never sent, so never heard.
      const heard = heardPart(speech.said, reason.heard);
      return finish(heard.length > stored ? heard.slice(stored).trim() : '', 'interrupted');
    }

    try {
      for (let round = 0; round < maxToolRounds; round++) {
        // The caller may have been told it failed, here or on another instance: no more rounds, no more writes.
        signal.throwIfAborted();
        if (turn) await assertTurnRunning(db, turn.id);
        const reply = await chat(provider, {
          messages: [system, ...conversation],
          tools: specs,
          now: clock,
          timezone: caller.timezone,
          signal,
          onText: speech.push,
        }, thread.id);
        const calls = reply.message.toolCalls ?? [];
        if (calls.length === 0) {
          const said = reply.message.content?.trim() || 'Done.';
          if (!reply.message.content?.trim()) speech.push(said);
          speech.flush();
          return await finish(said);
        }
        // Words before a tool call are said now, not after the tool.
        speech.flush();
        // The request first; each result then lands with its tool's effect, in the tool's own
        // transaction. A crash in between leaves a call without a result, which did nothing and
        // is read back as unfinished.
        await appendMessages(db, thread.id, [reply.message]);
        stored = speech.said.length;
        const results: ChatMessage[] = [];
        for (const [index, call] of calls.entries()) {
          const run = await runTool(call, { caller, threadId: thread.id, turnId: turn?.id, now: clock, signal, deadline });
          if (run.stoppedBy) {
            // The calls after it never started: said so, so that no call is left without its result.
            await appendMessages(db, thread.id, calls.slice(index + 1).map((skipped) => ({ role: 'tool', toolCallId: skipped.id, content: NOT_STARTED })));
            throw run.stoppedBy;
          }
          if (run.result.transfer === true) action = 'transfer';
          if (typeof run.result.feedback === 'string') feedback.push(run.result.feedback);
          results.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify(run.result) });
        }
        conversation.push(reply.message, ...results);
      }
      const giveUp = 'Sorry, I could not finish that. Could you ask in a simpler way?';
      speech.push(giveUp);
      speech.flush();
      return await finish(giveUp);
    } catch (error) {
      if (signal.aborted && signal.reason instanceof CallerInterrupted) return interrupted(signal.reason);
      throw error;
    }
  }

  /** The caller's thread, reset first if its last turn timed out or failed, with its newest messages. */
  async function currentThread(caller: Caller): Promise<{ thread: ThreadRow; stored: ChatMessage[] }> {
    const { thread, messages } = await openThread(db, caller.id, historyMessages);
    if (!thread.reset_requested) return { thread, stored: messages };
    await resetThread(db, thread.id, thread.reset_requested);
    threadResets.add(1, { [THREAD_RESET_REASON]: thread.reset_requested });
    recordEvent(logger, 'info', EVENTS.threadReset, {
      [THREAD_RESET_REASON]: thread.reset_requested,
      [GEN_AI_CONVERSATION_ID]: thread.id,
    });
    const fresh = await openThread(db, caller.id, historyMessages);
    return { thread: fresh.thread, stored: fresh.messages };
  }

  /** The history the model is given: repaired in memory, every time, so the stored one stays as written, for inspection. */
  function history(threadId: string, stored: ChatMessage[]): ChatMessage[] {
    const { messages, repairedToolCallIds } = repairHistory(stored);
    if (repairedToolCallIds.length > 0) {
      recordEvent(logger, 'warn', EVENTS.historyRepaired, {
        [GEN_AI_CONVERSATION_ID]: threadId,
        [REPAIRED_TOOL_CALLS]: repairedToolCallIds.length,
      });
    }
    return boundHistory(messages, historyMessages);
  }

  return { answer };
}
