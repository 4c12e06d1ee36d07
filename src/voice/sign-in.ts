import type { Logger } from 'pino';
import { bindCaller, countPinFailure, type CallRow } from '../db/calls.ts';
import type { Db } from '../db/knex.ts';
import { hashPin, verifyPin } from '../db/pin-hash.ts';
import { clearPinFailures, countAccountPinFailure, isPinLocked } from '../db/pin-lockout.ts';
import { findUserById, findUserByPhone } from '../db/users.ts';
import { EVENTS, PIN_ATTEMPT, PIN_HEARD, TWILIO_CALL_SID } from '../signals/attributes.ts';
import { recordEvent } from '../signals/events.ts';
import { pinFailures } from '../signals/metrics.ts';
import { readPin } from './pin.ts';

export const MAX_PIN_ATTEMPTS = 3;

export type SignIn =
  | { outcome: 'accepted'; name: string }
  | { outcome: 'rejected'; attemptsLeft: number }
  | { outcome: 'locked' };

// Compared against when the number is unknown, so a wrong number costs the same time as a wrong PIN.
const decoyHash = hashPin('decoy-0000');

/**
 * Checks the PIN a caller gave against the account of the number they call from. Any failure,
 * whether an unknown number, an inactive or locked account or a wrong PIN, looks the same to
 * the caller; the third in a call ends it, and enough in a row over any calls lock the account.
 */
export async function signIn(
  { db, logger }: { db: Db; logger: Logger },
  call: CallRow,
  heard: { digits?: string; speech?: string },
): Promise<SignIn> {
  if (call.user_id) {
    // Already signed in: a retried PIN webhook gets the same answer and changes nothing.
    const user = await findUserById(db, call.user_id);
    return { outcome: 'accepted', name: user?.name ?? 'there' };
  }
  if (call.pin_attempts >= MAX_PIN_ATTEMPTS) return { outcome: 'locked' };

  const pin = readPin(heard);
  const user = call.from_number ? await findUserByPhone(db, call.from_number) : null;
  const locked = user ? await isPinLocked(db, user.id) : false;
  const matches = await verifyPin(pin ?? '', user?.pin_hash ?? (await decoyHash));
  if (pin && user?.active && !locked && matches) {
    await clearPinFailures(db, user.id);
    await bindCaller(db, call.call_sid, user.id);
    return { outcome: 'accepted', name: user.name };
  }

  if (user && !locked) await countAccountPinFailure(db, user.id);
  const attempts = await countPinFailure(db, call.call_sid);
  pinFailures.add(1);
  recordEvent(logger, 'warn', EVENTS.pinRejected, {
    [TWILIO_CALL_SID]: call.call_sid,
    [PIN_ATTEMPT]: attempts,
    [PIN_HEARD]: pin ? 'digits' : 'not_digits',
  });
  return attempts >= MAX_PIN_ATTEMPTS ? { outcome: 'locked' } : { outcome: 'rejected', attemptsLeft: MAX_PIN_ATTEMPTS - attempts };
}
