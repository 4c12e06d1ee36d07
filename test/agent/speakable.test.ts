import { expect } from 'chai';
import { heardPart } from '../../src/agent/interrupted.ts';
import { speakableChunks } from '../../src/agent/speakable.ts';

function chunksOf(pieces: string[], flush = true): string[] {
  const chunks: string[] = [];
  const speech = speakableChunks((chunk) => chunks.push(chunk));
  for (const piece of pieces) speech.push(piece);
  if (flush) speech.flush();
  return chunks;
}

describe('speakable chunks', () => {
  it('when tokens stream in, then a chunk is released at each sentence end, with every character kept', () => {
    const pieces = ['You have', ' two', ' meetings. The', ' first is', ' at nine! Is that', ' all?'];
    const chunks = chunksOf(pieces);
    expect(chunks).to.deep.equal(['You have two meetings. ', 'The first is at nine! ', 'Is that all?']);
    expect(chunks.join('')).to.equal(pieces.join(''));
  });

  it('when a clause is long enough, then it is released at its comma; a short one waits for more', () => {
    expect(chunksOf(['Okay, ', 'I added call the dentist to your list, ', 'due tomorrow'], false)).to.deep.equal([
      'Okay, I added call the dentist to your list, ',
    ]);
  });

  it('when a full stop ends an abbreviation or the text so far, then nothing is released before more arrives', () => {
    expect(chunksOf(['Call Dr. Smith at 9 a.m. tomorrow', '.'], false)).to.deep.equal([]);
    expect(chunksOf(['Call Dr. Smith at 9 a.m. tomorrow. ', 'Then'], false)).to.deep.equal(['Call Dr. Smith at 9 a.m. tomorrow. ']);
  });
});

describe('what the caller heard', () => {
  const said = 'I added water the plants, and while I was at it, I looked at your week.';

  it('when Twilio reports the words it spoke in its own spelling, then the same number of words of what was said is kept', () => {
    expect(heardPart(said, 'i added water the plants and')).to.equal('I added water the plants, and');
    expect(heardPart(said, 'I added water the plants')).to.equal('I added water the plants,');
  });

  it('when nothing was heard, then nothing is kept; when all of it was, then all of it is', () => {
    expect(heardPart(said, '')).to.equal('');
    expect(heardPart(said, `${said} and more`)).to.equal(said);
  });
});
