import type { Executor } from './knex.ts';

/** Stores what a caller said about the assistant; returns the row's id, the handle telemetry carries instead of the words. */
export async function recordFeedback(
  db: Executor,
  feedback: { callSid: string; userId: string; turnId?: string; comment: string },
): Promise<string> {
  const [row] = await db('feedback')
    .insert({
      call_sid: feedback.callSid,
      user_id: feedback.userId,
      turn_id: feedback.turnId ?? null,
      comment: feedback.comment,
    })
    .returning<{ id: string }[]>('id');
  return row!.id;
}
