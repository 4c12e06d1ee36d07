import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { createDb } from '../db/knex.ts';
import { DEMO_PHONE, seedDemo } from '../db/seed.ts';
import { createLogger } from '../log.ts';
import { start } from '../server.ts';
import { playCall, type Exchange } from './call.ts';

const usage = `Plays a phone call against the app, the way Twilio would.

  npm run call -- [options] "first thing to say" "second thing" ...

  --url URL     the app to call (default: start one in-process on an in-memory database)
  --pin PIN     the caller's PIN (default: the demo caller's, when the app is in-process)
  --from E164   the caller's number (default: the demo caller, ${DEMO_PHONE})
  --token T     the Twilio auth token the app checks (default: TWILIO_AUTH_TOKEN or the development token)
  --json        one JSON object per exchange instead of a transcript`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    pin: { type: 'string' },
    from: { type: 'string', default: DEMO_PHONE },
    token: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const utterances = positionals.length ? positionals : ['what are my todos'];
const print = values.json
  ? (exchange: Exchange) => console.log(JSON.stringify(exchange))
  : (exchange: Exchange) => {
      if (exchange.caller) console.log(`caller › ${exchange.caller}`);
      if (exchange.webhook === '/voice/status') console.log(`        (call ended, status callback answered ${exchange.status})`);
      else console.log(`  app  › ${exchange.reply || `(${exchange.status})`}${exchange.heard?.redirect ? '  [redirect]' : ''}`);
    };

if (values.url) {
  if (!values.pin) {
    console.error('--pin is required with --url: the demo PIN that npm start (or npm run seed) printed');
    process.exit(2);
  }
  // TWILIO_AUTH_TOKEN as the app reads it, or the development token.
  const authToken = values.token ?? loadConfig().twilio.authToken;
  try {
    await playCall({ url: values.url, authToken, from: values.from, pin: values.pin, utterances, onExchange: print });
  } catch (error) {
    // The usual newcomer's case: the app is not (or no longer) running there.
    if (!(error instanceof TypeError && error.message === 'fetch failed')) throw error;
    console.error(`Could not reach ${values.url}: is the app running there (npm start)?`);
    process.exit(1);
  }
} else {
  // An app of our own, on a throwaway database, so the call never touches anyone's data.
  // Quiet unless LOG_LEVEL asks otherwise: the transcript is the output.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    PGLITE_DATA_DIR: 'memory',
    DATABASE_URL: '',
  });
  const db = createDb(config.database);
  const server = await start({ config, db, logger: createLogger(config.logLevel) });
  const demo = await seedDemo(db, {});
  try {
    await playCall({
      url: server.url,
      authToken: config.twilio.authToken,
      from: demo.phone,
      pin: demo.pin,
      utterances,
      onExchange: print,
    });
  } finally {
    await server.stop();
    await db.destroy();
  }
}
