import type { ToolResult } from '../tools/tool.ts';
import type { Executor } from './knex.ts';

export type Claim = { claimed: true; id: string } | { claimed: false; previousResult: ToolResult | null };

/**
 * Claims a write tool's execution, in the transaction that runs the tool and commits its effect:
 * the claim, the effect and its result commit together or not at all, so no claim is ever left
 * "started". A second claim for the same call id waits for the first transaction and, if that
 * committed, gets its result instead of running the tool again; so does the same tool with the
 * same arguments in the same turn (a model repeating itself).
 */
export async function claimToolExecution(
  trx: Executor,
  execution: { threadId: string; turnId?: string; toolCallId: string; toolName: string; arguments: unknown },
): Promise<Claim> {
  const args = JSON.stringify(execution.arguments);
  if (execution.turnId) {
    const same = await trx('tool_executions')
      .where({ turn_id: execution.turnId, tool_name: execution.toolName })
      .whereRaw('arguments = ?::jsonb', [args])
      .first<{ result: ToolResult | null } | undefined>('result');
    if (same) return { claimed: false, previousResult: same.result };
  }
  const [row] = await trx('tool_executions')
    .insert({
      thread_id: execution.threadId,
      turn_id: execution.turnId ?? null,
      tool_call_id: execution.toolCallId,
      tool_name: execution.toolName,
      arguments: args,
      status: 'started',
    })
    .onConflict(['thread_id', 'tool_call_id'])
    .ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { claimed: true, id: String(row.id) };
  const previous = await trx('tool_executions')
    .where({ thread_id: execution.threadId, tool_call_id: execution.toolCallId })
    .first<{ result: ToolResult | null }>('result');
  return { claimed: false, previousResult: previous?.result ?? null };
}

/** Records the claim's outcome, in the same transaction as the claim and the effect. */
export async function finishToolExecution(trx: Executor, id: string, result: ToolResult): Promise<void> {
  await trx('tool_executions')
    .where({ id, status: 'started' })
    .update({ status: 'error' in result ? 'failed' : 'succeeded', result: JSON.stringify(result), finished_at: trx.fn.now() });
}
