import { exitWith, readCommandLine } from '../command-line.ts';
import { loadConfig } from '../config.ts';
import { DEMO_PHONE } from '../db/seed.ts';
import { orExit } from '../start-failures.ts';
import { CallStopped, playCall, type CallScript, type Exchange } from './call.ts';
import { NotRelay, playRelayCall, RelayRefused, type RelayCallScript } from './relay.ts';

// Exit codes a script can tell apart.
const APP_UNREACHABLE = 1;
const USAGE = 2;
const WEBHOOK_REFUSED = 3;
const PIN_NOT_ACCEPTED = 4;

const usage = `Plays a phone call against the app, the way Twilio would.

  npm run call -- [options] "first thing to say" "second thing" ...

  --url URL     the app to call (default: start one in-process on an in-memory database)
  --pin PIN     the caller's PIN (default: the demo caller's, when the app is in-process)
  --from E164   the caller's number (default: the demo caller, ${DEMO_PHONE})
  --token T     the Twilio auth token the app checks (default: TWILIO_AUTH_TOKEN or the development token)
  --relay       talk on ConversationRelay (VOICE_MODE=relay) after the PIN: each reply is printed as it
                streams, token by token, with the milliseconds since the caller's words
  --json        one JSON object per exchange (and, with --relay, per reply) instead of a transcript

Exit codes: 0 the call went as scripted, ${APP_UNREACHABLE} the app could not be reached, ${USAGE} bad usage,
${WEBHOOK_REFUSED} the app refused a webhook (403: another auth token or URL), ${PIN_NOT_ACCEPTED} the app did not accept the PIN.`;

const { values, positionals } = readCommandLine({
  name: 'npm run call',
  usage,
  positionals: true,
  options: {
    url: { type: 'string' },
    pin: { type: 'string' },
    from: { type: 'string', default: DEMO_PHONE },
    token: { type: 'string' },
    json: { type: 'boolean', default: false },
    relay: { type: 'boolean', default: false },
  },
});

// Piped into `head` or `jq` that stopped reading: the reader has what it wanted.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const utterances = positionals.length ? positionals : ['what are my todos'];
const print = values.json
  ? (exchange: Exchange) => console.log(JSON.stringify(exchange))
  : (exchange: Exchange) => {
      if (exchange.caller) console.log(`caller › ${exchange.caller}`);
      if (exchange.webhook === '/voice/status') console.log(`        (call ended, status callback answered ${exchange.status})`);
      // Only TwiML is the app speaking to the caller; an HTTP error is explained below, in our own words.
      else if (exchange.heard) console.log(`  app  › ${exchange.reply}${exchange.heard.redirect ? '  [redirect]' : ''}${dialled(exchange)}`);
    };
const dialled = (exchange: Exchange) => (exchange.heard?.dial ? `  [dial ${exchange.heard.dial.number ?? exchange.heard.dial.sip}]` : '');
const milliseconds = (ms: number | null) => (ms === null ? '-' : `${Math.round(ms)} ms`);
const printReply: RelayCallScript['onReply'] = values.json
  ? (event) => {
      if ('done' in event) console.log(JSON.stringify({ reply: event.done.text, tokens: event.done.tokens, firstTextMs: event.done.firstTextMs, end: event.done.end }));
    }
  : (event) => {
      if ('caller' in event) console.log(`caller › ${event.caller}`);
      else if ('token' in event) console.log(`  app  › ${`+${Math.round(event.token.atMs)} ms`.padStart(8)}  ${event.token.token.trim()}`);
      else {
        const { done } = event;
        const lastMs = done.tokens.at(-1)?.atMs ?? null;
        console.log(`        (first words after ${milliseconds(done.firstTextMs)}, whole reply after ${milliseconds(lastMs)})`);
        if (done.end) console.log(`        (the app ended the session: ${done.end})`);
      }
    };

if (values.url) {
  if (!values.pin) {
    exitWith('--pin is required with --url: the PIN npm start printed for the demo caller, or the one you gave npm run users', USAGE);
  }
  // TWILIO_AUTH_TOKEN as the app reads it, or the development token.
  const authToken = values.token ?? (await orExit(() => loadConfig())).twilio.authToken;
  await call({ url: values.url, authToken, from: values.from, pin: values.pin, utterances, onExchange: print });
} else {
  // An app of our own, on a throwaway database, so the call never touches anyone's data.
  // Quiet unless LOG_LEVEL asks otherwise: the transcript is the output. Loaded only here, as
  // calling an app that already runs needs none of it.
  const [{ createDb }, { seedDemo }, { createLogger }, { start }] = await Promise.all([
    import('../db/knex.ts'),
    import('../db/seed.ts'),
    import('../log.ts'),
    import('../server.ts'),
  ]);
  const config = await orExit(() =>
    loadConfig({
      LOG_LEVEL: 'silent',
      ...process.env,
      ...(values.relay ? { VOICE_MODE: 'relay' } : {}),
      PORT: '0',
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory',
      DATABASE_URL: '',
    }),
  );
  const db = createDb(config.database);
  const server = await start({ config, db, logger: createLogger(config.logLevel) });
  const demo = await seedDemo(db, {});
  try {
    await call({ url: server.url, authToken: config.twilio.authToken, from: demo.phone, pin: demo.pin, utterances, onExchange: print });
  } finally {
    await server.stop();
    await db.destroy();
  }
}

/** Plays the call; what stopped it is said as the simulator, never as if the app had said it. */
async function call(script: CallScript): Promise<void> {
  try {
    if (values.relay) await playRelayCall({ ...script, onReply: printReply });
    else await playCall(script);
  } catch (error) {
    if (error instanceof NotRelay) exitWith(`simulator: ${error.message}; start it with VOICE_MODE=relay, or call without --relay`, WEBHOOK_REFUSED);
    if (error instanceof RelayRefused) {
      exitWith(`simulator: the app refused the ConversationRelay WebSocket with ${error.status}: its Twilio auth token, or the URL it expects (PUBLIC_BASE_URL), is not the one signed with`, WEBHOOK_REFUSED);
    }
    if (error instanceof CallStopped) {
      const { exchange } = error;
      if (error.reason === 'pin_rejected') {
        exitWith(
          `simulator: the app did not accept the PIN for ${script.from}: check --from and --pin (npm run users -- list shows the callers, set-pin gives one a new PIN)`,
          PIN_NOT_ACCEPTED,
        );
      }
      if (exchange.status === 403) {
        exitWith(
          `simulator: the app refused ${exchange.webhook} with 403: its Twilio auth token, or the URL it expects (PUBLIC_BASE_URL), is not the one signed with; pass the app's token with --token, and with PUBLIC_BASE_URL set, call that URL`,
          WEBHOOK_REFUSED,
        );
      }
      exitWith(`simulator: the app answered ${exchange.webhook} with ${exchange.status} ("${exchange.reply.slice(0, 120)}"): its log says why`, WEBHOOK_REFUSED);
    }
    // The usual newcomer's case: the app is not (or no longer) running there.
    if (!(error instanceof TypeError && error.message === 'fetch failed')) throw error;
    exitWith(`simulator: could not reach ${script.url}: is the app running there (npm start)?`, APP_UNREACHABLE);
  }
}
