/** What the caller's words mean before any agent sees them: nothing, a goodbye, or a request. */
export type Utterance = { kind: 'empty' } | { kind: 'goodbye' } | { kind: 'request'; text: string };

const GOODBYE =
  /^(?:(?:ok(?:ay)?|alright|no|nope|thanks|thank you|great|perfect)[,.! ]+)*(?:bye(?: bye)?|goodbye|good bye|that's all|that is all|that's it|hang up|i'm done|i am done|nothing else|we're done|end (?:the )?call)(?:[,.! ]+(?:for now|thanks|thank you|bye|goodbye))*[.!]?$/;

export function understand(speech: string | undefined): Utterance {
  const text = (speech ?? '').trim().replace(/\s+/g, ' ');
  // Shorter than two letters is noise or a cough picked up by the recogniser.
  if (text.replace(/[^\p{L}\p{N}]/gu, '').length < 2) return { kind: 'empty' };
  if (GOODBYE.test(text.toLowerCase())) return { kind: 'goodbye' };
  return { kind: 'request', text };
}

/** Words that help Twilio's recogniser with this domain. */
export const SPEECH_HINTS = [
  'todo',
  'to-do',
  'reminder',
  'remind me',
  'calendar',
  'meeting',
  'team',
  'priority',
  'urgent',
  'mark as done',
  'complete',
  'delete',
  'tomorrow',
  'next week',
  'transfer',
  'a person',
  'feedback',
].join(', ');
