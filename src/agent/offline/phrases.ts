/**
 * Words callers put around what they ask for, shared by the readers: ordinals, pronouns,
 * priorities said as adjectives, the words around a title, and the cue words of each domain.
 */

export const PRONOUN = /^(?:it|that|this|that one|this one|them|those|these|one|something|anything|stuff|things?|(?:(?:one\s+)?more|another|a new|a|one|some)\s+(?:thing|item|task|todo|one)s?)$/i;
const ORDINALS: Record<string, number> = { first: 0, second: 1, third: 2, fourth: 3, fifth: 4, sixth: 5, seventh: 6, eighth: 7, ninth: 8, tenth: 9, last: -1, '1st': 0, '2nd': 1, '3rd': 2, '4th': 3, '5th': 4 };

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** "the second one", "number 3", "number two", "the last": which item of the last list. */
export function ordinalIn(text: string): number | null {
  const said = /\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th)(?:\s+one)?\b/i.exec(text) ?? /\bnumber\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b/i.exec(text);
  if (!said?.[1]) return null;
  const number = NUMBERS.indexOf(said[1].toLowerCase());
  return /^\d+$/.test(said[1]) ? Number(said[1]) - 1 : number > 0 ? number - 1 : (ORDINALS[said[1].toLowerCase()] ?? null);
}

/** Whether the words name the thing by "it", "that", "that one". */
export function pronounOnly(words: string): boolean {
  return PRONOUN.test(words.trim()) || /^(?:it|that|this)(?: one)?\s+(?:done|off|again)$/i.test(words.trim());
}

// Priorities said as adjectives or phrases: "an urgent todo", "not important", "a high priority".
export function priorityIn(text: string): { priority: string; said: RegExp } | null {
  const forms: [RegExp, string][] = [
    [/\b(?:low[- ]priority|low|not (?:that )?(?:urgent|important)|(?:isn't|aren't|is not|are not|no longer) (?:that |so |very )?(?:urgent|important)|(?:not|isn't|aren't|is not|are not|no longer) (?:a |much of a |that much of a )?priority|unimportant|minor|can wait|no rush)\b/gi, 'low'],
    [/\b(?:urgent|critical|asap|top[- ]priority|highest priority)\b/gi, 'urgent'],
    [/\b(?:high[- ]priority|high|important|major)\b/gi, 'high'],
    [/\b(?:medium|normal)(?:[- ]priority)?\b/gi, 'medium'],
  ];
  for (const [form, priority] of forms) {
    // "really important", "very urgent": the word before says how much, not what.
    const said = new RegExp(String.raw`(?:\b(?:really|very|super|quite|pretty|extremely)\s+)?${form.source}`, 'gi');
    if (new RegExp(said.source, 'i').test(text)) return { priority, said };
  }
  return null;
}

export function withoutPriority(text: string): string {
  const found = priorityIn(text);
  return found ? text.replace(found.said, ' ').replace(/\b(?:a|an)\s+priority\b|\bpriority\b/gi, ' ') : text;
}

/** Words a caller says around a title: "called", "a", "to my list", "please". */
export function cleanTitle(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    // A second sentence is said about the title, never part of it: "..., please? Ideally by Friday".
    .replace(/[?!.]\s+[A-Z].*$/, '')
    .replace(/^(?:(?:called|named|titled|that says|saying|to say|that|which is|:|-|,)\s*)+/i, '')
    .replace(/^(?:a|an|the)\s+(?=\S+\s+\S)/i, '')
    .replace(/[\s,]+(?:please|for me|thanks|thank you|it's|it is|that's|too|as well|also)$/i, '')
    .replace(/^["']|["']$/g, '')
    .replace(/[\s,.;:!?-]+$/, '')
    .replace(/^[\s,.;:!?-]+/, '')
    .trim();
}

// What a question about todos asks, besides naming them: "anything left", "what do I need to get done".
export const TODO_QUESTION = /\b(?:need to (?!be\b|go\b)|left|to do|get done|work(?:ing)? on|finish(?:ed)?|complete(?:d)?|done|(?:ticked|crossed|checked) off|overdue|behind|due|open|outstanding|pending)\b/i;
export const TODO_WORDS = /\b(?:todos?|tasks?|to do|list|backlog|chores?|plate)\b/i;
export const EVENT_WORDS = /\b(?:calendar|meetings?|events?|appointments?|schedule|agenda|diary|calls?|lunch|dinner|breakfast|coffee|class|review|sync|standup|planning|interview)\b/i;
export const REMINDER_WORDS = /\b(?:remind(?:er|ers|ing|ed)?|alerts?)\b/i;

// Words a question is made of besides what it is about: "do I need to do anything about the car" is about the car.
const ASKING = new Set(
  `what which who whom when where why how whether any anyone anybody anything something everything nothing left open outstanding pending
  overdue due done get got finish finished complete completed yet still start deal sort handle go going plan planned next upcoming time
  priority urgent important high low medium today tonight tomorrow week weekend month day morning afternoon evening night
  someone somebody everyone team teams member members role on anywhere somewhere lunchtime`.split(/\s+/),
);

/** What a question asks about, beyond the words of asking: [] when it names nothing. */
export function askedAbout(words: string[]): string[] {
  return words.filter((word) => !ASKING.has(word));
}

/** Without a reason given after the request: "get rid of the design review, we're doing it over email". */
export function withoutReason(text: string): string {
  // A clause of its own after the comma, started by someone doing something: "..., I sold the car", "..., she already has the numbers".
  return text.replace(/,\s*(?:because|since|as|cause|(?:we|i|they|he|she)(?:'re|'m|'ll|'s|'ve|'d)?|there's no (?:need|rush))\b.*$/i, '');
}

// Obligations said as statements: "I need to buy stamps", "I must remember to cancel the gym",
// "I've got to finish the slides", "don't let me forget to call Jo".
export const NEED = /^(?:i\s+(?:really\s+)?(?:(?:need|have|got|'ve got|have got)\s+to|must|should|gotta)\s+(?:remember\s+to\s+)?|i've\s+got\s+to\s+|remember\s+to\s+|don'?t let me forget to\s+|i must not forget to\s+)(.+)$/i;
