import { expect } from 'chai';
import { secretsFromEnvironment } from '../../telemetry/config.ts';
import { createRedactor, REDACTED } from '../../telemetry/redaction/redaction.ts';

describe('telemetry redaction', () => {
  const redactor = createRedactor({ captureContent: false, hashKey: 'test-key', knownSecrets: ['twilio-secret-token-42'] });

  it('when a value holds an E.164 number, plain or URL-encoded, then it becomes the same keyed hash', () => {
    const plain = redactor.text('call from +15555550100 ended');
    const encoded = redactor.text('From=%2B15555550100&To=x');
    const hash = /tel:[0-9a-f]{16}/.exec(plain)?.[0];
    expect(hash).to.be.a('string');
    expect(encoded).to.include(hash!);
    expect(plain + encoded).not.to.include('5555550100');
  });

  it('when the hash key differs, then the hash differs', () => {
    const other = createRedactor({ captureContent: false, hashKey: 'another-key' });
    expect(other.text('+15555550100')).not.to.equal(redactor.text('+15555550100'));
  });

  it('when attributes hold content, then it is dropped unless capture is on', () => {
    const attributes: Record<string, unknown> = {
      'convonet.transcript': 'buy milk',
      'gen_ai.input.messages': '[]',
      'my.prompt': 'x',
      'convonet.transcript.length': 8,
      'gen_ai.usage.input_tokens': 12,
    };
    redactor.attributes(attributes);
    expect(attributes).to.deep.equal({ 'convonet.transcript.length': 8, 'gen_ai.usage.input_tokens': 12 });

    const capturing = createRedactor({ captureContent: true });
    const kept: Record<string, unknown> = { 'convonet.transcript': 'buy milk' };
    capturing.attributes(kept);
    expect(kept).to.deep.equal({ 'convonet.transcript': 'buy milk' });
  });

  it('when keys or values look secret, then the values never survive', () => {
    const attributes: Record<string, unknown> = {
      'http.request.header.authorization': ['Bearer abc.def.ghi'],
      'http.request.header.x-twilio-signature': ['c2lnbmF0dXJl'],
      'url.full': 'https://api.example.com/v1?api_key=k-123456&page=2',
      'db.connection_string': 'postgres://app:hunter2hunter2@db:5432/app',
      message: 'failed with Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl and sk-abcdefghijklmnopqrstu and twilio-secret-token-42',
    };
    redactor.attributes(attributes);
    expect(attributes['http.request.header.authorization']).to.equal(REDACTED);
    expect(attributes['http.request.header.x-twilio-signature']).to.equal(REDACTED);
    expect(attributes['url.full']).to.equal(`https://api.example.com/v1?api_key=${REDACTED}&page=2`);
    expect(attributes['db.connection_string']).to.equal(`postgres://app:${REDACTED}@db:5432/app`);
    expect(JSON.stringify(attributes)).not.to.match(/abc\.def|sk-abc|twilio-secret-token-42|hunter2/);
  });

  it("when a secret variable holds a short word (docker-compose's database password), then names containing it survive and it still leaves no URL", () => {
    const compose = createRedactor({ captureContent: false, knownSecrets: ['convonet', 'twilio-secret-token-42'] });
    const attributes: Record<string, unknown> = {
      'gen_ai.agent.name': 'convonet',
      'service.name': 'convonet',
      'db.namespace': 'convonet',
      'db.connection_string': 'postgres://convonet:convonet@db:5432/convonet',
      'exception.message': 'connect to postgres://convonet:convonet@db/convonet?password=convonet failed: twilio-secret-token-42',
    };
    compose.attributes(attributes);
    expect(attributes['gen_ai.agent.name']).to.equal('convonet');
    expect(attributes['service.name']).to.equal('convonet');
    expect(attributes['db.namespace']).to.equal('convonet');
    expect(attributes['db.connection_string']).to.equal(`postgres://convonet:${REDACTED}@db:5432/convonet`);
    expect(attributes['exception.message']).to.equal(
      `connect to postgres://convonet:${REDACTED}@db/convonet?password=${REDACTED} failed: ${REDACTED}`,
    );
  });

  it('when the same text is redacted again, then it is redacted the same way (repeated SQL, names)', () => {
    const sql = "select * from users where phone = '+15555550100' and token = 'twilio-secret-token-42'";
    const first = redactor.text(sql);
    const second = redactor.text(sql);
    expect(second).to.equal(first);
    expect(second).not.to.match(/5555550100|twilio-secret-token-42/);
    const attributes: Record<string, unknown> = { 'db.query.text': sql };
    redactor.attributes(attributes);
    expect(attributes['db.query.text']).to.equal(first);
  });

  it('when a Sentry event is walked, then nested strings and keys are redacted in place', () => {
    const event = {
      exception: { values: [{ value: 'no user for +15555550100' }] },
      request: { headers: { Authorization: 'Basic dXNlcjpwYXNz' }, query_string: 'Digits=1234' },
      extra: { transcript: 'call my mother' },
    };
    redactor.deep(event);
    expect(JSON.stringify(event)).not.to.match(/5555550100|dXNlcjpwYXNz|1234|mother/);
  });

  it('when the environment holds tokens and OTLP headers, then their values are known secrets', () => {
    const secrets = secretsFromEnvironment({
      TWILIO_AUTH_TOKEN: 'tok',
      OPENAI_API_KEY: 'sk-x',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%20def,other=1',
      DATABASE_URL: 'postgres://u:p%40ss@h/db',
      PATH: '/bin',
    });
    expect(secrets).to.include.members(['tok', 'sk-x', 'abc def', 'p@ss']);
    expect(secrets).not.to.include('/bin');
  });
});
