import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from './knex.ts';

// Twilio opens the WebSocket within a second or two of reading the TwiML; a URL older than this is a replay.
const CONNECT_WITHIN_S = 120;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A fresh relay session for the call: the token goes into the WebSocket URL, only its hash is stored. */
export async function issueRelaySession(db: Executor, callSid: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await db('relay_sessions').insert({
    token_hash: hashOf(token),
    call_sid: callSid,
    expires_at: db.raw(`now() + make_interval(secs => ?)`, [CONNECT_WITHIN_S]),
  });
  return token;
}

/**
 * Takes the session a WebSocket URL names, once: the call's sid, or null when the token is
 * unknown, used already, expired, or its call has ended. One statement, so two connections
 * racing with the same URL (on any instances) cannot both have it.
 */
export async function claimRelaySession(db: Executor, token: string): Promise<{ callSid: string } | null> {
  const rows = await db('relay_sessions as s')
    .update({ connected_at: db.fn.now() })
    .where('s.token_hash', hashOf(token))
    .whereNull('s.connected_at')
    .where('s.expires_at', '>', db.fn.now())
    .whereExists(db('calls').whereRaw('calls.call_sid = s.call_sid').whereNull('ended_at').whereNotNull('user_id'))
    .returning<{ call_sid: string }[]>('s.call_sid');
  return rows[0] ? { callSid: rows[0].call_sid } : null;
}

/** Records Twilio's id for the session and, later, its end. */
export async function recordRelaySession(db: Executor, token: string, change: { sessionId?: string; ended?: boolean }): Promise<void> {
  await db('relay_sessions')
    .where({ token_hash: hashOf(token) })
    .update({ ...(change.sessionId ? { session_id: change.sessionId } : {}), ...(change.ended ? { ended_at: db.fn.now() } : {}) });
}

/** How many relay sessions the call has been given: reconnecting after a lost session is bounded by it. */
export async function countRelaySessions(db: Executor, callSid: string): Promise<number> {
  const row = await db('relay_sessions').where({ call_sid: callSid }).count<{ n: string }>('* as n').first();
  return Number(row?.n ?? 0);
}
