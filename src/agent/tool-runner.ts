import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { DeadlineExceededError, earliest, deadlineAt, type Deadline } from '../deadline.ts';
import { boundedTransaction } from '../db/deadline.ts';
import type { Db } from '../db/knex.ts';
import { appendMessages } from '../db/threads.ts';
import { claimToolExecution, finishToolExecution } from '../db/tool-executions.ts';
import { assertTurnRunning, TurnGivenUpError } from '../db/turns.ts';
import {
  ERROR_TYPE,
  EVENTS,
  GEN_AI_CONVERSATION_ID,
  GEN_AI_OPERATION,
  GEN_AI_OPERATION_NAME,
  GEN_AI_TOOL_CALL_ID,
  GEN_AI_TOOL_NAME,
  GEN_AI_TOOL_TYPE,
  TOOL_OUTCOME,
} from '../signals/attributes.ts';
import { recordEvent } from '../signals/events.ts';
import { toolDuration, toolErrors } from '../signals/metrics.ts';
import { errorType, failSpan, inSpan } from '../signals/spans.ts';
import { ToolError, type Caller, type Tool, type ToolResult } from '../tools/tool.ts';
import { CallerInterrupted } from './interrupted.ts';
import type { ToolCall } from './messages.ts';

export type ToolOutcome = 'success' | 'error' | 'timeout' | 'interrupted' | 'repeated';

export interface ToolRun {
  call: ToolCall;
  result: ToolResult;
  outcome: ToolOutcome;
  /** Why the tool declined, as an `error.type`: unknown_tool, invalid_arguments or ToolError. */
  refusal?: string;
  /** Set when the turn was given up on or its work stopped meanwhile: the agent must stop too. */
  stoppedBy?: unknown;
}

export interface ToolScope {
  caller: Caller;
  threadId: string;
  /** The stored turn, if any: the effect commits only while the turn is still wanted. */
  turnId?: string;
  now: Date;
  signal: AbortSignal;
  /** When the whole turn's work must end; a tool gets the lesser of this and its own timeout. */
  deadline?: Deadline;
}

export interface ToolRunnerOptions {
  db: Db;
  tools: Tool[];
  timeoutMs: number;
  logger: Logger;
}

// What the model is told when the tool's transaction rolled back: true, because it did.
const TIMED_OUT = { error: 'That took too long and was stopped; nothing was changed.' };
const INTERRUPTED = { error: 'The caller interrupted before this finished, so it was stopped; nothing was changed.' };
const UNAVAILABLE = { error: 'The service behind this tool is not answering right now; nothing was changed.' };

export class ToolTimeoutError extends Error {
  override name = 'ToolTimeoutError';
}

/**
 * Runs one tool call the model asked for and always comes back with a result for it, whatever
 * happened: unknown tool, arguments that are not JSON or do not fit the schema, a refusal, a
 * broken database or a tool that hangs. The tool's effect, its claim (so a write runs at most
 * once per call id and per identical request within a turn) and its result in the thread's
 * history commit in one transaction, and only while the turn is still wanted: what the model is
 * told, what history says and what the data shows cannot disagree, after a crash at any point.
 */
