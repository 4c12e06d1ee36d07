import { expect } from 'chai';
import { seedDemo } from '../../src/db/seed.ts';
import { postWebhook } from '../../src/simulator/call.ts';
import { phoneCaller } from './phone-caller.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../telemetry/tail/otlp-receiver.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { completion, gate, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.ts';
import { spawnApp } from './spawned-app.ts';

const PIN = '7305';
const MODEL = 'gpt-fake';
const RESPONSE_MODEL = 'gpt-fake-2026'; // what the fake server answers it is, as a real one names a snapshot
const SAID = {
  todo: 'add a todo to call the dentist about my molar',
  calendar: 'what is on my calendar this week',
  slow: 'add a todo to renew the passport photographs',
  next: 'and what about the weekend plans',
  feedback: 'feedback: the calendar answer was spot on',
  goodbye: 'goodbye',
} as const;
const FEEDBACK_COMMENT = 'the calendar answer was spot on';
// Short, so the slow turn costs little; not so short that a cold first turn is redirected too.
const DEADLINE_MS = 800;

/** The OpenAI-backed app, spawned as `npm start` runs it, exporting OTLP to the local receiver. */
function appEnv(database: TestDatabase, otlp: OtlpReceiver, openai: FakeOpenAi, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: database.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OPENAI_API_KEY: 'sk-test-call-trace-0123456789abcdef',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_MODEL: MODEL,
    AGENT_TURN_TIMEOUT_MS: String(DEADLINE_MS),
    AGENT_MAX_REDIRECTS: '2',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    ...extra,
  };
}

const byStart = (a: ReceivedSpan, b: ReceivedSpan) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1);

function attribute(span: ReceivedSpan | undefined, key: string): unknown {
  return span?.attributes[key];
}

