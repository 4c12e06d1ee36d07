// The conversation around the requests: greetings and help, "more", a person, feedback, and
// what this assistant does not do.
import type { Context } from '../context.ts';
import type { Clock } from '../when.ts';
import { ask, call, HELP, QUESTIONS, type Reader, type Understanding } from '../understanding.ts';

export const smallTalk: Reader = (text) => {
  if (/^(?:help|what can i (?:say|ask|do)(?: you)?|how does this work|what are my options)\b|^what (?:can|could|are|do) you (?:do|able to do|help (?:me )?with|good for)\b|\bhow do i use (?:this|it|you)\b|^i'm new\b/i.test(text)) {
    return { kind: 'say', text: HELP };
  }
  // "can you do calendar stuff", "do you handle reminders" ("can you" is gone by now): what it can do.
  if (/^(?:(?:do|can) you\s+)?(?:do|handle|manage|deal with|help with|work with)\s+(?:my\s+)?(?:calendar|todos?|reminders?|teams?|tasks?|lists?|events?|meetings?)(?:\s+(?:stuff|things|too|as well|at all))?$/i.test(text)) {
    return { kind: 'say', text: HELP };
  }
  const how = /^how (?:do|can) i (?:add|set|make|create|check|see|hear|cancel|delete|move)\s+(?:a |an |my )?(\w+)/i.exec(text);
  if (how) {
    const thing = how[1]?.toLowerCase() ?? '';
    if (/^remind/.test(thing)) return { kind: 'say', text: 'Just say remind me, what to do and when: remind me to call mom at 3 PM.' };
    if (/^(?:event|meeting|appointment|calendar)/.test(thing)) return { kind: 'say', text: 'Say what and when: schedule lunch with Sam on Friday at noon.' };
    return { kind: 'say', text: 'Say add a todo and what it is: add a todo to buy milk.' };
  }
  if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening)|hiya|howdy)(?: there)?$/i.test(text)) return { kind: 'say', text: 'Hi! What can I do for you?' };
  if (/^(?:thanks|thank you|cool|great|ok|okay|got it|perfect|nice|alright)(?: very much| so much)?$/i.test(text)) return { kind: 'say', text: 'Anything else?' };
  return null;
};

// "more", "what else", "read me the rest", "what are the others": a short request for what is left
// of the list the caller heard.
const MORE = /\b(?:more|rest|others|remaining|else|continue|go on|keep (?:going|reading|on)|carry on|after that)\b|^(?:next|and|and then)$/i;

export const more: Reader = (text, _clock, context) => {
  if (!context.listing || text.split(/\s+/).length > 6) return null;
  if (!MORE.test(text) || /\b(?:add|remind|cancel|delete|schedule|move|nothing|no)\b/i.test(text)) return null;
  // "the rest", "the others", "all of them": everything left, not one more page.
  return /\b(?:rest|others|remaining|all|everything)\b/i.test(text) ? { kind: 'more', all: true } : { kind: 'more' };
};

export const transfer: Reader = (text) => {
  const person = '(?:a |an |the |real |live |actual )*(?:person|human|someone|somebody|agent|operator|representative|rep|manager|supervisor|customer (?:service|support)|support)';
  const talk = '(?:put me through|transfer me|connect me|talk to|speak to|speak with|talk with|get me|give me|let me talk|let me speak)';
  // "put me through to a person", "is there a person I can talk to", "operator".
  if (new RegExp(`\\b${talk}\\b.*\\b${person}\\b|\\b${person}\\b.*\\b(?:talk|speak) (?:to|with)\\b|^${person}$`, 'i').test(text)) {
    return call('transfer_to_human', { reason: text });
  }
  return null;
};

