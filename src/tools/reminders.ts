import { z } from 'zod';
import {
  createReminder,
  deleteReminder,
  findRemindersByMessage,
  getReminder,
  listReminders,
  type Reminder,
} from '../db/reminders.ts';
import { dateTime, idOrName } from './arguments.ts';
import { findTarget } from './targets.ts';
import { defineTool, ToolError } from './tool.ts';

export function reminderView(reminder: Reminder): Record<string, unknown> {
  return { id: reminder.id, message: reminder.message, remind_at: reminder.remind_at.toISOString() };
}

export const createReminderTool = defineTool({
  name: 'create_reminder',
  description: 'Set a reminder for the caller at a future time.',
  effect: 'write',
  parameters: z.object({
    message: z.string().trim().min(1).max(500).describe('What to remind them of, e.g. "call mom".'),
    remind_at: dateTime.describe('When, ISO 8601 with offset.'),
  }),
  async run(args, { db, caller, now }) {
    const remindAt = new Date(args.remind_at);
    if (remindAt.getTime() <= now.getTime()) {
      throw new ToolError('That time has already passed. When should I remind you?');
    }
    const reminder = await createReminder(db, { userId: caller.id, message: args.message, remindAt });
    return { reminder: reminderView(reminder) };
  },
});

export const listRemindersTool = defineTool({
  name: 'list_reminders',
  description: "List the caller's reminders, by default the upcoming ones.",
  effect: 'read',
  parameters: z.object({
    from: dateTime.optional().describe('Start of the range; defaults to now.'),
    to: dateTime.optional().describe('End of the range; open-ended when omitted.'),
  }),
  async run(args, { db, caller, now }) {
    const reminders = await listReminders(db, caller.id, {
      from: args.from ? new Date(args.from) : now,
      to: args.to ? new Date(args.to) : undefined,
    });
    return { count: reminders.length, reminders: reminders.map(reminderView) };
  },
});

export const deleteReminderTool = defineTool({
  name: 'delete_reminder',
  description: 'Delete one of the caller\'s reminders, by id or by (part of) its message.',
  effect: 'write',
  parameters: idOrName({ noun: 'reminder', name: 'message', description: 'Part of the reminder text, when there is no id.' }),
  async run(args, { db, caller }) {
    const reminder = await findTarget(
      { id: args.id, name: args.message },
      {
        noun: 'reminder',
        byId: (reminderId) => getReminder(db, caller.id, reminderId),
        byName: (fragment) => findRemindersByMessage(db, caller.id, fragment),
        name: (r) => r.message,
        leadingWords: /^(?:to|about)\s+/i,
      },
    );
    if (!(await deleteReminder(db, caller.id, reminder.id))) throw new ToolError("I couldn't find that reminder.");
    return { deleted: reminderView(reminder) };
  },
});

export const reminderTools = [createReminderTool, listRemindersTool, deleteReminderTool];
