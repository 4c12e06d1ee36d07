// The conversation around the requests: greetings and help, "more", a person, feedback.
import { ask, call, HELP, QUESTIONS, type Reader } from '../understanding.ts';

export const smallTalk: Reader = (text) => {
  if (/^(?:help|what can you do|what can i (?:say|ask|do)(?: you)?|what do you do|how does this work|what are my options)\b/i.test(text)) return { kind: 'say', text: HELP };
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

export const more: Reader = (text, _clock, context) => {
  if (!context.listing) return null;
  return /^(?:(?:and\s+)?(?:more|the rest|the others|others)|(?:tell|read|give|show) me (?:the )?(?:rest|more|others)|read (?:me )?(?:the )?rest|what else|anything else|go on|keep going|continue|carry on|next|and|and then|what are the others|what about the (?:rest|others))\b/i.test(text)
    ? { kind: 'more' }
    : null;
};

export const transfer: Reader = (text) => {
  const person = '(?:a |an |the |real |live |actual )*(?:person|human|someone|somebody|agent|operator|representative|rep|customer (?:service|support)|support)';
  if (new RegExp(`\\b(?:put me through|transfer me|connect me|talk to|speak to|speak with|talk with|get me|give me|let me talk|let me speak)\\b.*\\b${person}\\b`, 'i').test(text) || new RegExp(`^${person}$`, 'i').test(text)) {
    return call('transfer_to_human', { reason: text });
  }
  return null;
};

export const feedback: Reader = (text) => {
  const said = /^(?:feedback|i (?:want|would like|'d like) to (?:leave|give) (?:some )?feedback)\b\s*[:,-]?\s*(.*)$/i.exec(text);
  if (said) {
    const comment = (said[1] ?? '').trim();
    return comment ? call('record_feedback', { comment }) : ask(QUESTIONS.feedback);
  }
  if (
    /\b(?:that(?:'s| was| is)|you(?:'re| are))\s+(?:all\s+|totally\s+|completely\s+)?(?:wrong|not right|incorrect|a mistake|not what i (?:said|asked|meant))\b/i.test(text) ||
    /\b(?:you (?:got (?:that|it) wrong|misheard|misunderstood|didn't understand)|not what i (?:said|asked|meant))\b/i.test(text) ||
    /^(?:wrong|no,? (?:that's )?wrong)$/i.test(text)
  ) {
    return call('record_feedback', { comment: text });
  }
  return null;
};
