/**
 * Which kind of request an utterance is, learned from examples rather than written as rules: a
 * multinomial logistic regression over the words said (crudely stemmed, with days, numbers and
 * ordinals folded into one token each), the pairs of words in a row, and how the utterance starts.
 * It trains in a few milliseconds on the development phrasings and ranks a new utterance in
 * microseconds; the readers still read the details (titles, times, targets), and intents.ts
 * decides between what the rules and this model make of the words.
 */
import { normalize } from './language.ts';

export const INTENTS = [
  'create_todo',
  'list_todos',
  'complete_todo',
  'update_todo',
  'delete_todo',
  'create_reminder',
  'list_reminders',
  'delete_reminder',
  'create_calendar_event',
  'list_calendar_events',
  'cancel_calendar_event',
  'move_calendar_event',
  'list_teams',
  'list_team_members',
  'create_team_todo',
  'list_team_todos',
  'transfer_to_human',
  'record_feedback',
  'more',
  'help',
  'fallback',
] as const;

export type Intent = (typeof INTENTS)[number];

export interface Example {
  say: string;
  intent: Intent;
}

export interface Ranked {
  intent: Intent;
  probability: number;
}

export interface IntentModel {
  /** Every intent with its probability, the likeliest first. */
  rank(utterance: string): Ranked[];
}

// Words that say when or how many, not what: folded so that "Friday" teaches about "Monday" too.
const DAY = new Set(
  `today tonight tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night
  weekend week month january february march april may june july august september october november december noon midnight lunchtime`.split(/\s+/),
);
const NUMBER = /^(?:\d+(?:[:.]\d+)?(?:am|pm|st|nd|rd|th)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|half|quarter|am|pm|o'clock)$/;
const ORDINAL = new Set(['first', 'second', 'third', 'fourth', 'fifth', 'last']);

/** "reminders", "reminding", "reminded" as one word: a stem, cheap and good enough for a classifier. */
function stem(word: string): string {
  return word.length <= 4 ? word : word.replace(/(?:ing|ed|es|s|ly)$/, '');
}

function token(word: string): string {
  if (DAY.has(word)) return '<day>';
  if (NUMBER.test(word)) return '<number>';
  if (ORDINAL.has(word)) return '<ordinal>';
  return stem(word);
}

/** What the model sees of an utterance: its words, the pairs of them, and its first two words. */
export function features(utterance: string): string[] {
  const words = normalize(utterance)
    .toLowerCase()
    .replace(/[^a-z0-9:'. ]+/g, ' ')
    .split(' ')
    .map((word) => word.replace(/\.$/, '').replace(/'s$/, ''))
    .filter(Boolean)
    .map(token);
  const seen = new Set<string>(words);
  for (let i = 0; i + 1 < words.length; i += 1) seen.add(`${words[i]} ${words[i + 1]}`);
  if (words[0]) seen.add(`^${words[0]}`);
  if (words[1]) seen.add(`^${words[0]} ${words[1]}`);
  return [...seen];
}

const EPOCHS = 10;
const RATE = 0.5;
const DECAY = 0.2;

/** Trains the model on `examples` by stochastic gradient descent, in the same order every time. */
export function trainIntentModel(examples: readonly Example[]): IntentModel {
  const classes = INTENTS.length;
  const index = new Map<string, number>();
  const encoded = examples.map((example) => ({
    features: Int32Array.from(features(example.say), (feature) => {
      let at = index.get(feature);
      if (at === undefined) index.set(feature, (at = index.size));
      return at;
    }),
    label: INTENTS.indexOf(example.intent),
  }));
  const weights = new Float64Array(index.size * classes);
  const bias = new Float64Array(classes);
  const scores = new Float64Array(classes);

  const probabilities = (ids: Int32Array): Float64Array => {
    scores.set(bias);
    for (const id of ids) for (let c = 0; c < classes; c += 1) scores[c]! += weights[id * classes + c]!;
    let max = -Infinity;
    for (const score of scores) max = Math.max(max, score);
    let sum = 0;
    for (let c = 0; c < classes; c += 1) sum += scores[c] = Math.exp(scores[c]! - max);
    for (let c = 0; c < classes; c += 1) scores[c]! /= sum;
    return scores;
  };

  // A fixed shuffle (a small linear congruential generator): the same model from the same examples.
  let seed = 1;
  const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const order = encoded.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rate = RATE / (1 + epoch * DECAY);
    for (const i of order) {
      const { features: ids, label } = encoded[i]!;
      if (label < 0) continue;
      const p = probabilities(ids);
      for (let c = 0; c < classes; c += 1) {
        const step = rate * (p[c]! - (c === label ? 1 : 0));
        bias[c]! -= step;
        for (const id of ids) weights[id * classes + c]! -= step;
      }
    }
  }

  return {
    rank(utterance) {
      const ids = Int32Array.from(features(utterance).flatMap((feature) => index.get(feature) ?? []));
      const p = probabilities(ids);
      return INTENTS.map((intent, c) => ({ intent, probability: p[c]! })).sort((a, b) => b.probability - a.probability);
    },
  };
}
