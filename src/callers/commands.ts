import { z } from 'zod';
import { isTimeZone } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { clearPinLockouts } from '../db/pin-lockout.ts';
import { createUser, findUserByPhone, listUsers, removeUser, setUserPin, type User } from '../db/users.ts';

// What `npm run users` can do, validated the same way whether the command line or the running
// app (through its command socket) is the one that runs it.

const required = { error: 'is required' };
// Spaces, dashes, dots and brackets are how people write numbers; Twilio sends plain E.164.
const phone = z
  .string(required)
  .transform((value) => value.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number: + and the country code, such as +14155550123'));
const pin = z.string(required).regex(/^\d{4,8}$/, 'must be 4 to 8 digits');
const name = z.string(required).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const timezone = z.string().refine(isTimeZone, 'must be an IANA time zone, such as Europe/London');
const email = z.email('must be an email address');

export const callerCommand = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('add'), phone, name, pin, timezone: timezone.optional(), email: email.optional() }),
  z.strictObject({ command: z.literal('list') }),
  z.strictObject({ command: z.literal('set-pin'), phone, pin }),
  z.strictObject({ command: z.literal('remove'), phone }),
]);

export type CallerCommand = z.output<typeof callerCommand>;

/** A caller as the command line shows them: never a PIN or its hash. */
export interface CallerSummary {
  phone: string;
  name: string;
  timezone: string;
  active: boolean;
  /** ISO time while too many wrong PINs keep the caller out; set-pin lifts it. */
  pinLockedUntil: string | null;
}

/** A command that cannot be done as asked (unknown number, number taken); its message is the one line to show. */
export class CallerCommandError extends Error {
  override name = 'CallerCommandError';
}

/** The first problem with a command, named after the option to fix: `--phone must be ...`. */
export function describeInvalidCommand(error: z.ZodError): string {
  const [issue] = error.issues;
  if (!issue) return 'invalid command';
  if (issue.code === 'unrecognized_keys') return `this command takes no ${issue.keys.map((key) => `--${key}`).join(', ')}`;
  if (issue.path[0] === 'command') return 'say what to do: add, list, set-pin or remove';
  return `--${issue.path.join('.')} ${issue.message}`;
}

export async function runCallerCommand(db: Db, command: CallerCommand, options: { defaultTimezone: string }): Promise<CallerSummary[]> {
  if (command.command === 'list') return (await listUsers(db)).map(summarize);
  if (command.command === 'add') {
    const taken = await findUserByPhone(db, command.phone);
    if (taken) throw new CallerCommandError(`${command.phone} is already a caller (${taken.name}): change their PIN with set-pin, or remove them first`);
    try {
      const user = await createUser(db, { ...command, timezone: command.timezone ?? options.defaultTimezone });
      return [summarize(user)];
    } catch (error) {
      // Taken between the check and the insert, or the email belongs to someone else.
      if ((error as { code?: string }).code === '23505') throw new CallerCommandError(`${command.phone} or that email already belongs to a caller`);
      throw error;
    }
  }
  const user = await findUserByPhone(db, command.phone);
  if (!user) throw new CallerCommandError(`no caller has the number ${command.phone} (npm run users -- list shows who does)`);
  if (command.command === 'set-pin') {
    await db.transaction(async (trx) => {
      await setUserPin(trx, user.id, command.pin);
      await clearPinLockouts(trx, user.id);
    });
    return [summarize({ ...user, pin_locked_until: null })];
  }
  await removeUser(db, user.id);
  return [summarize(user)];
}

function summarize(user: User & { pin_locked_until?: Date | null }): CallerSummary {
  const locked = user.pin_locked_until && user.pin_locked_until > new Date() ? user.pin_locked_until.toISOString() : null;
  return { phone: user.phone, name: user.name, timezone: user.timezone, active: user.active, pinLockedUntil: locked };
}