describe('one call, one trace: the scripted call through the real OTLP pipeline', function () {
  this.timeout(60_000);

  let database: TestDatabase;
  let phone: string;
  let userId: string;
  let otlp: OtlpReceiver;
  let openai: FakeOpenAi;
  let callSid: string;
  /** The call's webhook spans, in the order the webhooks were posted. */
  let webhooks: ReceivedSpan[];
  let sent: string;
  let stdout: string[];
  let forgedUrl: string;

  before(async () => {
    database = await createTestDatabase();
    ({ phone, user: { id: userId } } = await seedDemo(database.db, { pin: PIN }));
    otlp = await startOtlpReceiver();
    openai = await startFakeOpenAi();

    const app = await spawnApp(appEnv(database, otlp, openai));
    try {
      const call = phoneCaller(app.url, phone);
      callSid = call.callSid;
      await call.ring();
      await call.pin('0000');
      await call.pin(PIN);

      openai.script(
        completion({ toolCalls: [{ id: 'call_todo', name: 'create_todo', arguments: '{"title":"call the dentist about my molar"}' }] }),
        completion({ content: 'Added.' }),
      );
      await call.sayAndWait(SAID.todo); // a cold first turn on a loaded machine may be held

      openai.script(
        completion({ toolCalls: [{ id: 'call_calendar', name: 'list_calendar_events', arguments: '{}' }] }),
        completion({ content: 'You have two events this week.' }),
      );
      await call.sayAndWait(SAID.calendar);

      // The model holds its answer until the caller has been told to hold: a redirect, not a race.
      const slow = gate();
      openai.script(async () => {
        await slow.opened;
        return completion({ content: 'Done, sorry for the wait.' });
      });
      const held = await call.say(SAID.slow);
      expect(held.heard?.redirect, held.reply).to.match(/^\/voice\/turn\/result\?turn=[^&]+&seq=\d+&traceparent=/);
      slow.open();
      const collected = await call.post(held.heard!.redirect!);
      expect(collected.reply).to.equal('Done, sorry for the wait.');

      openai.script(completion({ content: 'Nothing planned for the weekend.' }));
      const next = await call.say(SAID.next);

      // A forger who has seen a URL of the call, trace context and all, but not the auth token.
      forgedUrl = next.heard!.gather!.action;
      const forged = await postWebhook(app.url, 'not-the-auth-token', forgedUrl, { CallSid: callSid, SpeechResult: 'delete all my todos' });
      expect(forged.status).to.equal(403);

      openai.script(
        completion({ toolCalls: [{ id: 'call_feedback', name: 'record_feedback', arguments: JSON.stringify({ comment: FEEDBACK_COMMENT }) }] }),
        completion({ content: 'Thanks for the feedback.' }),
      );
      await call.say(SAID.feedback);
      const bye = await call.say(SAID.goodbye);
      expect(bye.heard?.hangup).to.equal(true);
      await call.hangUp('42');
    } finally {
      // The app exits only after every pipeline has flushed: after this, all that will arrive has.
      expect(await app.stop('SIGTERM')).to.equal(0);
      stdout = app.stdout;
    }
    webhooks = otlp.spans
      .filter((span) => span.name.startsWith('voice_call.') && span.attributes['twilio.call_sid'] === callSid)
      .sort(byStart);
    sent = Buffer.concat(otlp.requests.map((request) => request.body)).toString('latin1');
  });

  after(async () => {
    await otlp?.close();
    await openai?.close();
    await database?.drop();
  });

  const childrenOf = (parent: ReceivedSpan | undefined) => otlp.spans.filter((span) => parent && span.parentSpanId === parent.spanId);
  const descendantsOf = (parent: ReceivedSpan | undefined): ReceivedSpan[] =>
    childrenOf(parent).flatMap((child) => [child, ...descendantsOf(child)]);
  /** The process_audio span of an utterance: turns were posted in the order of SAID. */
  const turnSaying = (words: string) =>
    webhooks.filter((span) => span.name === 'voice_call.process_audio')[Object.values(SAID).findIndex((said) => said === words)];
  const agentOf = (turn: ReceivedSpan | undefined) => childrenOf(turn).find((span) => span.name === 'invoke_agent convonet');
  const metric = (name: string) => otlp.metrics.filter((candidate) => candidate.name === name).at(-1);

  /** The HTTP server span a webhook's span runs under: its nearest SERVER ancestor. */
  const httpSpanOf = (span: ReceivedSpan | undefined): ReceivedSpan | undefined => {
    const parent = otlp.spans.find((candidate) => candidate.spanId === span?.parentSpanId);
    if (!parent) return undefined;
    return parent.kind === 2 && parent.attributes['http.route'] ? parent : httpSpanOf(parent);
  };

  it('when every webhook the TwiML named has run, then its HTTP span and everything under it are in the call\'s trace, each a child of the first webhook', () => {
    const turn = 'voice_call.process_audio';
    expect(webhooks.map((span) => span.name)).to.deep.equal([
      'voice_call.incoming',
      'voice_call.pin',
      'voice_call.pin',
      turn, // todo
      turn, // calendar
      turn, // slow: held
      'voice_call.collect_answer',
      turn, // next
      turn, // feedback
      turn, // goodbye
      'voice_call.status',
    ]);
    const [incoming, ...later] = webhooks;
    const callTrace = incoming!.traceId;
    const twimlDriven = later.filter((span) => span.name !== 'voice_call.status');
    for (const span of [incoming, ...twimlDriven]) {
      const http = httpSpanOf(span);
      expect(http?.attributes['http.route'], `${span?.name}'s HTTP span`).to.equal(span?.attributes['twilio.webhook']);
      expect(http?.traceId, `${span?.name}'s HTTP span`).to.equal(callTrace);
      expect(span?.links, `${span?.name} needs no link`).to.deep.equal([]);
      if (span !== incoming) expect(http?.parentSpanId, `${span?.name}'s HTTP span hangs off the call`).to.equal(incoming?.spanId);
    }
    // The first webhook's HTTP span is the root of the call's trace.
    expect(httpSpanOf(incoming)?.parentSpanId).to.equal(undefined);
    // Every span of that trace, koa, knex and the agent's included, is one of this call's.
    const inTrace = otlp.spans.filter((span) => span.traceId === callTrace);
    expect(inTrace.length).to.be.greaterThan(100);
    expect([...new Set(inTrace.map((span) => span.scope.name))]).to.include.members(['convonet', '@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-knex']);
  });

  it('when the status callback (set in the Twilio console, so its URL carries no trace) arrives, then its span continues the call\'s trace and links to its own HTTP span', () => {
    const status = webhooks.at(-1);
    expect(status?.traceId).to.equal(webhooks[0]?.traceId);
    expect(status?.parentSpanId).to.equal(webhooks[0]?.spanId);
    const http = otlp.spans.find((span) => span.spanId === status?.links[0]?.spanId);
    expect(http?.attributes).to.include({ 'http.route': '/voice/status', 'twilio.call_sid': callSid });
    expect(http?.traceId).not.to.equal(status?.traceId);
  });

  it('when a forged webhook carries the call\'s trace context in its URL, then it is refused and only its HTTP span joins the trace, with nothing under it but the refusal', () => {
    const forged = otlp.spans.filter((span) => span.kind === 2 && span.attributes['http.response.status_code'] === 403);
    expect(forged).to.have.length(1);
    expect(forged[0]?.traceId).to.equal(webhooks[0]?.traceId);
    expect(forgedUrl).to.match(/traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-01/);
    const under = descendantsOf(forged[0]);
    expect(under.filter((span) => span.scope.name !== '@opentelemetry/instrumentation-koa').map((span) => span.name)).to.deep.equal([]);
  });

  it('when a webhook is logged, then its line carries twilio.call_sid and the trace and span ids of its span in the call\'s trace', () => {
    const lines = stdout.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'webhook' && line['twilio.call_sid'] === callSid && line['convonet.webhook.outcome'] !== 'forged');
    expect(lines.map((line) => line.webhook)).to.have.length(webhooks.length);
    // Each line is written when its webhook answers, so lines and spans pair up by id, not by position.
    expect(lines.map((line) => [line.trace_id, line.span_id])).to.have.deep.members(webhooks.map((span) => [span.traceId, span.spanId]));
    const listening = stdout.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'listening');
    expect(listening).not.to.have.property('trace_id');
  });

  it('when the caller creates a todo, then the turn holds invoke_agent, its chat and execute_tool children, and one database span per query of the tool', () => {
    const turn = turnSaying(SAID.todo);
    const agent = agentOf(turn);
    const genAi = childrenOf(agent)
      .filter((span) => /^(chat|execute_tool) /.test(span.name))
      .sort(byStart)
      .map((span) => span.name);
    expect(genAi).to.deep.equal([`chat ${MODEL}`, 'execute_tool create_todo', `chat ${MODEL}`]);
    const tool = childrenOf(agent).find((span) => span.name === 'execute_tool create_todo');
    const queries = descendantsOf(tool).filter((span) => span.attributes['db.query.text'] !== undefined);
    expect(queries.map((span) => span.name)).to.include.members(['INSERT todos']);
    for (const query of queries) {
      expect(query.scope.name, query.name).to.equal('@opentelemetry/instrumentation-knex');
      const server = new URL(database.url);
      expect(query.attributes, query.name).to.include({
        'db.system.name': 'postgresql',
        'db.namespace': server.pathname.slice(1),
        'server.address': server.hostname,
        'server.port': Number(server.port || 5432),
      });
      expect(query.name).to.equal(query.attributes['db.query.summary']);
      expect(query.name.split(' ')[0]).to.equal(query.attributes['db.operation.name']).and.match(/^[A-Z]+$/);
    }
    // One span per query: no driver-level span repeats what the knex span says.
    expect(otlp.spans.filter((span) => span.scope.name === '@opentelemetry/instrumentation-pg')).to.deep.equal([]);
  });

  it("when a webhook has run, then Koa adds its route's span, with http.route, and none per middleware", () => {
    const koa = otlp.spans.filter((span) => span.scope.name === '@opentelemetry/instrumentation-koa');
    expect(koa.map((span) => span.attributes['koa.type'])).to.include('router');
    expect(koa.filter((span) => span.attributes['koa.type'] !== 'router').map((span) => span.name)).to.deep.equal([]);
    for (const span of koa) expect(span.attributes['http.route'], span.name).to.match(/^\/voice\//);
  });

  it('when a turn has run, then the turn, agent, chat and tool spans carry the GenAI and call attributes', async () => {
    const turn = turnSaying(SAID.todo);
    const agent = agentOf(turn);
    const [firstChat, lastChat] = childrenOf(agent).filter((span) => span.name.startsWith('chat '));
    const tool = childrenOf(agent).find((span) => span.name.startsWith('execute_tool'));
    const [firstThread] = await database.db('threads').where({ user_id: userId }).orderBy('created_at');

    expect(turn?.attributes).to.include({
      'twilio.call_sid': callSid,
      'enduser.pseudo.id': userId,
      'convonet.speech.confidence': 0.93,
      'convonet.transcript.length': SAID.todo.length,
    });
    expect(agent?.attributes).to.include({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'convonet',
      'gen_ai.provider.name': 'openai',
      'gen_ai.conversation.id': firstThread.id,
      'convonet.turn.end_reason': 'completed',
    });
    expect(firstChat?.attributes).to.include({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': RESPONSE_MODEL,
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 18,
    });
    const openaiServer = new URL(openai.baseURL);
    expect(firstChat?.attributes).to.include({
      'gen_ai.conversation.id': firstThread.id,
      'server.address': openaiServer.hostname,
      'server.port': Number(openaiServer.port),
    });
    expect(firstChat?.attributes['gen_ai.response.id']).to.match(/^chatcmpl-/);
    expect(firstChat?.kind).to.equal(3); // client
    expect(attribute(firstChat, 'gen_ai.response.finish_reasons')).to.deep.equal(['tool_calls']);
    expect(attribute(lastChat, 'gen_ai.response.finish_reasons')).to.deep.equal(['stop']);
    expect(tool?.attributes).to.include({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'create_todo',
      'gen_ai.tool.call.id': 'call_todo',
      'gen_ai.conversation.id': firstThread.id,
      'convonet.tool.outcome': 'success',
    });
    const calendarTool = childrenOf(agentOf(turnSaying(SAID.calendar))).find((span) => span.name.startsWith('execute_tool'));
    expect(calendarTool?.attributes).to.include({ 'gen_ai.tool.name': 'list_calendar_events', 'gen_ai.tool.call.id': 'call_calendar' });
  });

  it('when a turn outlives the deadline, then it warns "agent timeout" with the deadline and how long it ran, and ends as redirected', () => {
    const turn = turnSaying(SAID.slow);
    const timeout = turn?.events.find((event) => event.name === 'agent timeout');
    expect(timeout?.attributes).to.include({ 'convonet.agent.deadline_ms': DEADLINE_MS, 'twilio.call_sid': callSid });
    expect(timeout?.attributes['convonet.agent.elapsed_ms']).to.be.at.least(DEADLINE_MS);
    expect(attribute(agentOf(turn), 'convonet.turn.end_reason')).to.equal('redirected');
    // The webhook had already answered with a hold: the turn's late ending is kept on a span of its own.
    const finish = childrenOf(turn).find((span) => span.name === 'convonet.turn.finish');
    expect(finish?.attributes).to.include({ 'convonet.turn.end_reason': 'redirected', 'twilio.call_sid': callSid });

    const log = otlp.logs.find((record) => record.body === 'agent timeout');
    expect(log?.severityText.toUpperCase()).to.equal('WARN');
    expect(log?.traceId).to.equal(turn?.traceId);
  });

  it('when the caller speaks after a redirected turn, then the thread is reset for "timeout" and the turn talks in the fresh thread', async () => {
    const turn = turnSaying(SAID.next);
    const reset = turn?.events.find((event) => event.name === 'thread reset');
    expect(reset?.attributes['convonet.thread.reset_reason']).to.equal('timeout');
    const threads = await database.db('threads').where({ user_id: userId }).orderBy('created_at');
    expect(threads.map((thread) => thread.status)).to.deep.equal(['reset', 'active']);
    expect(reset?.attributes['gen_ai.conversation.id']).to.equal(threads[0].id);
    expect(attribute(agentOf(turn), 'gen_ai.conversation.id')).to.equal(threads[1].id);

    const log = otlp.logs.find((record) => record.body === 'thread reset');
    expect(log?.severityText.toUpperCase()).to.equal('INFO');
    expect(log?.traceId).to.equal(turn?.traceId);
  });

  it('when a PIN is wrong or the caller leaves feedback, then the trace and the logs say so, feedback by its stored id', async () => {
    const rejected = webhooks[1]?.events.find((event) => event.name === 'pin rejected');
    expect(rejected?.attributes).to.include({ 'convonet.pin.attempt': 1 });
    expect(otlp.logs.find((record) => record.body === 'pin rejected')?.severityText.toUpperCase()).to.equal('WARN');

    const [stored] = await database.db('feedback').where({ call_sid: callSid });
    expect(stored?.comment).to.equal(FEEDBACK_COMMENT);
    const feedback = turnSaying(SAID.feedback)?.events.find((event) => event.name === 'caller feedback');
    expect(feedback?.attributes['convonet.feedback.id']).to.equal(stored.id);
    expect(feedback?.attributes).not.to.have.property('convonet.feedback.comment');
    expect(otlp.logs.find((record) => record.body === 'caller feedback')?.traceId).to.equal(webhooks[0]?.traceId);
  });

  it('when metrics are exported, then every instrument has its conventional name, unit and attributes', () => {
    const expected: Record<string, string> = {
      'gen_ai.client.operation.duration': 's',
      'gen_ai.client.token.usage': '{token}',
      'convonet.turn.duration': 's',
      'convonet.tool.duration': 's',
      'convonet.calls': '{call}',
      'convonet.thread.resets': '{reset}',
      'convonet.agent.timeouts': '{timeout}',
      'convonet.pin.failures': '{attempt}',
    };
    for (const [name, unit] of Object.entries(expected)) {
      expect(metric(name)?.unit, name).to.equal(unit);
    }
    const points = (name: string, key: string) => new Set(metric(name)?.dataPoints.map((point) => point.attributes[key]));
    expect(points('gen_ai.client.token.usage', 'gen_ai.token.type')).to.deep.equal(new Set(['input', 'output']));
    expect(metric('gen_ai.client.operation.duration')?.dataPoints[0]?.attributes).to.include({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': RESPONSE_MODEL,
    });
    expect([...points('convonet.turn.duration', 'convonet.turn.outcome')]).to.include.members(['completed', 'redirected']);
    expect([...points('convonet.tool.duration', 'gen_ai.tool.name')]).to.include.members(['create_todo', 'list_calendar_events', 'record_feedback']);
    expect([...points('convonet.tool.duration', 'convonet.tool.outcome')]).to.deep.equal(['success']);
    expect([...points('convonet.calls', 'twilio.call.status')]).to.deep.equal(['completed']);
    expect([...points('convonet.thread.resets', 'convonet.thread.reset_reason')]).to.deep.equal(['timeout']);
    expect(metric('convonet.agent.timeouts')?.dataPoints[0]?.value).to.equal(1);
    expect(metric('convonet.pin.failures')?.dataPoints[0]?.value).to.equal(1);
  });

  it('when content capture is off, then no byte sent holds what the caller said or a transcript attribute', () => {
    expect(sent.length).to.be.greaterThan(10_000);
    for (const words of [...Object.values(SAID).filter((words) => words !== 'goodbye'), FEEDBACK_COMMENT, 'molar', 'passport']) {
      expect(sent.includes(words), `leaked: ${words}`).to.equal(false);
    }
    expect(sent).not.to.include('convonet.transcript"').and.not.to.include('convonet.feedback.comment');
    expect(otlp.spans.filter((span) => 'convonet.transcript' in span.attributes)).to.deep.equal([]);
  });

  describe('with TELEMETRY_CAPTURE_CONTENT=true', () => {
    it('when the caller speaks and leaves feedback, then the transcript and the comment are on the trace', async () => {
      otlp.reset();
      const app = await spawnApp(appEnv(database, otlp, openai, { TELEMETRY_CAPTURE_CONTENT: 'true', OTEL_METRICS_EXPORTER: 'none' }));
      let sid: string;
      try {
        const call = phoneCaller(app.url, phone);
        sid = call.callSid;
        await call.post('/voice/incoming', { CallStatus: 'ringing' });
        await call.post('/voice/pin', { Digits: PIN });
        openai.script(
          completion({ toolCalls: [{ id: 'call_feedback_2', name: 'record_feedback', arguments: JSON.stringify({ comment: FEEDBACK_COMMENT }) }] }),
          completion({ content: 'Thanks.' }),
        );
        await call.say(SAID.feedback);
      } finally {
        expect(await app.stop('SIGTERM')).to.equal(0);
      }
      const turn = otlp.spans.find((span) => span.name === 'voice_call.process_audio' && span.attributes['twilio.call_sid'] === sid);
      expect(turn?.attributes['convonet.transcript']).to.equal(SAID.feedback);
      const feedback = turn?.events.find((event) => event.name === 'caller feedback');
      expect(feedback?.attributes['convonet.feedback.comment']).to.equal(FEEDBACK_COMMENT);
    });
  });
});
