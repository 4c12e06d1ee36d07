import { Stopped } from '../signals/spans.ts';

/**
 * The caller cut in on the answer (barge-in): its work stops, and what they `heard` of the
 * answer's words (Twilio's `utteranceUntilInterrupt`) is all of it that stays in the thread's history.
 */
export class CallerInterrupted extends Stopped {
  override name = 'CallerInterrupted';
  constructor(readonly heard: string) {
    super('the caller interrupted the answer');
  }
}

const WORD = /[\p{L}\p{N}']+/gu;

/**
 * The part of `said` the caller heard, cut after as many words as `heard` holds: the text-to-speech
 * side reports what it spoke in its own spelling (spaces, punctuation, case), so words are counted,
 * not characters. Always a prefix of `said`, in `said`'s own characters.
 */
export function heardPart(said: string, heard: string): string {
  const count = wordCount(heard);
  if (count === 0) return '';
  let seen = 0;
  for (const match of said.matchAll(WORD)) {
    if (++seen === count) {
      const end = match.index + match[0].length;
      // The punctuation that closes the last heard word was heard with it.
      const closing = /^[^\s\p{L}\p{N}]*/u.exec(said.slice(end))?.[0] ?? '';
      return said.slice(0, end + closing.length);
    }
  }
  return said;
}

/** `heard` without its first `count` words: what was heard of the answer after words said before it. */
export function afterWords(heard: string, count: number): string {
  if (count === 0) return heard;
  const word = [...heard.matchAll(WORD)][count - 1];
  return word ? heard.slice(word.index + word[0].length).replace(/^[^\p{L}\p{N}]+/u, '') : '';
}

export function wordCount(text: string): number {
  return text.match(WORD)?.length ?? 0;
}
