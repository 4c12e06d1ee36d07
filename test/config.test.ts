import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';

const TWILIO_SHAPED = '0123456789abcdef0123456789abcdef';

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'convonet-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when nothing is set, then the app runs on its embedded defaults', () => {
    const config = loadConfig({ PGLITE_DATA_DIR: join(dataDir, 'pglite') });
    expect(config.database).to.deep.include({ pgliteDir: join(dataDir, 'pglite') });
    expect(config.agent.provider).to.equal('offline');
    expect(config.agent.turnTimeoutMs).to.equal(10_000);
    expect(config.webhookDeadlineMs).to.equal(14_000);
    expect(config.voiceMode).to.equal('gather');
  });

  it('when VOICE_MODE is relay, then calls go on to ConversationRelay; anything else is refused by name', () => {
    expect(loadConfig({ PGLITE_DATA_DIR: 'memory', VOICE_MODE: 'relay' }).voiceMode).to.equal('relay');
    expect(() => loadConfig({ PGLITE_DATA_DIR: 'memory', VOICE_MODE: 'websocket' })).to.throw(ConfigError, /VOICE_MODE/);
  });

  it('when no Twilio token is set, then a random one is made for the data directory, kept private, and reused', () => {
    const first = loadConfig({ PGLITE_DATA_DIR: join(dataDir, 'pglite') });
    const file = join(dataDir, 'twilio-dev-token');
    expect(first.twilio.developmentToken).to.deep.equal({ file });
    expect(first.twilio.authToken).to.match(/^[0-9a-f]{32}$/);
    expect(readFileSync(file, 'utf8').trim()).to.equal(first.twilio.authToken);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(loadConfig({ PGLITE_DATA_DIR: join(dataDir, 'pglite') }).twilio.authToken).to.equal(first.twilio.authToken);

    const elsewhere = mkdtempSync(join(tmpdir(), 'convonet-config-'));
    try {
      expect(loadConfig({ PGLITE_DATA_DIR: join(elsewhere, 'pglite') }).twilio.authToken).to.not.equal(first.twilio.authToken);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('when the development token cannot be kept, then start-up is refused with a line naming the directory', () => {
    writeFileSync(join(dataDir, 'a-file'), '');
    expect(() => loadConfig({ PGLITE_DATA_DIR: join(dataDir, 'a-file', 'pglite') })).to.throw(
      ConfigError,
      /^cannot keep the development token in .*a-file\/twilio-dev-token \((ENOTDIR|EEXIST)\): set PGLITE_DATA_DIR/,
    );
  });

  it('when the database is in memory, then the development token is fresh per process and nothing is written', () => {
    const a = loadConfig({ PGLITE_DATA_DIR: 'memory' });
    const b = loadConfig({ PGLITE_DATA_DIR: 'memory' });
    expect(a.twilio.developmentToken).to.deep.equal({ file: null });
    expect(a.twilio.authToken).to.not.equal(b.twilio.authToken);
  });

  it('when a Twilio token is set, then it is used and no development token is made', () => {
    const config = loadConfig({ PGLITE_DATA_DIR: join(dataDir, 'pglite'), TWILIO_AUTH_TOKEN: 'any-token-outside-production' });
    expect(config.twilio.authToken).to.equal('any-token-outside-production');
    expect(config.twilio.developmentToken).to.equal(undefined);
    expect(() => statSync(join(dataDir, 'twilio-dev-token'))).to.throw();
  });

  it('when an OpenAI key is set, then the OpenAI provider is chosen unless overridden', () => {
    const base = { PGLITE_DATA_DIR: 'memory' };
    expect(loadConfig({ ...base, OPENAI_API_KEY: 'sk-x' }).agent.provider).to.equal('openai');
    expect(loadConfig({ ...base, OPENAI_API_KEY: 'sk-x', AGENT_PROVIDER: 'offline' }).agent.provider).to.equal('offline');
  });

  it('when production runs without a Twilio-shaped token, then start-up is refused naming the variable', () => {
    const production = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://voice.example.com', PGLITE_DATA_DIR: join(dataDir, 'pglite') };
    for (const token of [undefined, 'x', 'convonet-development-token', TWILIO_SHAPED.toUpperCase(), `${TWILIO_SHAPED}0`]) {
      expect(() => loadConfig({ ...production, TWILIO_AUTH_TOKEN: token }), String(token)).to.throw(ConfigError, /TWILIO_AUTH_TOKEN/);
    }
    expect(loadConfig({ ...production, TWILIO_AUTH_TOKEN: TWILIO_SHAPED }).twilio.authToken).to.equal(TWILIO_SHAPED);
    expect(() => statSync(join(dataDir, 'twilio-dev-token')), 'no development token in production').to.throw();
  });

  it('when production does not say which URL Twilio calls, then start-up is refused unless TRUST_PROXY is on', () => {
    const production = { NODE_ENV: 'production', TWILIO_AUTH_TOKEN: TWILIO_SHAPED };
    expect(() => loadConfig(production)).to.throw(ConfigError, /PUBLIC_BASE_URL/);
    expect(loadConfig({ ...production, TRUST_PROXY: 'true' }).twilio.trustProxy).to.equal(true);
  });

  it('when values are wrong, then every wrong variable is named at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        TRANSFER_NUMBER: '555-0100',
        AGENT_TURN_TIMEOUT_MS: '20000',
        WEBHOOK_DEADLINE_MS: '15000',
        DATABASE_POOL_MAX: '0',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'TRANSFER_NUMBER', 'AGENT_TURN_TIMEOUT_MS', 'WEBHOOK_DEADLINE_MS', 'DATABASE_POOL_MAX']) {
      expect(message).to.include(name);
    }
    // One line, whatever is wrong, and no value: a wrong DATABASE_URL may hold a password.
    expect(message).to.not.include('\n').and.not.include('mysql://');
  });

  it('when the turn timeout leaves no time to answer before the webhook deadline, then start-up is refused', () => {
    expect(() => loadConfig({ PGLITE_DATA_DIR: 'memory', WEBHOOK_DEADLINE_MS: '3000', AGENT_TURN_TIMEOUT_MS: '2500' })).to.throw(
      ConfigError,
      /AGENT_TURN_TIMEOUT_MS/,
    );
  });

  it('when AGENT_PROVIDER=openai has no key, or the time zone is unknown, then start-up is refused', () => {
    expect(() => loadConfig({ PGLITE_DATA_DIR: 'memory', AGENT_PROVIDER: 'openai' })).to.throw(/OPENAI_API_KEY/);
    expect(() => loadConfig({ PGLITE_DATA_DIR: 'memory', DEFAULT_TIMEZONE: 'Mars/Olympus' })).to.throw(/DEFAULT_TIMEZONE/);
  });
});
