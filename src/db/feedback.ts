import type { Executor } from './knex.ts';

export async function recordFeedback(
  db: Executor,
  feedback: { callSid: string; userId: string; turnId?: string; comment: string },
): Promise<void> {
  await db('feedback').insert({
    call_sid: feedback.callSid,
    user_id: feedback.userId,
    turn_id: feedback.turnId ?? null,
    comment: feedback.comment,
  });
}