export const feedback: Reader = (text) => {
  const said = /^(?:(?:i(?: want| would like|'d like) to|let me|can i) (?:leave|give|make|send|file|lodge|suggest|request) (?:you )?|(?:i have|i've got|here's|here is)\s+)?(?:some |a |an |quick |my )*(?:feedback|comment|suggestion|complaint|feature(?: request)?|idea)s?\b\s*[:,-]?\s*(.*)$/i.exec(text);
  if (said) {
    const comment = (said[1] ?? '').trim();
    return comment ? call('record_feedback', { comment }) : ask(QUESTIONS.feedback);
  }
  // "tell the developers the calendar bit is confusing": a message for the people behind the assistant.
  const forMakers = /^(?:tell|let|pass (?:it |this |that )?on to)\s+(?:the\s+|your\s+)?(?:developers|devs|makers|engineers|designers|(?:people (?:who|that)|whoever|whoever it was that|the person (?:who|that)) (?:made|built|make|makes|designed|wrote|runs) (?:this|you|it)|team behind (?:this|you)|boss)\b(?:\s+know)?(?:\s+that)?\s*(.*)$/i.exec(text);
  if (forMakers) return forMakers[1] ? call('record_feedback', { comment: forMakers[1] }) : ask(QUESTIONS.feedback);
  if (
    /\b(?:that(?:'s| was| is)|you(?:'re| are))\s+(?:all\s+|totally\s+|completely\s+)?(?:wrong|not right|incorrect|a mistake|not what i (?:said|asked|meant))\b/i.test(text) ||
    /\b(?:you (?:got (?:that|it) wrong|misheard|misunderstood|didn't understand)|not what i (?:said|asked|meant))\b/i.test(text) ||
    /^(?:wrong|no,? (?:that's )?wrong)$|^you\b.*\bwrong\b/i.test(text) ||
    // Praise or blame for the assistant itself: "this assistant is great", "you're really slow".
    /(?:^|,\s*|\b(?:think|know|say|feel)\s+)(?:this (?:assistant|service|app|system|thing)|you)(?:'re| are| is)?\b.*\b(?:great|brilliant|amazing|awesome|helpful|useless|terrible|awful|slow)\b/i.test(text)
  ) {
    return call('record_feedback', { comment: text });
  }
  return null;
};

// What callers ask a phone assistant for that this one does not do: the weather, the news, rides,
// food, music, the lights, the time, general knowledge. Said without a word of its own (a todo, a
// reminder, the calendar, a team) it gets a short answer naming what it can do instead, not a
// calendar read out because a day was mentioned.
const TOPICS = [
  /\b(?:weather|rain(?:ing|y)?|snow(?:ing|y)?|forecast|temperature|umbrella)\b/,
  /\b(?:news|headlines?|jokes?|recipes?|music|songs?|playlist)\b/,
  /\b(?:uber|lyft|taxi|cab|lights?|thermostat)\b|\border me\b/,
  /\bwhat time is it\b|^how (?:tall|old|far|big) (?:is|are)\b|\bcapital of\b/,
  // Television, public figures, messages to other people, the roads, the markets.
  /\b(?:tv|television|telly|films?|movies?|president|prime minister|traffic|stock market|exchange rate|heating)\b|\b(?:send|text) (?:a )?(?:text|message|sms)\b/,
];
const OWN_WORDS = /\b(?:remind(?:er|ers)?|todos?|tasks?|list|calendar|schedule|meetings?|events?|appointments?|teams?)\b/i;

export const elsewhere: Reader = (text) => {
  const lower = text.toLowerCase();
  return TOPICS.some((topic) => topic.test(lower)) && !OWN_WORDS.test(text) ? { kind: 'elsewhere' } : null;
};

/** The conversation's readers, each for a request known to be its kind. */
export const conversationRequests = {
  transfer_to_human: (text: string): Understanding => call('transfer_to_human', { reason: text }),
  record_feedback: (text: string): Understanding => call('record_feedback', { comment: text }),
  more: (text: string, clock: Clock, context: Context): Understanding | null => (context.listing ? (more(text, clock, context) ?? { kind: 'more' }) : null),
  help: (): Understanding => ({ kind: 'say', text: HELP }),
  fallback: (): Understanding => ({ kind: 'elsewhere' }),
};
