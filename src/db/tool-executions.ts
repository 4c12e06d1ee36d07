import type { ToolResult } from '../tools/tool.ts';
import type { Executor } from './knex.ts';

export type Claim = { claimed: true; id: string } | { claimed: false; previousResult: ToolResult | null };

/**
 * Records that a write tool is about to run, committed before it runs. A second claim for the
 * same call id, or for the same tool and arguments in the same turn (a model repeating itself),
 * gets the first one's result instead of running the tool again.
 */
export async function claimToolExecution(
  db: Executor,
  execution: { threadId: string; turnId?: string; toolCallId: string; toolName: string; arguments: unknown },
): Promise<Claim> {
  const args = JSON.stringify(execution.arguments);
  if (execution.turnId) {
    const same = await db('tool_executions')
      .where({ turn_id: execution.turnId, tool_name: execution.toolName })
      .whereRaw('arguments = ?::jsonb', [args])
      .first<{ result: ToolResult | null } | undefined>('result');
    if (same) return { claimed: false, previousResult: same.result };
  }
  const [row] = await db('tool_executions')
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
  const previous = await db('tool_executions')
    .where({ thread_id: execution.threadId, tool_call_id: execution.toolCallId })
    .first<{ result: ToolResult | null }>('result');
  return { claimed: false, previousResult: previous?.result ?? null };
}

/** Settles a claim once: the first outcome stored is the one a repeat hears. */
export async function finishToolExecution(db: Executor, id: string, result: ToolResult): Promise<void> {
  await db('tool_executions')
    .where({ id, status: 'started' })
    .update({ status: 'error' in result ? 'failed' : 'succeeded', result: JSON.stringify(result), finished_at: db.fn.now() });
}
