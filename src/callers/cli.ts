// `npm run users`: the people who may call, on whatever database the environment points at.
import { setTimeout as sleep } from 'node:timers/promises';
import { exitWith, readCommandLine } from '../command-line.ts';
import { loadConfig, type Config } from '../config.ts';
import { EmbeddedDatabaseInUse } from '../db/embedded-lock.ts';
import { createDb, embeddedDirectory, migrate } from '../db/knex.ts';
import { ADD_YOURSELF } from '../db/seed.ts';
import { orExit } from '../start-failures.ts';
import { NotListening, sendCallerCommand } from './command-socket.ts';
import { callerCommand, CallerCommandError, describeInvalidCommand, runCallerCommand, type CallerCommand, type CallerSummary } from './commands.ts';

const usage = `Adds, lists and changes the people who may call, on the database the app uses
(DATABASE_URL, or the embedded one in PGLITE_DATA_DIR, default .data/pglite).

  npm run users -- add --phone +14155550123 --name "Ada Lovelace" --pin 2468 [--timezone Europe/London] [--email ada@example.com]
  npm run users -- list
  npm run users -- set-pin --phone +14155550123 --pin 1357
  npm run users -- remove --phone +14155550123

  --phone     the number they call from, E.164: + and the country code
  --name      how the assistant greets them
  --pin       4 to 8 digits, said or keyed in at the start of each call
  --timezone  IANA zone their dates are spoken in (default: DEFAULT_TIMEZONE, or UTC)
  --email     optional

list never shows PINs. set-pin also lifts a lock left by too many wrong PINs. remove deletes the
caller with their todos, reminders, events and conversations.
Works whether or not the app is running: while npm start holds the embedded database, the command
goes to the app itself. Exit codes: 0 done, 1 refused or failed (the line says why), 2 bad usage.`;

// How long to wait for a process holding the embedded database to start answering, or to let go.
const WAIT_FOR_HOLDER_MS = 20_000;

const { values, positionals } = readCommandLine({
  name: 'npm run users',
  usage,
  positionals: true,
  options: {
    phone: { type: 'string' },
    name: { type: 'string' },
    pin: { type: 'string' },
    timezone: { type: 'string' },
    email: { type: 'string' },
  },
});

const [verb, ...extra] = positionals;
if (verb === undefined || !['add', 'list', 'set-pin', 'remove'].includes(verb)) {
  exitWith(`${verb === undefined ? 'say what to do' : `unknown command "${verb}"`}: add, list, set-pin or remove (npm run users -- --help)`, 2);
}
if (extra.length > 0) exitWith(`unexpected "${extra[0]}": quote a value with spaces, as in --name "Ada Lovelace"`, 2);
const parsed = callerCommand.safeParse({ command: verb, ...values });
if (!parsed.success) exitWith(describeInvalidCommand(parsed.error), 2);
const command = parsed.data;

const config = await orExit(() => loadConfig());
try {
  print(command, await orExit(() => run(command, config), config));
} catch (error) {
  if (!(error instanceof CallerCommandError)) throw error;
  exitWith(error.message);
}

async function run(command: CallerCommand, config: Config): Promise<CallerSummary[]> {
  if ('pgliteDir' in config.database && config.database.pgliteDir === 'memory') {
    exitWith('PGLITE_DATA_DIR=memory lives and dies inside one app process: there are no callers to manage from here', 2);
  }
  const dir = embeddedDirectory(config.database);
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  let waiting = false;
  for (;;) {
    try {
      return await runHere(command, config);
    } catch (error) {
      if (!(error instanceof EmbeddedDatabaseInUse) || dir === null) throw error;
      try {
        return await sendCallerCommand(dir, command);
      } catch (notListening) {
        if (!(notListening instanceof NotListening)) throw notListening;
        // The holder is starting up, or is a script that will finish (npm run seed): wait a little.
        const holder = `pid ${error.holder.pid} (${error.holder.command})`;
        if (Date.now() > deadline) {
          exitWith(`the embedded database in ${dir} is held by ${holder}, which does not take caller commands: run this again once it has finished, or stop it`);
        }
        if (!waiting) process.stderr.write(`waiting for ${holder}, which holds the embedded database in ${dir}…\n`);
        waiting = true;
        await sleep(250);
      }
    }
  }
}

/** Opens the database itself: PostgreSQL always, the embedded one when no other process holds it. */
async function runHere(command: CallerCommand, config: Config): Promise<CallerSummary[]> {
  const db = createDb(config.database);
  try {
    await migrate(db);
    return await runCallerCommand(db, command, { defaultTimezone: config.agent.defaultTimezone });
  } finally {
    await db.destroy();
  }
}

function print(command: CallerCommand, callers: CallerSummary[]): void {
  const [caller] = callers;
  const who = caller ? `${caller.name} (${caller.phone})` : '';
  if (command.command === 'add') {
    console.log(`Added ${who}, time zone ${caller?.timezone}. Call your Twilio number from ${caller?.phone} and give the PIN you chose.`);
  } else if (command.command === 'set-pin') {
    console.log(`New PIN set for ${who}; any lock from wrong PINs is lifted.`);
  } else if (command.command === 'remove') {
    console.log(`Removed ${who} with their todos, reminders, events and conversations.`);
  } else if (callers.length === 0) {
    console.log(`No callers yet. ${ADD_YOURSELF}`);
  } else {
    const rows = [['phone', 'name', 'time zone', 'sign-in'], ...callers.map((c) => [c.phone, c.name, c.timezone, signIn(c)])];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  }
}

function signIn(caller: CallerSummary): string {
  if (!caller.active) return 'inactive';
  return caller.pinLockedUntil ? `PIN locked until ${caller.pinLockedUntil}` : 'ok';
}
