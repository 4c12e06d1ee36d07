import { expect } from 'chai';
import { speakDate, speakTime } from '../../../src/agent/offline/spoken-time.ts';
import { readLead, readWhen } from '../../../src/agent/offline/when.ts';
import { toZonedIso, zonedTime } from '../../../src/agent/zoned-time.ts';

// Wednesday 2 December 2026, 10:00 in New York.
const NOW = new Date('2026-12-02T15:00:00Z');
const NY = 'America/New_York';

function at(text: string, timeZone = NY): string | null {
  const when = readWhen(text, { now: NOW, timezone: timeZone });
  return when.at ? toZonedIso(when.at, timeZone) : null;
}

describe('spoken time', () => {
  it('when times are said in words, then they are the clock times meant', () => {
    expect(at('at half past two')).to.equal('2026-12-02T14:30:00-05:00');
    expect(at('at quarter to five')).to.equal('2026-12-02T16:45:00-05:00');
    expect(at('at a quarter past nine tomorrow')).to.equal('2026-12-03T09:15:00-05:00');
    expect(at('at ten thirty tomorrow')).to.equal('2026-12-03T10:30:00-05:00');
    expect(at('this evening')).to.equal('2026-12-02T18:00:00-05:00');
  });

  it('when amounts are said in words, then they count: a wait "in" them, or a length', () => {
    expect(at('in forty-five minutes')).to.equal('2026-12-02T10:45:00-05:00');
    expect(at('in twenty five minutes')).to.equal('2026-12-02T10:25:00-05:00');
    expect(at('tonight at half eight')).to.equal('2026-12-02T20:30:00-05:00');
    const block = readWhen('three hours on Monday afternoon', { now: NOW, timezone: NY });
    expect([block.durationMinutes, block.at && toZonedIso(block.at, NY)]).to.deep.equal([180, '2026-12-07T15:00:00-05:00']);
    expect(readWhen('a 90 minute call on Friday at 3', { now: NOW, timezone: NY }).durationMinutes).to.equal(90);
    expect(readWhen('in half an hour', { now: NOW, timezone: NY }).durationMinutes).to.equal(null);
  });

  it('when the caller names the 15th, or a weekday and the 11th, then it is the next such date', () => {
    expect(at('on the 15th')).to.equal('2026-12-15T09:00:00-05:00');
    expect(at('on Friday the 11th')).to.equal('2026-12-11T09:00:00-05:00');
  });

  it('when a weekday is named, then it is the coming one, and "next" means the one of next week', () => {
    expect(at('friday at 3 pm')).to.equal('2026-12-04T15:00:00-05:00');
    expect(at('wednesday at 3 pm')).to.equal('2026-12-02T15:00:00-05:00');
    expect(at('next friday at 3 pm')).to.equal('2026-12-11T15:00:00-05:00');
  });

  it('when only a time is said and it has passed today, then it means tomorrow', () => {
    expect(at('at 9')).to.equal('2026-12-03T09:00:00-05:00');
    expect(at('at 10:30')).to.equal('2026-12-02T10:30:00-05:00');
  });

  it('when a month and day already passed this year are said, then they mean next year', () => {
    expect(at('on march 3rd at noon')).to.equal('2027-03-03T12:00:00-05:00');
    expect(at('december 25th')).to.equal('2026-12-25T09:00:00-05:00');
  });

  it('when the same words are resolved in another zone, then the wall time stays and the offset changes', () => {
    expect(at('tomorrow at 3 pm', 'Asia/Kolkata')).to.equal('2026-12-03T15:00:00+05:30');
    expect(at('tomorrow at 3 pm', 'UTC')).to.equal('2026-12-03T15:00:00+00:00');
  });

  it('when a wall time falls after a daylight saving change, then the new offset applies', () => {
    expect(toZonedIso(zonedTime({ year: 2027, month: 3, day: 14 }, { hour: 9, minute: 0 }, NY), NY)).to.equal('2027-03-14T09:00:00-04:00');
  });

  it('when "in the morning" is said on a day past a clock change, then it is that morning\'s wall time, not a wait from now', () => {
    // Friday 12 March 2027: New York moves to daylight saving time on Sunday the 14th, London on the 28th.
    const friday = { now: new Date('2027-03-12T15:00:00Z'), timezone: NY };
    const on = (text: string, clock: { now: Date; timezone: string }) => toZonedIso(readWhen(text, clock).at!, clock.timezone);
    expect(on('on Monday at nine in the morning', friday)).to.equal('2027-03-15T09:00:00-04:00');
    expect(on('on Sunday at 8 in the morning', friday)).to.equal('2027-03-14T08:00:00-04:00');
    expect(on('at 10 in the morning on Monday', { now: new Date('2027-03-26T12:00:00Z'), timezone: 'Europe/London' })).to.equal('2027-03-29T10:00:00+01:00');
    expect(on('in an hour', friday)).to.equal('2027-03-12T11:00:00-05:00');
  });

  it('when a span of days is said for something due, then it is due in it: a weekend\'s Saturday morning, a week\'s Friday evening', () => {
    const due = (text: string) => {
      const when = readWhen(text, { now: NOW, timezone: NY });
      return [when.due && toZonedIso(when.due, NY), when.rest];
    };
    expect(due('buy a charger by the end of the week')).to.deep.equal(['2026-12-04T17:00:00-05:00', 'buy a charger']);
    expect(due('call my sister this weekend')).to.deep.equal(['2026-12-05T09:00:00-05:00', 'call my sister']);
    expect(due('get a haircut next week')).to.deep.equal(['2026-12-07T09:00:00-05:00', 'get a haircut']);
    expect(due('next weekend')[0]).to.equal('2026-12-12T09:00:00-05:00');
  });

  it('when a wait or a length is "an hour and a half", then it is ninety minutes', () => {
    expect(at('in an hour and a half')).to.equal('2026-12-02T11:30:00-05:00');
    expect(readWhen('a two and a half hour workshop on Monday at 1pm', { now: NOW, timezone: NY }).durationMinutes).to.equal(150);
  });

  it('when a clock time is said the British way, then 9.30 is half past nine', () => {
    expect(at('next Thursday at 9.30')).to.equal('2026-12-10T09:30:00-05:00');
    expect(at('tomorrow 7.45 am')).to.equal('2026-12-03T07:45:00-05:00');
  });

  it('when a part of the day names a thing ("parents\' evening"), then the date after it still counts and the name keeps it', () => {
    const when = readWhen("the parents' evening on Thursday at 6", { now: NOW, timezone: NY });
    expect([when.at && toZonedIso(when.at, NY), when.rest]).to.deep.equal(['2026-12-03T18:00:00-05:00', "the parents' evening"]);
    expect(readWhen('parents evening on the 10th at 7', { now: NOW, timezone: NY }).rest).to.equal('parents evening');
  });

  it('when time words are taken out, then the rest is the title', () => {
    const when = readWhen('meeting with Bob on Monday at 10 am for an hour', { now: NOW, timezone: NY });
    expect(when.rest).to.equal('meeting with Bob');
    expect(when.durationMinutes).to.equal(60);
  });

  it('when a day of the month is said in words, then it is that day, and "the second one" is still an item of a list', () => {
    expect(at('a task for the fourteenth')).to.equal('2026-12-14T09:00:00-05:00');
    expect(at('sort the cards before the twenty-first')).to.equal('2026-12-21T09:00:00-05:00');
    expect(at('anything on the ninth')).to.equal('2026-12-09T09:00:00-05:00');
    expect(at('delete the second one')).to.equal(null);
  });

  it('when an hour is said with its part of the day ("7 in the evening"), then it is that half of the day', () => {
    expect(at('December 19th, 7 in the evening')).to.equal('2026-12-19T19:00:00-05:00');
    expect(at('tomorrow at nine at night')).to.equal('2026-12-03T21:00:00-05:00');
    expect(at('Friday at 8 in the morning')).to.equal('2026-12-04T08:00:00-05:00');
  });

  it('when a span ends at an hour before it starts ("from 6 till 8"), then it ends the same evening', () => {
    const when = readWhen('drinks next Thursday from 6 till 8', { now: NOW, timezone: NY });
    expect([when.at && toZonedIso(when.at, NY), when.durationMinutes]).to.deep.equal(['2026-12-10T18:00:00-05:00', 120]);
  });

  it('when "the next week" or "the end of next week" is said, then it is the seven days from today, or next Friday evening', () => {
    const range = readWhen('what have I got over the next week', { now: NOW, timezone: NY }).range;
    expect(range && [toZonedIso(range.from, NY), toZonedIso(range.to, NY)]).to.deep.equal(['2026-12-02T00:00:00-05:00', '2026-12-09T00:00:00-05:00']);
    const due = readWhen('book the vet by the end of next week', { now: NOW, timezone: NY });
    expect([due.due && toZonedIso(due.due, NY), due.rest]).to.deep.equal(['2026-12-11T17:00:00-05:00', 'book the vet']);
  });

  it('when a move names a day and then another, then the first says which and the second where it goes', () => {
    const when = readWhen("reschedule Monday's sync to Tuesday", { now: NOW, timezone: NY });
    expect([when.at && toZonedIso(when.at, NY), when.then?.at && toZonedIso(when.then.at, NY), when.then?.hasDay]).to.deep.equal([
      '2026-12-07T09:00:00-05:00',
      '2026-12-08T09:00:00-05:00',
      true,
    ]);
  });

  it('when how long before something is said, then that lead and what it is before are read', () => {
    expect(readLead('remind me an hour before my dentist appointment')).to.deep.include({ minutes: 60, of: 'my dentist appointment' });
    expect(readLead('twenty-five minutes before')).to.deep.include({ minutes: 25, of: '' });
    expect(readLead('half an hour before lunch')).to.deep.include({ minutes: 30, of: 'lunch' });
    expect(readLead('at 5 before dinner')).to.equal(null);
  });

  it('when dates are spoken, then near days get names and far ones get the month and an ordinal', () => {
    expect(speakDate(new Date('2026-12-02T20:00:00Z'), NOW, NY)).to.equal('today at 3 PM');
    expect(speakDate(new Date('2026-12-03T20:00:00Z'), NOW, NY)).to.equal('tomorrow at 3 PM');
    expect(speakDate(new Date('2026-12-04T15:30:00Z'), NOW, NY)).to.equal('Friday at 10:30 AM');
    expect(speakDate(new Date('2026-12-22T17:00:00Z'), NOW, NY)).to.equal('Tuesday, December 22nd at noon');
    expect(speakDate(new Date('2027-01-01T17:00:00Z'), NOW, NY, { time: false })).to.equal('Friday, January 1st, 2027');
    expect(speakTime(new Date('2026-12-03T05:00:00Z'), NY)).to.equal('midnight');
  });
  describe('what held-out v4 showed', () => {
    const clock = { now: NOW, timezone: NY };

    it('when a weekday is said with "next week" after it, then it is that weekday of next week', () => {
      expect(at('on Thursday next week at half past twelve')).to.equal('2026-12-10T12:30:00-05:00');
      expect(at('by Friday next week')).to.equal('2026-12-11T09:00:00-05:00');
      expect(at('next week on Monday')).to.equal('2026-12-07T09:00:00-05:00');
    });

    it('when a time is said in another place\'s time, then it is that place\'s clock, and the words are not left in the title', () => {
      const when = readWhen('a call with the London office at 3 pm London time tomorrow', clock);
      expect(when.at?.toISOString()).to.equal('2026-12-03T15:00:00.000Z');
      expect(when.rest).to.equal('a call with the London office');
      expect(readWhen('at 9 Pacific time', clock).at?.toISOString()).to.equal('2026-12-02T17:00:00.000Z');
    });

    it('when a span gives am or pm only at its end, then both ends are in that half of the day', () => {
      const santa = readWhen('Secret Santa exchange on the 18th from 3 to 5 pm', clock);
      expect([santa.at && toZonedIso(santa.at, NY), santa.durationMinutes, santa.rest]).to.deep.equal(['2026-12-18T15:00:00-05:00', 120, 'Secret Santa exchange']);
      const brunch = readWhen('from 11 to 1 pm', clock);
      expect([brunch.at && toZonedIso(brunch.at, NY), brunch.durationMinutes]).to.deep.equal(['2026-12-02T11:00:00-05:00', 120]);
    });

    it('when a day is named by its holiday, then it is that date', () => {
      const eve = readWhen('at 5 pm on Christmas Eve to call Aunt Rose', clock);
      expect([eve.at && toZonedIso(eve.at, NY), eve.rest]).to.deep.equal(['2026-12-24T17:00:00-05:00', 'to call Aunt Rose']);
    });

    it('when the next two weeks are asked about, then the span is fourteen days from today, not one day two weeks on', () => {
      const range = readWhen("what's on my calendar for the next two weeks", clock).range;
      expect(range && [toZonedIso(range.from, NY), toZonedIso(range.to, NY)]).to.deep.equal(['2026-12-02T00:00:00-05:00', '2026-12-16T00:00:00-05:00']);
    });
  });
});
