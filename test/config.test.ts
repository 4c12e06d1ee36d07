import { expect } from 'chai';
import { ConfigError, DEVELOPMENT_TWILIO_TOKEN, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('when nothing is set, then the app runs on its embedded defaults', () => {
    const config = loadConfig({});
    expect(config.database).to.deep.equal({ pgliteDir: '.data/pglite' });
    expect(config.agent.provider).to.equal('offline');
    expect(config.twilio).to.include({ authToken: DEVELOPMENT_TWILIO_TOKEN, developmentToken: true });
    expect(config.agent.turnTimeoutMs).to.equal(10_000);
  });

  it('when an OpenAI key is set, then the OpenAI provider is chosen unless overridden', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).agent.provider).to.equal('openai');
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', AGENT_PROVIDER: 'offline' }).agent.provider).to.equal('offline');
  });

  it('when production runs without its own Twilio token, then start-up is refused naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /TWILIO_AUTH_TOKEN/);
    expect(() => loadConfig({ NODE_ENV: 'production', TWILIO_AUTH_TOKEN: DEVELOPMENT_TWILIO_TOKEN })).to.throw(
      ConfigError,
      /TWILIO_AUTH_TOKEN/,
    );
  });

  it('when values are wrong, then every wrong variable is named at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TRANSFER_NUMBER: '555-0100', AGENT_TURN_TIMEOUT_MS: '20000' });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'TRANSFER_NUMBER', 'AGENT_TURN_TIMEOUT_MS']) expect(message).to.include(name);
    // One line, whatever is wrong, and no value: a wrong DATABASE_URL may hold a password.
    expect(message).to.not.include('\n').and.not.include('mysql://');
  });

  it('when AGENT_PROVIDER=openai has no key, or the time zone is unknown, then start-up is refused', () => {
    expect(() => loadConfig({ AGENT_PROVIDER: 'openai' })).to.throw(/OPENAI_API_KEY/);
    expect(() => loadConfig({ DEFAULT_TIMEZONE: 'Mars/Olympus' })).to.throw(/DEFAULT_TIMEZONE/);
  });
});
