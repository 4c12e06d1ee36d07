/**
 * Which of the caller's own items a description means: each is scored by how many of the
 * description's lemmas its name holds (language.ts), after any time the caller gave narrows
 * them down. A clear winner is chosen; two close ones become a question.
 */
import { nameOf, type Json, type Noun } from './context.ts';
import { contentWords, similarity } from './language.ts';
import type { Find } from './understanding.ts';

export interface Candidate {
  noun: Noun;
  row: Json;
}

export type Choice = { kind: 'one'; candidate: Candidate } | { kind: 'several'; candidates: Candidate[] } | { kind: 'none' };

const startOf = (row: Json): number => (typeof row.starts_at === 'string' ? Date.parse(row.starts_at) : Number.NaN);
// When an event starts, a todo is due or a reminder goes off: what a day said of any means.
const timeOf = (row: Json): number => (typeof row.due_at === 'string' ? Date.parse(row.due_at) : typeof row.remind_at === 'string' ? Date.parse(row.remind_at) : startOf(row));
const CLOSE = 0.2;
const ENOUGH = 0.5;

/** How well the words fit a candidate: a team by its name said loosely, anything else by similarity. */
function score(words: string[], candidate: Candidate): number {
  if (candidate.noun === 'team') return fitsTeam(words, nameOf(candidate.row)) ? 1 : 0;
  return similarity(words, contentWords(nameOf(candidate.row))) + (candidate.row.completed === true ? -0.005 : 0);
}

/** A team said loosely: its name, the start of it ("eng"), or a word made from it ("the engineers"). */
function fitsTeam(words: string[], name: string): boolean {
  const team = name.toLowerCase();
  const stem = team.slice(0, Math.max(4, team.length - 3));
  return words.some((word) => word.length >= 3 && (team.startsWith(word) || word.startsWith(stem)));
}

export function choose(find: Find, candidates: Candidate[], now: Date): Choice {
  let pool = candidates;
  if (find.startsAt) pool = pool.filter((c) => timeOf(c.row) === find.startsAt!.getTime());
  if (find.within) pool = pool.filter((c) => timeOf(c.row) >= find.within!.from.getTime() && timeOf(c.row) < find.within!.to.getTime());
  // A title that repeats (a weekly meeting) is one choice: the next one to come.
  const seen = new Set<string>();
  pool = [...pool]
    .sort((a, b) => (startOf(a.row) || 0) - (startOf(b.row) || 0))
    .filter((c) => {
      const upcoming = Number.isNaN(startOf(c.row)) || startOf(c.row) + 60 * 60_000 > now.getTime();
      const key = `${c.noun}:${nameOf(c.row).toLowerCase()}`;
      if (!upcoming && pool.some((o) => o !== c && `${o.noun}:${nameOf(o.row).toLowerCase()}` === key)) return false;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const timed = find.startsAt !== null || find.within !== null;
  if ((timed || find.words.length === 0) && pool.length === 1 && pool[0]) return { kind: 'one', candidate: pool[0] };
  if (find.words.length === 0) return pool.length > 1 ? { kind: 'several', candidates: pool.slice(0, 3) } : { kind: 'none' };
  const scored = pool
    .map((candidate) => ({ candidate, score: score(find.words, candidate) }))
    .filter((s) => s.score >= ENOUGH)
    .sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  if (!best) return { kind: 'none' };
  if (second && best.score - second.score < CLOSE) {
    return { kind: 'several', candidates: scored.filter((s) => best.score - s.score < CLOSE).slice(0, 3).map((s) => s.candidate) };
  }
  return { kind: 'one', candidate: best.candidate };
}
