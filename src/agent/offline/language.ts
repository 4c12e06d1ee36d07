/**
 * What the offline agent does to words before it reads them: one spelling for each thing a
 * caller may say, lemmas (through compromise) so that "I called the dentist" meets "call the
 * dentist", and the caller's own words turned round when we say them back.
 */
import nlp from 'compromise';
import { remembered } from './remembered.ts';

/** Spoken text in one shape: plain quotes, no end punctuation, "todo" spelled one way, no filler at the start. */
export function normalize(text: string): string {
  return text
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!?]+$/, '')
    .replace(/^(?:(?:ok(?:ay)?|so|um+|uh+|hey|hi|please|oops|whoops|sorry|can you|could you|would you|will you|you can|i want you to|i'd like you to|actually|oh|well|and|no wait|wait|great|cool|right|alright|perfect|thanks)[, ]+)+/gi, '')
    .replace(/^(?:[^,]{1,20},\s*)+/, fillersBefore)
    // "remind me what's on my list", "tell me which teams I'm on": the question itself.
    .replace(/^(?:remind me|tell me)\s+(?=(?:what|which|who|when|where|how)\b)/i, '')
    .replace(/\bto-dos?\b/gi, (word) => (word.toLowerCase().endsWith('s') ? 'todos' : 'todo'))
    .replace(/\bto do (list|item)/gi, 'todo $1')
    .replace(/\b(a|an|my|the|new|team|this|that|quick|urgent|important)\s+to\s?do(s?)\b/gi, '$1 todo$2')
    .replace(/["]/g, '')
    .replace(/\b([ap])\.m\.?(?=\s|,|$)/gi, (_, letter: string) => `${letter.toLowerCase()}m`)
    .trim();
}

// Said before a request and meaning nothing: "oh man", "let me see", besides compromise's #Expression ("yeah", "hmm", "gosh").
const FILLER = /^(?:man|boy|right|sure|let me see|let's see|let me think|no|no no|yes)$/i;

/** Whether the words are only a filler: "yeah", "okay", "oh man", "let me see"; never a title or a name. */
export function isFiller(words: string): boolean {
  const said = words.trim().toLowerCase();
  if (!said || FILLER.test(said)) return said !== '';
  const terms = (nlp(said).json() as { terms: { tags: string[]; normal: string }[] }[]).flatMap((sentence) => sentence.terms);
  return terms.length > 0 && terms.every((term) => term.tags.includes('Expression') || FILLER.test(term.normal));
}

/** Leading phrases said before the request, each ended by a comma: gone when they are only fillers ("oh man, yeah, scrap ..."). */
function fillersBefore(lead: string): string {
  const phrases = lead.split(',').map((phrase) => phrase.trim()).filter(Boolean);
  let kept = 0;
  while (kept < phrases.length && isFiller(phrases[kept] ?? '')) kept += 1;
  return phrases.slice(kept).map((phrase) => `${phrase}, `).join('');
}

// Words that never tell one item from another: what a caller says around a name.
const STOP = new Set(
  `a an the my your our his her their its it this that these those one ones thing things stuff some any
  i me we you he she they is are was were be been being am do does did done have has had having
  to of for on in at by with about from into off up out as and or but so then than now just already finally
  actually really please again also still anymore anything something everything all
  todo todos task tasks item items list lists reminder reminders event events calendar entry
  mark marked check checked tick ticked cross crossed complete completed finish finished
  delete deleted remove removed cancel cancelled canceled get rid scrap drop take off
  move moved push pushed reschedule change changed set make made bump called named titled
  can could would should will need want like don't not no yes okay ok well
  soon sooner later earlier due deadline rush`.split(/\s+/),
);

/** The lemmas of the words in `text`, in order: "I bought the flights" → i, buy, the, flight. */
export const lemmas = remembered(lemmasOf);

// One word for one thing, whichever side of the Atlantic says it: "mum" meets "call mom".
const SAME: Record<string, string> = { mum: 'mom', mummy: 'mom', mother: 'mom', mommy: 'mom', father: 'dad', daddy: 'dad', colour: 'color', favourite: 'favorite', cheque: 'check', programme: 'program', catalogue: 'catalog', tyre: 'tire', organise: 'organize' };

function lemmasOf(text: string): string[] {
  const doc = nlp(text.toLowerCase());
  doc.compute('root');
  const words: string[] = [];
  for (const sentence of doc.json() as { terms: { normal?: string; root?: string; text: string }[] }[]) {
    for (const term of sentence.terms) {
      const word = (term.root ?? term.normal ?? term.text).replace(/'s$/, '').replace(/[^\p{L}\p{N}']/gu, '');
      if (word) words.push(SAME[word] ?? word);
    }
  }
  return words;
}

/** The words of `text` that name something: lemmas without the words said around names. */
export function contentWords(text: string): string[] {
  return [...new Set(lemmas(text).filter((word) => !STOP.has(word)))];
}

/** True when the caller says what they did: "I called", "I've watered", or without "I": "paid the bill". */
export const saysDone = remembered(saidDone);

function saidDone(text: string): boolean {
  // "I've got a job interview" is having, not doing.
  if (/^i(?:'ve| have)?\s+got\b/i.test(text)) return false;
  // Only the start says it, and tagging five words costs a fraction of tagging the sentence.
  const doc = nlp(text.split(/\s+/).slice(0, 5).join(' '));
  if (/^i(?:'ve| have)?\b/i.test(text)) return doc.match('^i (have|#Adverb)? #PastTense').found;
  // Never a verb whose past is itself: "put milk on my list" is a request.
  const first = text.split(/\s+/)[0]?.toLowerCase() ?? '';
  return doc.match('^#PastTense').found && lemmas(first)[0] !== first;
}

// Endings that make another word of the same stem: "renew" and "renewal", "electric" and
// "electricity", "engineers" and "engineering"; "plan" and "plant" share none.
const ENDINGS = new Set(['', 'e', 's', 'es', 'd', 'ed', 'ing', 'er', 'ers', 'al', 'ity', 'ment', 'ion', 'ation', 'ance', 'ence', 'y', 'ies', 'ly', 'ness']);

function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  let common = 0;
  while (common < a.length && a[common] === b[common]) common += 1;
  const shorter = Math.min(a.length, b.length);
  return common >= Math.max(4, shorter - 1) && ENDINGS.has(a.slice(common)) && ENDINGS.has(b.slice(common));
}

/**
 * How well a description fits a name, from 0 to 1: the share of the description's words found
 * in the name, ties going to the name that has fewer words besides.
 */
export function similarity(description: string[], name: string[]): number {
  if (description.length === 0 || name.length === 0) return 0;
  const found = description.filter((word) => name.some((other) => sameWord(word, other))).length;
  const covered = name.filter((word) => description.some((other) => sameWord(word, other))).length;
  return found / description.length + 0.01 * (covered / name.length);
}

const TURNED: Record<string, string> = {
  my: 'your',
  mine: 'yours',
  me: 'you',
  myself: 'yourself',
  i: 'you',
  "i'm": "you're",
  "i've": "you've",
  "i'll": "you'll",
  am: 'are',
  our: 'your',
  us: 'you',
};

/** The caller's words as we say them back: "renew my passport" → "renew your passport". */
export function turnRound(text: string): string {
  return text.replace(/\b(?:my|mine|me|myself|i|i'm|i've|i'll|our|us)\b/gi, (word) => TURNED[word.toLowerCase()] ?? word);
}
