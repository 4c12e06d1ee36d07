import { z } from 'zod';
import { defineTool } from './tool.ts';

/** Only asks for the transfer: the voice layer sees `transfer: true` in the result and dials. */
export const transferToHumanTool = defineTool({
  name: 'transfer_to_human',
  description: 'Connect the caller to a person, when they ask for one or when you cannot help.',
  effect: 'read',
  parameters: z.object({
    reason: z.string().max(500).optional().describe('Why, in a few words, for the person who answers.'),
  }),
  async run(args) {
    return { transfer: true, reason: args.reason?.trim() || 'The caller asked for a person.' };
  },
});
