import { expect } from 'chai';
import { callerCommand, describeInvalidCommand } from '../../src/callers/commands.ts';

/** What `npm run users` would print for these options, or the command they make. */
function read(options: Record<string, string>) {
  const parsed = callerCommand.safeParse(options);
  return parsed.success ? parsed.data : describeInvalidCommand(parsed.error);
}

describe('caller commands', () => {
  it('when a number is written the way people write them, then it becomes E.164', () => {
    expect(read({ command: 'remove', phone: '+44 (20) 7946-0958' })).to.deep.equal({ command: 'remove', phone: '+442079460958' });
    expect(read({ command: 'add', phone: '+14155550123', name: '  Ada Lovelace ', pin: '24680135' })).to.deep.equal({
      command: 'add',
      phone: '+14155550123',
      name: 'Ada Lovelace',
      pin: '24680135',
    });
  });

  it('when an option is wrong or missing, then the message names it and says what it must be', () => {
    const add = { command: 'add', phone: '+14155550123', name: 'Ada', pin: '2468' };
    expect(read({ ...add, phone: '4155550123' })).to.equal('--phone must be an E.164 number: + and the country code, such as +14155550123');
    expect(read({ ...add, phone: '+0123456789' })).to.match(/^--phone must be an E\.164 number/);
    expect(read({ ...add, pin: '123' })).to.equal('--pin must be 4 to 8 digits');
    expect(read({ ...add, pin: '123456789' })).to.equal('--pin must be 4 to 8 digits');
    expect(read({ ...add, pin: '12a4' })).to.equal('--pin must be 4 to 8 digits');
    expect(read({ ...add, name: '   ' })).to.equal('--name must not be empty');
    expect(read({ ...add, name: 'x'.repeat(101) })).to.equal('--name must be at most 100 characters');
    expect(read({ ...add, timezone: 'Mars/Olympus' })).to.equal('--timezone must be an IANA time zone, such as Europe/London');
    expect(read({ ...add, email: 'ada' })).to.equal('--email must be an email address');
    expect(read({ command: 'add', phone: '+14155550123', pin: '2468' })).to.equal('--name is required');
    expect(read({ command: 'set-pin', phone: '+14155550123' })).to.equal('--pin is required');
    expect(read({ command: 'list', phone: '+14155550123' })).to.equal('this command takes no --phone');
  });
});
