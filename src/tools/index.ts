import { z } from 'zod';
import type { ToolSpec } from '../agent/provider.ts';
import { calendarTools } from './calendar.ts';
import { recordFeedbackTool } from './feedback.ts';
import { reminderTools } from './reminders.ts';
import { teamTools } from './teams.ts';
import type { Tool } from './tool.ts';
import { todoTools } from './todos.ts';
import { transferToHumanTool } from './transfer.ts';

export const tools: Tool[] = [
  ...todoTools,
  ...reminderTools,
  ...calendarTools,
  ...teamTools,
  transferToHumanTool,
  recordFeedbackTool,
];

const specsCache = new WeakMap<readonly Tool[], ToolSpec[]>();

/** The tools as JSON Schema, built once per list: they go out with every model request. */
export function toolSpecs(list: readonly Tool[] = tools): ToolSpec[] {
  let specs = specsCache.get(list);
  if (!specs) {
    specs = list.map((tool) => {
      // The input side is what the model writes; $schema is noise in a function definition.
      const { $schema: _dialect, ...parameters } = z.toJSONSchema(tool.parameters, { io: 'input' });
      return { name: tool.name, description: tool.description, parameters };
    });
    specsCache.set(list, specs);
  }
  return specs;
}
