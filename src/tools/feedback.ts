import { z } from 'zod';
import { defineTool } from './tool.ts';

/**
 * The tool cannot know the call or the turn, so it only hands the comment back; the voice layer
 * stores it with both. "write" so that a retried turn does not record it twice.
 */
export const recordFeedbackTool = defineTool({
  name: 'record_feedback',
  description: 'Record feedback from the caller about this assistant, e.g. "that was wrong" or "feedback: ...".',
  effect: 'write',
  parameters: z.object({ comment: z.string().trim().min(1).max(2000).describe('The feedback, in the caller\'s words.') }),
  async run(args) {
    return { feedback: args.comment };
  },
});
