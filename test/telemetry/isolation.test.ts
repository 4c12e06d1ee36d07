import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { playCall } from '../../src/simulator/call.ts';
import { startBlackHole } from '../support/black-hole.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnApp, TWILIO_TOKEN } from './spawned-app.ts';

describe('telemetry isolation from its backends', function () {
  this.timeout(60_000);

  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database?.drop();
  });

  it('when the OTLP endpoint accepts and never answers, then webhooks answer normally, the outage is logged once, and shutdown completes', async () => {
    const { phone } = await seedDemo(database.db, { pin: '7302' });
    const blackHole = await startBlackHole();
    const app = await spawnApp({
      DATABASE_URL: database.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: blackHole.url,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      TELEMETRY_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    try {
      const utterances = ['add a todo to call the dentist', 'what are my todos', 'add a todo to water the plants'];
      const first = await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin: '7302', utterances });
      expect(first.every((exchange) => exchange.status >= 200 && exchange.status < 300)).to.equal(true);
      expect(first.some((exchange) => exchange.webhook.includes('/voice/turn') && exchange.reply.length > 0)).to.equal(true);

      await app.waitForLine(/^telemetry: otlp traces export failing/);
      // Still failing while more calls come in: no second line for the same outage.
      const second = await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin: '7302', utterances });
      expect(second.every((exchange) => exchange.status >= 200 && exchange.status < 300)).to.equal(true);
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
      await blackHole.close();
    }
    expect(app.stderr.filter((line) => line.startsWith('telemetry: otlp traces export failing'))).to.have.length(1);
    expect(app.stderr.filter((line) => /export recovered/.test(line))).to.have.length(0);
  });

  it('when Sentry accepts and never answers, then its requests time out, the outage is logged once for every kind of envelope, and shutdown completes', async () => {
    const { phone } = await seedDemo(database.db, { pin: '7303' });
    const blackHole = await startBlackHole();
    const app = await spawnApp({
      DATABASE_URL: database.url,
      SENTRY_DSN: `http://publickey@${new URL(blackHole.url).host}/1`,
      TELEMETRY_SENTRY_TIMEOUT_MS: '300',
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      TELEMETRY_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    try {
      // The turn fails (its table is gone): an error event for Sentry, beside the logs and spans.
      await database.db.raw('alter table turns rename to turns_away');
      try {
        const exchanges = await playCall({ url: app.url, authToken: TWILIO_TOKEN, from: phone, pin: '7303', utterances: ['what are my todos'] });
        expect(exchanges.every((exchange) => exchange.status >= 200 && exchange.status < 300)).to.equal(true);
      } finally {
        await database.db.raw('alter table turns_away rename to turns');
      }
      await app.waitForLine(/^telemetry: sentry export failing \(no answer within 300 ms\)/);
      await app.waitForLine(/^telemetry: sentry traces \(otlp\) export failing/);
    } finally {
      expect(await app.stop('SIGTERM')).to.equal(0);
      await blackHole.close();
    }
    expect(app.stderr.filter((line) => line.startsWith('telemetry: sentry export failing'))).to.have.length(1);
  });
});
