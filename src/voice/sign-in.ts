import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Deadline } from '../deadline.ts';
import { bindCaller, findCall, takePinAttempt } from '../db/calls.ts';
import { transactionBy } from '../db/deadline.ts';
import type { Db } from '../db/knex.ts';
import { hashPin, verifyPin } from '../db/pin-hash.ts';
import { acceptPin, LOCK_MINUTES, pinBucket, takeAccountPinAttempt } from '../db/pin-lockout.ts';
import { findUserById, findUserByPhone } from '../db/users.ts';
import { EVENTS, PIN_ATTEMPT, PIN_BUCKET, PIN_HEARD, PIN_LOCK_LEVEL, TWILIO_CALL_SID } from '../signals/attributes.ts';
import { recordEvent } from '../signals/events.ts';
import { pinFailures, pinLockouts } from '../signals/metrics.ts';
import { failSpan } from '../signals/spans.ts';
import { readPin } from './pin.ts';

export const MAX_PIN_ATTEMPTS = 3;

export type SignIn =
  | { outcome: 'accepted'; name: string }
  | { outcome: 'rejected'; attemptsLeft: number }
  /** This call has used its attempts. */
  | { outcome: 'locked' }
  /** The account's PIN is locked for calls like this one: no PIN is checked until it lifts. */
  | { outcome: 'paused' }
  | { outcome: 'ended' };

/** Raised (recorded on the trace, so it reaches Sentry) when wrong guesses lock an account's PIN. */
export class PinLockoutError extends Error {
  override name = 'PinLockoutError';
}

// Compared against when the number is unknown, so a wrong number costs the same time as a wrong PIN.
const decoyHash = hashPin('decoy-0000');

/**
 * Checks the PIN a caller gave against the account of the number they call from. Each attempt
 * is taken from the call's three and from the account's lockout bucket before the PIN is
 * checked, atomically, so guesses sent at once cannot get more checks than guesses sent one by
 * one. Any failure (an unknown number, an inactive account, a wrong PIN) sounds the same.
 */
export async function signIn(
  { db, logger }: { db: Db; logger: Logger },
  callSid: string,
  heard: { digits?: string; speech?: string },
  deadline: Deadline,
): Promise<SignIn> {
  const taken = await transactionBy(db, deadline, async (trx) => {
    const call = await takePinAttempt(trx, callSid, MAX_PIN_ATTEMPTS);
    if (!call) return { call: null, user: null, account: null };
    const user = call.from_number ? await findUserByPhone(trx, call.from_number) : null;
    const bucket = pinBucket(call.stir_verstat);
    const account = user?.active ? await takeAccountPinAttempt(trx, user.id, bucket) : null;
    return { call, user, account: account && { bucket, ...account } };
  });
  if (!taken.call) return whyNoAttempt(db, callSid, deadline);
  const { call, user, account } = taken;
  if (account && !account.allowed) return { outcome: 'paused' };

  const pin = readPin(heard);
  const matches = await verifyPin(pin ?? '', user?.pin_hash ?? (await decoyHash));
  if (pin && user?.active && account && matches) {
    const bound = await transactionBy(db, deadline, async (trx) => {
      await acceptPin(trx, user.id, account.bucket, account);
      return bindCaller(trx, callSid, user.id);
    });
    return bound ? { outcome: 'accepted', name: user.name } : { outcome: 'ended' };
  }

  pinFailures.add(1);
  recordEvent(logger, 'warn', EVENTS.pinRejected, {
    [TWILIO_CALL_SID]: callSid,
    [PIN_ATTEMPT]: call.pin_attempts,
    [PIN_HEARD]: pin ? 'digits' : 'not_digits',
  });
  if (account?.allowed && account.lock) {
    const { level } = account.lock;
    const minutes = LOCK_MINUTES[Math.min(level, LOCK_MINUTES.length) - 1];
    const attributes = { [TWILIO_CALL_SID]: callSid, [PIN_BUCKET]: account.bucket, [PIN_LOCK_LEVEL]: level };
    pinLockouts.add(1, { [PIN_BUCKET]: account.bucket, [PIN_LOCK_LEVEL]: level });
    recordEvent(logger, 'warn', EVENTS.pinLockout, attributes);
    const span = trace.getActiveSpan();
    if (span) failSpan(span, new PinLockoutError(`PIN locked for ${minutes} minutes after wrong guesses (${account.bucket} calls)`), attributes);
  }
  return call.pin_attempts >= MAX_PIN_ATTEMPTS
    ? { outcome: 'locked' }
    : { outcome: 'rejected', attemptsLeft: MAX_PIN_ATTEMPTS - call.pin_attempts };
}

/** No attempt was left to take: the call is signed in already (a retried webhook), ended, or out of tries. */
async function whyNoAttempt(db: Db, callSid: string, deadline: Deadline): Promise<SignIn> {
  return transactionBy(db, deadline, async (trx) => {
    const call = await findCall(trx, callSid);
    if (call?.user_id) return { outcome: 'accepted', name: (await findUserById(trx, call.user_id))?.name ?? 'there' };
    return call?.ended_at ? { outcome: 'ended' } : { outcome: 'locked' };
  });
}
