import { expect } from 'chai';
import { playLines } from '../../../bench/offline-agent/call.ts';
import type { ToolUse } from '../../../bench/offline-agent/score.ts';
import { createPeople, type People } from '../../../bench/offline-agent/world.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

// Wednesday 2 December 2026, 10:00 in New York; the caller's things are laid out by world.ts.
const NOW = new Date('2026-12-02T15:00:00Z');
const SATURDAY = new Date('2026-12-05T15:00:00Z');
const SUNDAY = new Date('2026-12-06T16:00:00Z');
const MONDAY = new Date('2026-12-07T15:00:00Z');
const NY = 'America/New_York';

describe('the offline agent, on what people actually say (issue #14)', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let people: People;

  before(async () => {
    database = await createTestDatabase();
    people = await createPeople(database.db);
  });
  after(() => database.drop());

  /** A fresh world, then the caller's lines through the real agent and tools; what each turn did and said. */
  async function call(lines: string[], now = NOW): Promise<{ heard: string[]; uses: ToolUse[][] }> {
    const exchanges = await playLines(database.db, people, lines, now, NY);
    return { heard: exchanges.map((e) => e.heard), uses: exchanges.map((e) => e.uses) };
  }

  const last = (uses: ToolUse[]): ToolUse | undefined => uses.at(-1);
  const todo = (title: string) => database.db('todos').where({ title }).first();
  const teamOf = async (title: string) => (await database.db('todos').join('teams', 'teams.id', 'todos.team_id').where({ title }).first('teams.name'))?.name;

  describe('questions without a keyword', () => {
    it('when the caller asks whether anything is left to do, then their open todos are read', async () => {
      const { uses, heard } = await call(['is there anything left I need to do']);
      expect(last(uses[0]!)).to.deep.include({ name: 'list_todos', args: { completed: false } });
      expect(heard[0]).to.match(/^You have 9 open todos: email Sarah about the budget/);
    });

    it('when the caller asks whether they are free on a day, then that day of the calendar is read', async () => {
      const { uses, heard } = await call(['am I free on Friday']);
      expect(last(uses[0]!)?.args).to.deep.equal({ from: '2026-12-04T00:00:00-05:00', to: '2026-12-05T00:00:00-05:00' });
      expect(heard[0]).to.equal('You have 2 events on Friday: Lunch with Alice at 12:30 PM and Dentist appointment at 4 PM.');
    });

    it('when the caller asks when something is, then only that event is answered', async () => {
      const { heard } = await call(['when is my dentist appointment']);
      expect(heard[0]).to.equal('Dentist appointment is Friday at 4 PM.');
    });
  });

  describe('targets named the way people name them', () => {
    it('when the caller says what they did in the past tense, then the todo it names is marked done', async () => {
      const { heard } = await call(['I called the dentist']);
      expect(heard[0]).to.equal('Marked call the dentist as done.');
      expect((await todo('call the dentist'))?.completed).to.equal(true);
    });

    it('when the caller names part of a title, "the one about" it, then that todo is the one changed', async () => {
      const { heard } = await call(['check off the one about the budget', 'make the car insurance urgent']);
      expect((await todo('email Sarah about the budget'))?.completed).to.equal(true);
      expect((await todo('renew the car insurance'))?.priority).to.equal('urgent');
      expect(heard[1]).to.equal('Updated renew the car insurance: the priority is now urgent.');
    });

    it('when two todos fit, then it asks which one, and "the second" settles it', async () => {
      const { heard } = await call(['tick off the call', 'the second']);
      expect(heard[0]).to.equal('Which one: call the dentist, or call the plumber about the leak?');
      expect((await todo('call the dentist'))?.completed).to.equal(false);
      expect(heard[1]).to.equal('Marked call the plumber about the leak as done.');
      expect((await todo('call the plumber about the leak'))?.completed).to.equal(true);
    });

    it('when nothing fits, then nothing changes and the caller hears so without quotes', async () => {
      const { heard, uses } = await call(['remove the todo about the dog']);
      expect(uses[0]!.map((use) => use.name)).to.deep.equal(['list_todos']);
      expect(heard[0]).to.equal("I couldn't find that on your list. Which todo?");
    });

    it('when the caller cancels an event by name or by its time, then that event is gone', async () => {
      const { heard } = await call(['cancel my lunch with Alice', "cancel my 3 o'clock"]);
      expect(heard).to.deep.equal([
        'Cancelled Lunch with Alice and took it off your calendar.',
        'Cancelled Call with the accountant and took it off your calendar.',
      ]);
      expect(await database.db('calendar_events').whereIn('title', ['Lunch with Alice', 'Call with the accountant'])).to.have.length(0);
    });

    it('when the caller moves an event by name, by a new time or by a shift, then it moves and keeps its length', async () => {
      const { heard } = await call(['move the design review to Friday at 2 pm', 'push lunch with Alice back an hour']);
      expect(heard[0]).to.equal('Moved Design review to Friday at 2 PM.');
      const review = await database.db('calendar_events').where({ title: 'Design review' }).first();
      expect([review.starts_at.toISOString(), review.ends_at.toISOString()]).to.deep.equal(['2026-12-04T19:00:00.000Z', '2026-12-04T20:00:00.000Z']);
      expect(heard[1]).to.equal('Moved Lunch with Alice to Friday at 1:30 PM.');
    });
  });

  describe('priorities as adjectives and pronouns as titles', () => {
    it('when a priority is said as an adjective, then it is the priority, not part of the title', async () => {
      await call(['add an urgent todo to fix the leaking tap']);
      expect(await todo('fix the leaking tap')).to.include({ priority: 'urgent' });
    });

    it('when the caller says "put that on my list" with nothing before, then it asks what, and stores no todo called "that"', async () => {
      const { heard } = await call(['put that on my list', 'buy stamps']);
      expect(heard[0]).to.equal('What should the todo say?');
      expect(await todo('that')).to.equal(undefined);
      expect(await todo('buy stamps')).to.not.equal(undefined);
    });

    it('when "that" points back within the sentence, then the todo is what it points at', async () => {
      await call(["I've got to finish the slides by Thursday, add that to my todos"]);
      expect((await todo('finish the slides'))?.due_at.toISOString()).to.equal('2026-12-03T14:00:00.000Z');
    });
  });

  it('when the caller asks about "this week" on a Sunday, then they hear the week ahead, not only today', async () => {
    const { uses } = await call(['what do I have this week'], SUNDAY);
    expect(last(uses[0]!)?.args).to.deep.equal({ from: '2026-12-06T00:00:00-05:00', to: '2026-12-14T00:00:00-05:00' });
  });

  describe('weeks and weekdays relative to today, on any day', () => {
    const cases: [string, Date, string, string][] = [
      ['what do I have this week', SATURDAY, '2026-12-05T00:00:00-05:00', '2026-12-14T00:00:00-05:00'],
      ['what do I have this week', MONDAY, '2026-12-07T00:00:00-05:00', '2026-12-14T00:00:00-05:00'],
      ['what does next week look like', SATURDAY, '2026-12-07T00:00:00-05:00', '2026-12-14T00:00:00-05:00'],
      ["what's on Monday", SATURDAY, '2026-12-07T00:00:00-05:00', '2026-12-08T00:00:00-05:00'],
    ];
    for (const [said, now, from, to] of cases) {
      it(`when the caller asks "${said}" on ${now.toISOString().slice(0, 10)}, then the calendar from ${from.slice(0, 10)} to ${to.slice(0, 10)} is read`, async () => {
        const { uses } = await call([said], now);
        expect(last(uses[0]!)).to.deep.include({ name: 'list_calendar_events', args: { from, to } });
      });
    }
  });

  it('when a length of time is said with a day and a part of it, then the event starts then and lasts that long', async () => {
    const { heard } = await call(['block off two hours on Monday afternoon for the workshop']);
    const event = await database.db('calendar_events').where({ title: 'the workshop' }).first();
    expect([event.starts_at.toISOString(), event.ends_at.toISOString()]).to.deep.equal(['2026-12-07T20:00:00.000Z', '2026-12-07T22:00:00.000Z']);
    expect(heard[0]).to.equal('Scheduled the workshop on Monday from 3 PM to 5 PM.');
  });

  describe('teams named loosely, or not at all', () => {
    it("when a team is named without the word team, then the todo goes to the caller's team of that name", async () => {
      const { heard } = await call(['add a task for eng to rotate the API keys']);
      expect(await teamOf('rotate the API keys')).to.equal('Engineering');
      expect(heard[0]).to.equal("Added rotate the API keys to the Engineering team's todos.");
    });

    it('when the name is none of their teams, then the todo is their own', async () => {
      await call(['add a todo for Sam to pick up the cake']);
      const added = await database.db('todos').where('title', 'like', '%pick up the cake%').first();
      expect(added).to.include({ team_id: null, creator_id: people.caller });
    });

    it('when no team is named, then it asks which of the teams they can add to, and the answer settles it', async () => {
      const { heard } = await call(['add a team todo to tidy the wiki', 'engineering']);
      expect(heard[0]).to.equal('Which one: Design, or Engineering?');
      expect(await teamOf('tidy the wiki')).to.equal('Engineering');
    });

    it('when "they" follows a team, then it is that team', async () => {
      const { uses } = await call(['who is on the marketing team', 'what are they working on']);
      expect(last(uses[1]!)).to.deep.include({ name: 'list_team_todos', args: { team: 'Marketing', completed: false } });
    });

    it("when a team's todo is named, then it is found among the caller's teams' todos too", async () => {
      const { heard } = await call(['the style guide is done']);
      expect(heard[0]).to.equal('Marked update the style guide as done.');
      expect((await todo('update the style guide'))?.completed).to.equal(true);
    });
  });

  describe('the same requests said other ways', () => {
    const cases: [string[], string, string][] = [
      [["the plumber's been called"], 'complete_todo', 'call the plumber about the leak'],
      [["the car insurance isn't that urgent"], 'update_todo', 'renew the car insurance'],
      [['what are my reminders', 'remove the first one'], 'delete_reminder', 'take the bins out'],
      [['cancel the one about my passport'], 'delete_reminder', 'renew my passport'],
      [["I can't make it to yoga"], 'delete_calendar_event', 'Yoga class'],
      [['I must remember to cancel the gym membership'], 'create_todo', 'cancel the gym membership'],
    ];
    for (const [lines, tool, target] of cases) {
      it(`when the caller says "${lines.at(-1)}", then ${tool} acts on "${target}"`, async () => {
        const { uses } = await call(lines);
        const used = last(uses.at(-1)!);
        const row = (used?.result.todo ?? used?.result.deleted ?? used?.result.reminder) as { title?: string; message?: string } | undefined;
        expect([used?.name, row?.title ?? row?.message]).to.deep.equal([tool, target]);
      });
    }

    it('when a priority is said of the thing, then it is that priority', async () => {
      await call(["the car insurance isn't that urgent"]);
      expect((await todo('renew the car insurance'))?.priority).to.equal('low');
    });
  });

  describe('what fresh phrasings showed (dev8, dev9)', () => {
    it('when an event is said with where it is, then the place is its location, not part of its title', async () => {
      const { uses } = await call(['add an event called board meeting on Monday at 9 in the conference room']);
      expect(last(uses[0]!)?.args).to.deep.equal({ title: 'board meeting', location: 'the conference room', starts_at: '2026-12-07T09:00:00-05:00' });
    });

    it('when the caller says what they have to do and asks for it in the diary, then it is an event, not a todo', async () => {
      const { uses } = await call(['I need to see the accountant on Friday at 11, put it in my calendar']);
      expect(last(uses[0]!)).to.deep.include({ name: 'create_calendar_event', args: { title: 'see the accountant', starts_at: '2026-12-04T11:00:00-05:00' } });
    });

    it('when the caller asks about a reminder for something, then only that reminder is read', async () => {
      const { heard } = await call(['is there a reminder about my passport']);
      expect(heard[0]).to.equal('Renew your passport, Friday, January 1st, 2027 at 9 AM.');
    });

    it('when the caller asks when their next meeting is, then what comes next is read', async () => {
      const { heard } = await call(["when's my next meeting"]);
      expect(heard[0]).to.match(/^You have 8 events between today at 10 AM and .*: Call with the accountant today at 3 PM,/);
    });

    it('when the caller complains about the assistant, then it is feedback, not a request for a person or a todo', async () => {
      const { uses } = await call(["I'd like to make a complaint, you keep mishearing me"]);
      expect(last(uses[0]!)).to.deep.include({ name: 'record_feedback', args: { comment: 'you keep mishearing me' } });
    });

    it('when the caller says "oops, delete that" after adding a todo, then that todo goes', async () => {
      const { uses } = await call(['add a todo to buy stamps', 'oops, delete that']);
      expect(last(uses[1]!)?.name).to.equal('delete_todo');
      expect(await todo('buy stamps')).to.equal(undefined);
    });

    it('when the caller answers our question about the time with a time alone, then the reminder is set', async () => {
      const { heard, uses } = await call(['remind me to feed the cat', 'at 6 tonight']);
      expect(heard[0]).to.equal('When should I remind you?');
      expect(last(uses[1]!)).to.deep.include({ name: 'create_reminder', args: { message: 'feed the cat', remind_at: '2026-12-02T18:00:00-05:00' } });
    });

    it('when a todo is said to be no longer a priority, then its priority is low', async () => {
      await call(["the flights aren't a priority any more"]);
      expect((await todo('book flights for the conference'))?.priority).to.equal('low');
    });

    it('when a todo is due by the end of the week, then it is due on Friday', async () => {
      const { uses } = await call(['add a todo to buy a new phone charger by the end of the week']);
      expect(last(uses[0]!)?.args).to.deep.equal({ title: 'buy a new phone charger', due_at: '2026-12-04T17:00:00-05:00' });
    });
  });

  describe('what held-out v3 and dev10 showed', () => {
    const event = (title: string) => database.db('calendar_events').where({ title }).orderBy('starts_at').first();
    const assigneeOf = async (title: string) => (await todo(title))?.assignee_id;

    it('when the caller asks for "the rest" of a list, then everything left is read, not one more page', async () => {
      const { heard } = await call(['what do I need to do', 'read me the rest']);
      expect(heard[1]).to.match(/water the plants\.$/);
      expect(heard[1]).not.to.match(/more; say more/);
    });

    it('when a team todo is for someone ("for Alice to", "give Priya a task", "assign it to me"), then it is assigned to them', async () => {
      await call([
        'add a design team todo for Alice to sign off the colour palette',
        'give Priya a task on engineering: write the migration guide',
        'add a todo for the engineering team and assign it to me: review the pull requests',
      ]);
      expect(await assigneeOf('sign off the colour palette')).to.equal(people.alice);
      expect(await assigneeOf('write the migration guide')).to.equal(people.priya);
      expect(await assigneeOf('review the pull requests')).to.equal(people.caller);
    });

    it('when the caller asks whether someone is on a team, then the answer is yes or no about them', async () => {
      const { heard } = await call(['is Victor on the design team', 'is Priya on the design team']);
      expect(heard).to.deep.equal(['Yes: Victor Viewer as a viewer, on the Design team.', "No, I don't see them on the Design team."]);
    });

    it('when the caller asks about their todos on a subject, then only those are read', async () => {
      const { heard } = await call(['do I need to do anything about the car']);
      expect(heard[0]).to.equal('Renew the car insurance, due Monday at 5 PM.');
    });

    it("when the caller asks whether a team has something done, then that todo is answered from the team's list", async () => {
      const { uses, heard } = await call(['has anyone on design done the business cards yet']);
      expect(last(uses[0]!)).to.deep.include({ name: 'list_team_todos', args: { team: 'Design', completed: true } });
      expect(heard[0]).to.equal('Order new business cards is done.');
    });

    it('when the caller asks where an event is, then its place is said', async () => {
      const { heard } = await call(["where's the design review"]);
      expect(heard[0]).to.equal('Design review is tomorrow at 10 AM in Room 4.');
    });

    it('when the caller asks what their roles are, then every team is said with the role, member too', async () => {
      const { heard } = await call(["what teams do I have access to, and what's my role in each"]);
      expect(heard[0]).to.equal("You're on 3 teams: Design as a member, Engineering as the owner and Marketing as a viewer.");
    });

    it('when an event moves to another day "at the same time", then it keeps its time of day', async () => {
      await call(["reschedule Monday's sync with Bob to Tuesday at the same time", 'move the dentist to Monday, same time']);
      expect((await event('Weekly sync with Bob'))?.starts_at.toISOString()).to.equal('2026-12-08T15:00:00.000Z');
      expect((await event('Dentist appointment'))?.starts_at.toISOString()).to.equal('2026-12-07T21:00:00.000Z');
    });

    it('when the caller asked about one thing, then "it" is that thing: moved, or marked done', async () => {
      const moved = await call(["when's my dentist appointment", 'can you move it an hour later']);
      expect(moved.heard[1]).to.equal('Moved Dentist appointment to Friday at 5 PM.');
      const done = await call(['when do I need to call the dentist by', 'well I just did it, so mark it done']);
      expect(done.heard[1]).to.equal('Marked call the dentist as done.');
    });

    it('when a reminder is asked for some time before an event, then it is set that long before the event starts', async () => {
      await call(['remind me an hour before my dentist appointment that I need to leave', 'when am I having lunch with Alice', 'remind me half an hour before']);
      const reminders = await database.db('reminders').whereIn('message', ['I need to leave', 'Lunch with Alice']).orderBy('remind_at');
      expect(reminders.map((r: { message: string; remind_at: Date }) => [r.message, r.remind_at.toISOString()])).to.deep.equal([
        ['Lunch with Alice', '2026-12-04T17:00:00.000Z'],
        ['I need to leave', '2026-12-04T20:00:00.000Z'],
      ]);
    });

    it('when a todo is renamed with "change X to Y", its deadline taken off, or a date said of it, then that is what changes', async () => {
      await call([
        'change buy a birthday present for Sam to buy a birthday present for Sam and Alex',
        "take the deadline off the flights one, there's no rush",
        'the plumber needs to be done by the 18th',
      ]);
      expect(await todo('buy a birthday present for Sam and Alex')).to.not.equal(undefined);
      expect((await todo('book flights for the conference'))?.due_at).to.equal(null);
      expect((await todo('call the plumber about the leak'))?.due_at.toISOString()).to.equal('2026-12-18T14:00:00.000Z');
    });

    it('when a reason follows the request, or a person is named another way ("mum"), then the target is still found', async () => {
      const { uses } = await call(["get rid of the design review tomorrow, we're doing it over email", 'scrap the one about mum']);
      expect(uses.map((turn) => last(turn)?.name)).to.deep.equal(['delete_calendar_event', 'delete_reminder']);
      expect(await event('Design review')).to.equal(undefined);
      expect(await database.db('reminders').where({ message: 'call mom' }).first()).to.equal(undefined);
    });

    it('when something is added from one time to another, then it is an event, even named after a team', async () => {
      const { uses } = await call(['add team drinks Friday, half five to seven, at the Crown']);
      expect(last(uses[0]!)?.args).to.deep.equal({ title: 'team drinks', location: 'the Crown', starts_at: '2026-12-04T17:30:00-05:00', ends_at: '2026-12-04T19:00:00-05:00' });
    });

    it('when the caller asks whether it does calendar stuff, or tells the developers something, then it says what it does, or takes the feedback', async () => {
      const { heard, uses } = await call(['can you do calendar stuff?', 'tell the developers the calendar bit is confusing']);
      expect(heard[0]).to.match(/^I can add and read your todos/);
      expect(last(uses[1]!)).to.deep.include({ name: 'record_feedback', args: { comment: 'the calendar bit is confusing' } });
    });
  });

  describe('what held-out v4 showed', () => {
    const event = (title: string) => database.db('calendar_events').where({ title }).orderBy('starts_at').first();
    const reminder = (message: string) => database.db('reminders').where({ message }).first();
    const writes = (uses: ToolUse[]) => uses.filter((use) => !use.name.startsWith('list_'));

    it('when a filler comes before "put that on my list", then it asks what, and no todo is called the filler', async () => {
      const { heard, uses } = await call(['Yeah, put that on my list.', 'okay so put it on my list']);
      expect(heard).to.deep.equal(['What should the todo say?', 'What should the todo say?']);
      expect(uses.flatMap(writes)).to.deep.equal([]);
      expect(await todo('Yeah')).to.equal(undefined);
    });

    it('when "put it on my to-do list too" follows a reminder, then the todo is what the reminder is about', async () => {
      await call(['Remind me tomorrow at 8 to pick up the cake', 'and put it on my to-do list too']);
      expect(await todo('pick up the cake')).to.not.equal(undefined);
      expect(await todo('it too')).to.equal(undefined);
    });

    it('when "wait, no, delete that" follows adding a todo, then that todo goes', async () => {
      const { uses } = await call(['Add get a new phone case to my list', 'wait, no, delete that']);
      expect(last(uses[1]!)?.name).to.equal('delete_todo');
      expect(await todo('get a new phone case')).to.equal(undefined);
    });

    it('when fillers come before a name ("oh man, yeah, scrap the quarterly planning meeting"), then that event is cancelled', async () => {
      const { uses } = await call(['Oh man, yeah, scrap the quarterly planning meeting']);
      expect(last(uses[0]!)?.name).to.equal('delete_calendar_event');
      expect(await event('Quarterly planning')).to.equal(undefined);
    });

    it('when "at 10 that morning" follows a question about Friday, then the event is on Friday', async () => {
      const { uses } = await call(["What's on my calendar Friday?", 'Okay, put a massage in at 10 that morning']);
      expect(last(uses[1]!)?.args).to.deep.include({ title: 'massage', starts_at: '2026-12-04T10:00:00-05:00' });
    });

    it('when the caller asks about part of a day ("is my afternoon clear", "tomorrow morning", "after five today"), then only those hours are read', async () => {
      const { uses, heard } = await call(['Let me see, is my afternoon clear?', "What's on tomorrow morning?", 'Is there anything on my schedule after five today?']);
      expect(uses.map((turn) => last(turn)?.args)).to.deep.equal([
        { from: '2026-12-02T12:00:00-05:00', to: '2026-12-02T17:00:00-05:00' },
        { from: '2026-12-03T00:00:00-05:00', to: '2026-12-03T12:00:00-05:00' },
        { from: '2026-12-02T17:00:00-05:00', to: '2026-12-03T00:00:00-05:00' },
      ]);
      expect(heard[0]).to.match(/Call with the accountant/);
      expect(heard[1]).to.match(/Design review/).and.not.match(/Yoga/);
      expect(heard[2]).not.to.match(/accountant/);
    });

    it("when the caller asks their role on a team, or a team's members or todos by a short or possessive name, then that team is answered", async () => {
      const { uses, heard } = await call([
        "What's my role on the marketing team?",
        'Who are the members of eng',
        "Read me design's task list",
        "What's due for engineering this week?",
      ]);
      expect(heard[0]).to.equal("You're on Marketing as a viewer.");
      expect(last(uses[1]!)).to.deep.include({ name: 'list_team_members', args: { team: 'Engineering' } });
      expect(last(uses[2]!)).to.deep.include({ name: 'list_team_todos', args: { team: 'Design', completed: false } });
      expect(last(uses[3]!)?.args).to.deep.include({ team: 'Engineering', due_after: '2026-12-02T00:00:00-05:00', due_before: '2026-12-07T00:00:00-05:00' });
      expect(heard[3]).to.match(/fix the login bug/).and.not.match(/build server/);
    });

    it('when the caller tells whoever made this something, then it is feedback', async () => {
      const { uses } = await call(['Tell whoever made this that it is really handy']);
      expect(last(uses[0]!)).to.deep.include({ name: 'record_feedback', args: { comment: 'it is really handy' } });
    });

    it('when the caller says "keep going" after two weeks of the calendar, then the list goes on', async () => {
      const { heard, uses } = await call(["What's on my calendar for the next two weeks?", 'keep going']);
      expect(last(uses[0]!)?.args).to.deep.equal({ from: '2026-12-02T00:00:00-05:00', to: '2026-12-16T00:00:00-05:00' });
      expect(heard[1]).to.match(/^Lunch with Alice/).and.not.match(/accountant/);
    });

    it('when the caller asks to mark a todo as not done, then nothing is marked and they hear it cannot be done', async () => {
      const { heard, uses } = await call(['Mark the budget email as not done']);
      expect(uses[0]!.flatMap((use) => (use.name === 'complete_todo' ? [use] : []))).to.deep.equal([]);
      expect(heard[0]).to.equal("Sorry, I can't mark a todo as not done yet. You can add it again as a new todo.");
      expect((await todo('email Sarah about the budget'))?.completed).to.equal(false);
    });

    it('when the caller asks whether they already did something, then it is a question, not marking it done', async () => {
      const { heard, uses } = await call(['Did I already do the expense report?']);
      expect(last(uses[0]!)?.name).to.equal('list_todos');
      expect(heard[0]).to.match(/expense report/);
    });

    it('when "put down" comes with "no due date", or a reason follows "clear out", then the todo is added undated, or deleted', async () => {
      const { uses } = await call(['Put down research summer camps for the kids, whenever, no due date', 'Clear out the email to Sarah, she already has the numbers']);
      expect(last(uses[0]!)).to.deep.include({ name: 'create_todo', args: { title: 'research summer camps for the kids' } });
      expect(last(uses[1]!)?.name).to.equal('delete_todo');
      expect(await todo('email Sarah about the budget')).to.equal(undefined);
    });

    it('when a reminder is named by when it goes off, then that one is deleted', async () => {
      const { uses } = await call(["Take off tomorrow's reminder", 'Cancel the reminder for Friday at 5']);
      expect(uses.map((turn) => last(turn)?.name)).to.deep.equal(['delete_reminder', 'delete_reminder']);
      expect(await reminder('call mom')).to.equal(undefined);
      expect(await reminder('pick up the dry cleaning')).to.equal(undefined);
      expect(await reminder('take the bins out')).to.not.equal(undefined);
    });

    it('when the caller asks when a reminder is, then only that reminder is answered', async () => {
      const { heard } = await call(["When's my passport reminder?"]);
      expect(heard[0]).to.match(/passport/).and.match(/January/).and.not.match(/bins/);
    });

    it('when a reminder is about an event "an hour before", or a clock time comes with "don\'t let me forget", then it is a reminder at that time', async () => {
      const { uses } = await call(['Remind me about the dentist appointment an hour before', "Don't let me forget to water the tree at 7:15 tonight"]);
      expect(last(uses[0]!)).to.deep.include({ name: 'create_reminder' });
      expect(last(uses[0]!)?.args).to.deep.include({ remind_at: '2026-12-04T15:00:00-05:00' });
      expect(last(uses[1]!)?.args).to.deep.equal({ message: 'water the tree', remind_at: '2026-12-02T19:15:00-05:00' });
    });
  });

  describe('requests it does not handle', () => {
    it('when the caller asks about the weather on a day, then no tool is called and the answer says what it can do', async () => {
      const { heard, uses } = await call(["what's the weather like on Friday"]);
      expect(uses[0]).to.deep.equal([]);
      expect(heard[0]).to.equal("Sorry, I can't help with that. You can ask about your todos, calendar, reminders or teams.");
    });

    it('when the caller has just heard a list, then the answer suggests what fits it', async () => {
      const { heard } = await call(['what are my reminders', 'book me a taxi to the station']);
      expect(heard[1]).to.equal("Sorry, I can't help with that. You can delete one of them, or say more.");
    });
  });

  it("when the caller asks for a team's todos, then they hear that team's, not their own", async () => {
    const { uses, heard } = await call(["what's on the design team's todo list"]);
    expect(last(uses[0]!)).to.deep.include({ name: 'list_team_todos', args: { team: 'design', completed: false } });
    expect(heard[0]).to.equal(
      'The Design team has 3 open todos: review the homepage mockups, due Friday at noon, prepare the client presentation, due Tuesday at noon and update the style guide.',
    );
  });

  describe('times said in words', () => {
    const cases: [string, string][] = [
      ['remind me at half past two to take my medicine', '2026-12-02T14:30:00-05:00'],
      ['remind me at quarter to five to leave for the airport', '2026-12-02T16:45:00-05:00'],
      ['remind me this evening to call the vet', '2026-12-02T18:00:00-05:00'],
    ];
    for (const [said, at] of cases) {
      it(`when the caller says "${said}", then the reminder is at ${at} and not asked back`, async () => {
        const { uses } = await call([said]);
        expect(last(uses[0]!)?.name).to.equal('create_reminder');
        expect(Date.parse(String(last(uses[0]!)?.args.remind_at))).to.equal(Date.parse(at));
      });
    }
  });

  describe('replies for the ear', () => {
    it('when a reminder is set in the caller\'s words, then "my" is said back as "your"', async () => {
      const { heard } = await call(['remind me to renew my library card tomorrow at 3 pm']);
      expect(heard[0]).to.equal("Okay, I'll remind you to renew your library card tomorrow at 3 PM.");
    });

    it('when team members are listed, then roles are said in words, with no brackets', async () => {
      const { heard } = await call(['who is on the design team']);
      expect(heard[0]).to.equal('The Design team has 4 members: Alice Martin as the owner, Bob Stone and you, and 1 more; say more to hear them.');
    });

    it('when a list is long, then three are read with how many are left, and "more" and "the second one" follow it', async () => {
      const { heard, uses } = await call(['what are my todos', 'more', 'more', 'more', 'mark the fifth one as done']);
      expect(heard[0]).to.match(/: email Sarah about the budget, due yesterday at noon, pay the electricity bill, due today at 5 PM and call the dentist, due tomorrow at 9 AM, and 6 more; say more to hear them\.$/);
      expect(heard[1]).to.match(/^Review the homepage mockups, due Friday at noon, call the plumber about the leak, .* and 3 more; say more to hear them\.$/);
      expect(heard[2]).to.match(/^Book flights for the conference, .*, buy a birthday present for Sam and water the plants\.$/);
      expect(heard[3]).to.equal("That's all of them.");
      expect(uses[1]).to.deep.equal([]);
      expect(heard[4]).to.equal('Marked call the plumber about the leak as done.');
    });

    it('when the caller is not understood twice, then the fallback is short, fits what they heard, and is not repeated', async () => {
      const { heard } = await call(['what are my reminders', 'purple elephants dancing', 'blah blah']);
      expect(heard[1]).to.equal("Sorry, I didn't get that. You can delete one of them, or say more.");
      expect(heard[2]).to.equal("Sorry, I still didn't get that. Say help to hear what I can do.");
      for (const said of heard.slice(1)) expect(said.split(' ').length).to.be.at.most(15);
    });

    it("when a tool refuses the arguments, then the tool runner's text is never spoken", async () => {
      const long = `add a todo to ${'really '.repeat(40)}long errand`;
      const { heard, uses } = await call([long]);
      expect(String(last(uses[0]!)?.result.error)).to.match(/^The arguments do not fit/);
      expect(heard[0]).to.equal("Sorry, I couldn't do that. Could you say it another way?");
    });
  });

  describe('what held-out v5 showed (after it was measured)', () => {
    it('when the caller bumps a todo to a day ("bump the electricity bill to tomorrow"), then its due date moves and its priority stays', async () => {
      const { uses } = await call(['Bump the electricity bill to tomorrow', 'bump up the electricity bill']);
      expect(last(uses[0]!)?.name).to.equal('update_todo');
      expect(last(uses[0]!)?.args).to.have.property('due_at').that.match(/^2026-12-03/);
      expect(last(uses[0]!)?.args).to.not.have.property('priority');
      // Said with no day, a bump is still a step up in priority.
      expect(last(uses[1]!)?.args).to.have.property('priority');
    });
  });

  describe('short context within the call', () => {
    it('when the caller says "mark it done" after adding a todo, then that todo is done', async () => {
      const { heard } = await call(['add a todo to return the library books', 'actually I already did that, mark it done']);
      expect(heard[1]).to.equal('Marked return the library books as done.');
    });

    it('when the caller says "move it to 10" after scheduling, then that event moves', async () => {
      const { heard } = await call(['schedule a call with the vet on Friday at 9', 'move it to 10']);
      expect(heard[1]).to.equal('Moved call with the vet to Friday at 10 AM.');
    });
  });
});
