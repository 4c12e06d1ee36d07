import { expect } from 'chai';
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/knex.ts';
import { seedDemo } from '../../src/db/seed.ts';
import { createLogger } from '../../src/log.ts';
import { start } from '../../src/server.ts';
import { newCallSid, playCall } from '../../src/simulator/call.ts';
import { startTestApp, AUTH_TOKEN, type TestApp } from '../support/app.ts';

describe('a whole call, as Twilio plays it', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('when the caller adds a todo then asks for their todos, then they hear it confirmed, then listed', async () => {
    const callSid = newCallSid();
    const exchanges = await playCall({
      callSid,
      url: app.url,
      authToken: AUTH_TOKEN,
      from: app.demo.phone,
      pin: app.demo.pin,
      utterances: ['add a todo to buy milk', 'what are my todos', 'bye'],
    });
    const replies = exchanges.map((exchange) => exchange.reply);
    expect(exchanges.map((exchange) => exchange.webhook)).to.deep.equal([
      '/voice/incoming',
      '/voice/pin',
      '/voice/turn',
      '/voice/turn',
      '/voice/turn',
      '/voice/status',
    ]);
    expect(replies[2]).to.match(/buy milk/i);
    // Four seeded open todos and the one just added; the list is read three at a time.
    expect(replies[3]).to.match(/^You have 5 open todos/);
    expect(exchanges[4]?.heard?.hangup).to.equal(true);
    const call = await app.db('calls').where({ call_sid: callSid }).first();
    expect(call).to.include({ status: 'completed', user_id: app.demo.userId });
  });

  it('when a call is logged, then there is a line per webhook with its outcome, and no number or PIN', async () => {
    const callSid = newCallSid();
    await playCall({ callSid, url: app.url, authToken: AUTH_TOKEN, from: app.demo.phone, pin: app.demo.pin, utterances: ['bye'] });
    const lines = app.logs.filter((line) => line['twilio.call_sid'] === callSid && line.msg === 'webhook');
    expect(lines.map((line) => [line.webhook, line['convonet.webhook.outcome']])).to.deep.equal([
      ['/voice/incoming', 'greeted'],
      ['/voice/pin', 'pin_accepted'],
      ['/voice/turn', 'goodbye'],
      ['/voice/status', 'completed'],
    ]);
    expect(lines[0]?.from).to.equal('+•••••••0100');
    const everything = JSON.stringify(app.logs);
    expect(everything).to.not.include(app.demo.phone);
    expect(everything).to.not.match(new RegExp(`\\b${app.demo.pin}\\b`));
  });
});

describe('the embedded PGlite database', function () {
  this.timeout(60_000);

  it('when the app runs on PGlite, then migrations apply and a whole call works', async () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', PGLITE_DATA_DIR: 'memory', TWILIO_AUTH_TOKEN: AUTH_TOKEN });
    const db = createDb(config.database);
    const server = await start({ config, db, logger: createLogger('silent') });
    try {
      const tables = await db.raw<{ rows: { tablename: string }[] }>(`select tablename from pg_tables where schemaname = 'public'`);
      expect(tables.rows.map((row) => row.tablename)).to.include.members(['users', 'todos', 'turns', 'tool_executions']);
      const demo = await seedDemo(db, {});
      const exchanges = await playCall({
        url: server.url,
        authToken: AUTH_TOKEN,
        from: demo.phone,
        pin: demo.pin,
        utterances: ['add a todo to buy milk', 'what are my todos', 'delete the todo buy milk'],
      });
      expect(exchanges[2]?.reply).to.match(/buy milk/i);
      expect(exchanges[3]?.reply).to.match(/^You have 5 open todos/);
      // Row counts differ on PGlite; a delete must still be reported as done.
      expect(exchanges[4]?.reply).to.match(/deleted/i);
      expect(await db('todos').where({ title: 'buy milk' })).to.have.length(0);
    } finally {
      await server.stop();
      await db.destroy();
    }
  });
});
