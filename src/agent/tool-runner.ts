import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Db } from '../db/knex.ts';
import { claimToolExecution, finishToolExecution } from '../db/tool-executions.ts';
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
import type { ToolCall } from './messages.ts';

export type ToolOutcome = 'success' | 'error' | 'timeout' | 'repeated';

export interface ToolRun {
  call: ToolCall;
  result: ToolResult;
  outcome: ToolOutcome;
  /** Why the tool declined, as an `error.type`: unknown_tool, invalid_arguments or ToolError. */
  refusal?: string;
}

export interface ToolRunnerOptions {
  db: Db;
  tools: Tool[];
  timeoutMs: number;
  logger: Logger;
}

const NOT_DONE = { error: 'This did not complete and changed nothing.' };

export class ToolTimeoutError extends Error {
  override name = 'ToolTimeoutError';
}

/**
 * Runs one tool call the model asked for and always comes back with a result for it, whatever
 * happened: unknown tool, arguments that are not JSON or do not fit the schema, a refusal, a
 * broken database or a tool that hangs. A write tool runs at most once per call id and per
 * identical request within a turn, so no retry or repeated model output repeats its effect.
 */
export function createToolRunner({ db, tools, timeoutMs, logger }: ToolRunnerOptions) {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));

  return async function runTool(
    call: ToolCall,
    scope: { caller: Caller; threadId: string; turnId?: string; now: Date; signal: AbortSignal },
  ): Promise<ToolRun> {
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
        const run = await execute(call, scope).catch((error: unknown): ToolRun => {
          // Anything but a ToolError means the backend itself failed: the old BrokenResourceError.
          failSpan(span, error);
          toolErrors.add(1, { [GEN_AI_TOOL_NAME]: call.name, [ERROR_TYPE]: errorType(error) });
          if (error instanceof ToolTimeoutError) {
            return { call, outcome: 'timeout', result: { error: 'That took too long and was stopped.' } };
          }
          recordEvent(logger, 'error', EVENTS.toolBackendUnreachable, {
            [GEN_AI_TOOL_NAME]: call.name,
            [ERROR_TYPE]: errorType(error),
          });
          return {
            call,
            outcome: 'error',
            result: { error: 'The service behind this tool is not answering right now.' },
          };
        });
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

  async function execute(
    call: ToolCall,
    scope: { caller: Caller; threadId: string; turnId?: string; now: Date; signal: AbortSignal },
  ): Promise<ToolRun> {
    const tool = byName.get(call.name);
    if (!tool) return refuse(call, 'unknown_tool', `There is no tool named ${call.name}.`);
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || '{}');
    } catch {
      return refuse(call, 'invalid_arguments', 'The arguments were not valid JSON. Send a JSON object that fits the schema.');
    }
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`);
      return refuse(call, 'invalid_arguments', `The arguments do not fit: ${problems.join('; ')}.`);
    }

    const claim =
      tool.effect === 'write'
        ? await claimToolExecution(db, {
            threadId: scope.threadId,
            turnId: scope.turnId,
            toolCallId: call.id,
            toolName: call.name,
            arguments: parsed.data,
          })
        : undefined;
    if (claim && !claim.claimed) {
      return {
        call,
        outcome: 'repeated',
        result: claim.previousResult ?? { error: 'This was already attempted; its outcome is unknown.' },
      };
    }
    const run = await withinTimeout(scope.signal, (signal) => {
      const work = db.transaction(async (trx) => {
        // The database gives up on a statement when the runner does, so a hang holds no locks.
        await trx.raw(`set local statement_timeout = ${Math.ceil(timeoutMs)}`);
        const outcome = await runGuarded(tool, parsed.data, { db: trx, caller: scope.caller, now: scope.now, signal });
        // Nobody is waiting for this any more: roll it back rather than change data unannounced.
        signal.throwIfAborted();
        if (claim) await finishToolExecution(trx, claim.id, outcome.result);
        return outcome;
      });
      // Rolled back, so it did nothing: the claim says so, and a repeat is told the truth.
      if (claim) work.catch(() => finishToolExecution(db, claim.id, NOT_DONE).catch(() => undefined));
      return work;
    });
    return { call, ...run };
  }

  /** A ToolError is an answer for the model, not a failure of the system. */
  async function runGuarded(
    tool: Tool,
    args: unknown,
    context: Parameters<Tool['run']>[1],
  ): Promise<Omit<ToolRun, 'call'>> {
    try {
      return { result: await tool.run(args, context), outcome: 'success' };
    } catch (error) {
      if (error instanceof ToolError) return { result: { error: error.message }, outcome: 'error', refusal: error.name };
      throw error;
    }
  }

  function withinTimeout<T>(parent: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.any([parent, AbortSignal.timeout(timeoutMs)]);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new ToolTimeoutError(`tool did not finish within ${timeoutMs} ms`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work(signal).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}


function refuse(call: ToolCall, refusal: string, message: string): ToolRun {
  return { call, outcome: 'error', refusal, result: { error: message } };
}
