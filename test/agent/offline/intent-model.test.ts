import { expect } from 'chai';
import { readContext } from '../../../src/agent/offline/context.ts';
import { developmentExamples } from '../../../src/agent/offline/examples.ts';
import { trainIntentModel, type Example } from '../../../src/agent/offline/intent-model.ts';
import { intentsOf, understand } from '../../../src/agent/offline/intents.ts';
import type { ChatMessage } from '../../../src/agent/messages.ts';
import { loadPhrasings } from '../../../bench/offline-agent/phrasings.ts';

// Wednesday 2 December 2026, 10:00 in New York.
const CLOCK = { now: new Date('2026-12-02T15:00:00Z'), timezone: 'America/New_York' };
const NONE = readContext([]);

/** A few examples of each kind, in words the rules do not know: what the model learns, the rules cannot. */
const EXAMPLES: Example[] = [
  ...['gimme the rundown of my chores', 'rundown of my chores please', 'what chores are in the rundown'].map((say) => ({ say, intent: 'list_todos' as const })),
  ...['zap my yoga class', 'zap the lunch', 'zap that appointment'].map((say) => ({ say, intent: 'cancel_calendar_event' as const })),
  ...['what is the weather', 'tell me a joke', 'play some music'].map((say) => ({ say, intent: 'fallback' as const })),
];

describe('the intent model (which request it is, learned from examples)', () => {
  it('when it is trained on examples, then a new utterance ranks first the kind whose words it shares', () => {
    const model = trainIntentModel(EXAMPLES);
    const [top] = model.rank('give me the rundown of my chores for today');
    expect(top?.intent).to.equal('list_todos');
    expect(top?.probability).to.be.greaterThan(0.6);
    expect(model.rank('zap the design review')[0]?.intent).to.equal('cancel_calendar_event');
  });

  it('when the same examples are trained on twice, then the two models rank alike', () => {
    const [a, b] = [trainIntentModel(EXAMPLES), trainIntentModel(EXAMPLES)];
    expect(a.rank('rundown of the chores')).to.deep.equal(b.rank('rundown of the chores'));
  });

  it('when the rules make nothing of the words and the model is sure, then the reader of its kind reads the details', () => {
    const model = trainIntentModel(EXAMPLES);
    expect(understand('gimme the rundown of my chores', CLOCK, NONE).kind).to.equal('unknown');
    const understood = understand('gimme the rundown of my chores', CLOCK, NONE, model);
    expect(understood).to.deep.include({ kind: 'call', tool: 'list_todos' });
  });

  it('when the model is sure of another kind the rules\' reading is unlikely to be, then it overrules them', () => {
    const model = trainIntentModel(EXAMPLES);
    // The rules read "lunch" as a meeting to list; the model, taught "zap", knows better.
    const understood = understand('zap the lunch with Alice', CLOCK, NONE, model);
    expect(intentsOf(understood)).to.deep.equal(['cancel_calendar_event']);
  });

  it('when a reading rests on the call so far, then the model, which reads the words alone, does not overrule it', () => {
    const model = trainIntentModel([...EXAMPLES, ...['zap the second one', 'zap the first one'].map((say) => ({ say, intent: 'list_todos' as const }))]);
    const heard: ChatMessage[] = [
      { role: 'user', content: 'what are my todos' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'list_todos', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: JSON.stringify({ todos: [{ id: 't1', title: 'buy milk' }, { id: 't2', title: 'call mom' }] }) },
      { role: 'assistant', content: 'You have 2 todos: buy milk and call mom.' },
    ];
    const understood = understand('delete the second one', CLOCK, readContext(heard), model);
    expect(understood.kind === 'find' && understood.find.reference).to.equal(1);
    expect(intentsOf(understood)).to.deep.equal(['delete_todo']);
  });

  it('when the model is trained, then it learns from the development phrasings alone, never the held-out ones', () => {
    const development = loadPhrasings('development');
    expect(developmentExamples()).to.deep.equal(development.map(({ say, intent }) => ({ say, intent })));
    expect(developmentExamples({ leaveOut: 'dev9' })).to.have.length(development.filter((p) => !p.id.startsWith('dev9.')).length);
  });
});
