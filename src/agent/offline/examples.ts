/**
 * What the intent model learns from: the development part of the phrasing set
 * (bench/offline-agent/phrasings/development.jsonl), each utterance with the request it is.
 * Never the held-out part: that one only measures.
 */
import { readFileSync } from 'node:fs';
import { INTENTS, type Example, type Intent } from './intent-model.ts';

export const DEVELOPMENT_PHRASINGS = new URL('../../../bench/offline-agent/phrasings/development.jsonl', import.meta.url);

/** The development phrasings as examples; `leaveOut` drops those whose id starts with it (a batch being measured). */
export function developmentExamples(options: { leaveOut?: string } = {}): Example[] {
  return readFileSync(DEVELOPMENT_PHRASINGS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { id: string; say: string; intent: string })
    .filter((phrasing) => !options.leaveOut || !phrasing.id.startsWith(`${options.leaveOut}.`))
    .map((phrasing) => {
      if (!INTENTS.includes(phrasing.intent as Intent)) throw new Error(`${phrasing.id}: unknown intent ${phrasing.intent}`);
      return { say: phrasing.say, intent: phrasing.intent as Intent };
    });
}
