import { z } from 'zod';
import {
  createReminder,
  deleteReminder,
  findRemindersByMessage,
  getReminder,
  listReminders,
  type Reminder,
} from '../db/reminders.ts';
import { chooseOne, dateTime, id, withoutFiller } from './arguments.ts';
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
  parameters: z
    .object({
      id: id.optional(),
      message: z.string().min(1).optional().describe('Part of the reminder text, when there is no id.'),
    })
    .refine((args) => args.id !== undefined || args.message !== undefined, 'Give the reminder id or its message.'),
  async run(args, { db, caller }) {
    let reminder: Reminder | null;
    if (args.id !== undefined) {
      reminder = await getReminder(db, caller.id, args.id);
      if (!reminder) throw new ToolError("I couldn't find that reminder.");
    } else {
      const fragment = args.message ?? '';
      let rows = await findRemindersByMessage(db, caller.id, fragment);
      const shorter = withoutFiller(fragment.replace(/^(?:to|about)\s+/i, ''));
      if (rows.length === 0 && shorter && shorter !== fragment) rows = await findRemindersByMessage(db, caller.id, shorter);
      reminder = chooseOne(rows, fragment, { noun: 'reminder', name: (r) => r.message });
    }
    if (!(await deleteReminder(db, caller.id, reminder.id))) throw new ToolError("I couldn't find that reminder.");
    return { deleted: reminderView(reminder) };
  },
});

export const reminderTools = [createReminderTool, listRemindersTool, deleteReminderTool];
