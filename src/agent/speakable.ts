// A clause this long is worth speaking on its own; a shorter one waits for more, so the voice
// does not stop and start on every comma.
const CLAUSE_MIN_CHARS = 24;
// "Dr. Smith", "e.g. milk", "9 a.m. tomorrow": a full stop that ends no sentence.
const ABBREVIATION = /\b(?:mr|mrs|ms|dr|st|jr|sr|vs|etc|e\.g|i\.e|a\.m|p\.m)\.$/i;

/**
 * Turns a stream of text pieces (model tokens) into speakable chunks: a chunk ends after a
 * sentence (. ! ? followed by a space) or, once long enough, a clause (, ; : or a dash followed by
 * a space), so the first words can be spoken while the rest is still being generated. Chunks
 * keep every character, spaces included: joined, they are exactly the text pushed.
 */
export function speakableChunks(emit: (chunk: string) => void) {
  let pending = '';
  let said = '';

  function release(chunk: string): void {
    if (!chunk) return;
    said += chunk;
    emit(chunk);
  }

  return {
    push(text: string): void {
      pending += text;
      for (let end = boundary(pending); end > 0; end = boundary(pending)) {
        release(pending.slice(0, end));
        pending = pending.slice(end);
      }
    },
    /** Speaks whatever is left: the end of an answer, or the words before a tool runs. */
    flush(): void {
      release(pending);
      pending = '';
    },
    /** Everything emitted so far. */
    get said(): string {
      return said;
    },
  };
}


/** Where the first speakable chunk of `text` ends (after its trailing spaces), or 0 if none is complete yet. */
function boundary(text: string): number {
  const pattern = /[.!?…]+["')\]]?(\s+)|([,;:]|\s[-–—])(\s+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const end = match.index + match[0].length;
    const sentence = match[1] !== undefined;
    if (sentence && ABBREVIATION.test(text.slice(0, match.index + match[0].trimEnd().length))) continue;
    if (sentence || end >= CLAUSE_MIN_CHARS) return end;
  }
  return 0;
}