export function createToolRunner({ db, tools, timeoutMs, logger }: ToolRunnerOptions) {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));

  return async function runTool(call: ToolCall, scope: ToolScope): Promise<ToolRun> {
    return inSpan(
      `${GEN_AI_OPERATION.executeTool} ${call.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.executeTool,
          [GEN_AI_TOOL_NAME]: call.name,
          [GEN_AI_TOOL_CALL_ID]: call.id,
          [GEN_AI_TOOL_TYPE]: 'function',
          [GEN_AI_CONVERSATION_ID]: scope.threadId,
        },
      },
      async (span) => {
        const started = performance.now();
        let run: ToolRun;
        try {
          run = await execute(call, scope);
        } catch (error) {
          // Stopped (not failed) when the caller was told the turn failed, or the instance stops.
          const stopped = error instanceof TurnGivenUpError || scope.signal.aborted;
          if (!stopped) {
            failSpan(span, error);
            toolErrors.add(1, { [GEN_AI_TOOL_NAME]: call.name, [ERROR_TYPE]: errorType(error) });
          }
          const cutIn = scope.signal.reason instanceof CallerInterrupted;
          run = stopped
            ? { call, outcome: cutIn ? 'interrupted' : 'timeout', result: cutIn ? INTERRUPTED : TIMED_OUT, stoppedBy: error }
            : rolledBack(call, error);
          // Rolled back, so the history gets a result saying so. If even that cannot be written,
          // the call stays unanswered there and is repaired on load: either way, "nothing changed".
          await appendMessages(db, scope.threadId, [toolMessage(run)]).catch(() => undefined);
        }
        span.setAttribute(TOOL_OUTCOME, run.outcome);
        // Refusals (bad arguments, "not found") are answers, not failures: counted, but no ERROR status.
        if (run.refusal) {
          span.setAttribute(ERROR_TYPE, run.refusal);
          toolErrors.add(1, { [GEN_AI_TOOL_NAME]: call.name, [ERROR_TYPE]: run.refusal });
        }
        toolDuration.record((performance.now() - started) / 1000, {
          [GEN_AI_TOOL_NAME]: call.name,
          [TOOL_OUTCOME]: run.outcome,
        });
        return run;
      },
    );
  };

  /** The tool's run, committed with its claim and its history entry; throws when it rolled back. */
  async function execute(call: ToolCall, scope: ToolScope): Promise<ToolRun> {
    const tool = byName.get(call.name);
    const args = tool ? readArguments(tool, call) : { refusal: refuse(call, 'unknown_tool', `There is no tool named ${call.name}.`) };
    if ('refusal' in args) {
      await appendMessages(db, scope.threadId, [toolMessage(args.refusal)]);
      return args.refusal;
    }
    const own = deadlineAt(Date.now() + timeoutMs);
    const deadline = scope.deadline ? earliest(scope.deadline, own) : own;
    const signal = AbortSignal.any([scope.signal, deadline.signal]);
    // The database gives up on a statement or a lock when the runner would, so a hang holds nothing long.
    return boundedTransaction(db, deadline, async (trx) => {
      const claim =
        tool!.effect === 'write'
          ? await claimToolExecution(trx, {
              threadId: scope.threadId,
              turnId: scope.turnId,
              toolCallId: call.id,
              toolName: call.name,
              arguments: args.value,
            })
          : undefined;
      let run: ToolRun;
      if (claim && !claim.claimed) {
        run = { call, outcome: 'repeated', result: claim.previousResult ?? { error: 'This was already attempted; its outcome is unknown.' } };
      } else {
        run = { call, ...(await runGuarded(tool!, args.value, { db: trx, caller: scope.caller, now: scope.now, signal })) };
      }
      // Commit only what someone still waits for: not past the deadline, not after the caller was
      // told the turn failed (held until commit, so whoever gives up counts this effect).
      if (signal.aborted) throw scope.signal.aborted ? scope.signal.reason : new ToolTimeoutError(`tool did not finish within ${timeoutMs} ms`);
      if (scope.turnId) await assertTurnRunning(trx, scope.turnId, { hold: true });
      if (claim?.claimed) await finishToolExecution(trx, claim.id, run.result);
      await appendMessages(trx, scope.threadId, [toolMessage(run)]);
      return run;
    });
  }

  /** A ToolError is an answer for the model, not a failure of the system. */
  async function runGuarded(tool: Tool, args: unknown, context: Parameters<Tool['run']>[1]): Promise<Omit<ToolRun, 'call'>> {
    try {
      return { result: await tool.run(args, context), outcome: 'success' };
    } catch (error) {
      if (error instanceof ToolError) return { result: { error: error.message }, outcome: 'error', refusal: error.name };
      throw error;
    }
  }

  /** What the model hears about a tool whose transaction rolled back. */
  function rolledBack(call: ToolCall, error: unknown): ToolRun {
    if (isTimeout(error)) return { call, outcome: 'timeout', result: TIMED_OUT };
    // Anything else means the backend itself failed: the old BrokenResourceError.
    recordEvent(logger, 'error', EVENTS.toolBackendUnreachable, { [GEN_AI_TOOL_NAME]: call.name, [ERROR_TYPE]: errorType(error) });
    return { call, outcome: 'error', result: UNAVAILABLE };
  }
}

function readArguments(tool: Tool, call: ToolCall): { value: unknown } | { refusal: ToolRun } {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments || '{}');
  } catch {
    return { refusal: refuse(call, 'invalid_arguments', 'The arguments were not valid JSON. Send a JSON object that fits the schema.') };
  }
  const parsed = tool.parameters.safeParse(args);
  if (parsed.success) return { value: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`);
  return { refusal: refuse(call, 'invalid_arguments', `The arguments do not fit: ${problems.join('; ')}.`) };
}

// PostgreSQL's query_canceled (statement_timeout) and lock_not_available (lock_timeout).
const TIMEOUT_CODES = new Set(['57014', '55P03']);

function isTimeout(error: unknown): boolean {
  if (error instanceof ToolTimeoutError || error instanceof DeadlineExceededError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code);
}

function toolMessage(run: ToolRun) {
  return { role: 'tool' as const, toolCallId: run.call.id, content: JSON.stringify(run.result) };
}

function refuse(call: ToolCall, refusal: string, message: string): ToolRun {
  return { call, outcome: 'error', refusal, result: { error: message } };
}
