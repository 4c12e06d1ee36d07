// `npm run stack` as a developer runs it (collector/stack.ts, on free ports here): Jaeger built from
// its Go module and Debian's Prometheus with the project's configuration, behind the built collector.
// A call goes through the collector; Jaeger's and Prometheus's own query APIs must find it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startProcess, type LocalProcess } from '../../collector/processes.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, freeAddresses, needs, placeCall } from './local-backends.ts';

interface JaegerTrace {
  traceID: string;
  spans: { operationName: string; tags: { key: string; value: unknown }[] }[];
  processes: Record<string, { serviceName: string }>;
}

interface PrometheusAnswer<T> {
  status: string;
  data: T;
}

function spawnStack(addresses: Awaited<ReturnType<typeof freeAddresses>>, dir: string): LocalProcess {
  return startProcess('stack', process.execPath, ['--import', 'tsx', 'collector/stack.ts'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...addresses,
    STACK_DIR: dir,
    // Quick, so the test waits on data rather than on timers: every trace kept, decided in a second, scraped every second.
    TAIL_SAMPLING_PERCENT: '100',
    TAIL_SAMPLING_DECISION_WAIT: '1s',
    PROMETHEUS_SCRAPE_INTERVAL: '1s',
  });
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe('npm run stack: the collector, Jaeger and Prometheus as local processes', function () {
  this.timeout(120_000);

  let dir: string;
  let addresses: Awaited<ReturnType<typeof freeAddresses>>;
  let stack: LocalProcess;
  let database: TestDatabase;
  let callSid: string;

  const jaeger = (query: string) => `http://${addresses.JAEGER_QUERY_HTTP_ENDPOINT}${query}`;
  const prometheus = async <T>(query: string): Promise<T> => {
    const answer = (await (await fetch(`http://${addresses.PROMETHEUS_LISTEN_ADDRESS}${query}`)).json()) as PrometheusAnswer<T>;
    expect(answer.status, query).to.equal('success');
    return answer.data;
  };

  before(async function () {
    needs(this, 'collector', 'jaeger', 'prometheus');
    dir = mkdtempSync(path.join(tmpdir(), 'convonet-stack-'));
    addresses = await freeAddresses();
    stack = spawnStack(addresses, dir);
    await stack.waitForLine(/^stack: ready/, 60_000);
    database = await createTestDatabase();
    callSid = await placeCall(database, addresses.COLLECTOR_OTLP_HTTP_ENDPOINT);
  });

  after(async () => {
    await stack?.stop();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("when a call went through the collector, then Jaeger's query API finds its trace by twilio.call_sid", async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'twilio.call_sid': callSid }));
    const call = await eventually('the call trace in Jaeger', async () => {
      const response = (await (await fetch(jaeger(`/api/traces?service=convonet&tags=${tags}&lookback=1h&limit=50`))).json()) as { data: JaegerTrace[] };
      // The call's own trace, rooted at its first webhook; each webhook's HTTP span, in a trace of its own, carries the sid too.
      const found = response.data.find((candidate) => candidate.spans.some((span) => span.operationName === 'voice_call.status'));
      return found;
    });
    const names = call.spans.map((span) => span.operationName);
    expect(names).to.include.members(['voice_call.incoming', 'voice_call.pin', 'voice_call.process_audio', 'invoke_agent convonet', 'execute_tool create_todo']);
    expect(Object.values(call.processes).map((process) => process.serviceName)).to.include('convonet');
    const incoming = call.spans.find((span) => span.operationName === 'voice_call.incoming');
    expect(incoming?.tags).to.deep.include({ key: 'twilio.call_sid', type: 'string', value: callSid });
  });

  it("when Prometheus scrapes the collector, then its query API has the call's turn metrics", async () => {
    type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    const turns = await eventually('convonet_turn_duration_seconds_count in Prometheus', async () => {
      const data = await prometheus<Vector>(`/api/v1/query?query=${encodeURIComponent('convonet_turn_duration_seconds_count')}`);
      return data.result.length > 0 ? data.result : undefined;
    });
    // The collector's exporter labels each series with its service (honor_labels keeps that over the scrape job's name).
    expect(turns.map((series) => series.metric['job'])).to.include('convonet');
    expect(turns.map((series) => series.metric['convonet_turn_outcome'])).to.include('completed');
    expect(turns.reduce((total, series) => total + Number(series.value[1]), 0)).to.be.greaterThan(0);
  });

  it('when Prometheus has started, then the alert rules are loaded and evaluated', async () => {
    type Rules = { groups: { file: string; rules: { type: string; name: string; health: string }[] }[] };
    const alerts = await eventually('every alert rule evaluated once', async () => {
      const data = await prometheus<Rules>('/api/v1/rules?type=alert');
      const rules = data.groups.flatMap((group) => group.rules);
      return rules.length > 0 && rules.every((rule) => rule.health === 'ok') ? rules : undefined;
    });
    expect(alerts.map((rule) => rule.name)).to.include.members([
      'ConvonetErrorRateRising',
      'ConvonetSlowTurns',
      'ConvonetThreadResetsAboveNormal',
      'ConvonetAgentTimeoutsAboveNormal',
    ]);
  });

  it('when the stack gets Ctrl-C, then it stops the collector, Prometheus and Jaeger and exits 0', async () => {
    expect(await stack.stop('SIGINT')).to.equal(0);
    expect(stack.output).to.include('stack: stopped');
    for (const url of [`http://${addresses.COLLECTOR_HEALTH_ENDPOINT}/`, jaeger('/api/services'), `http://${addresses.PROMETHEUS_LISTEN_ADDRESS}/-/ready`]) {
      expect(await refused(url), `${url} still answers`).to.equal(true);
    }
  });
});

describe('npm run stack, when a process cannot start', function () {
  this.timeout(60_000);

  before(function () {
    needs(this, 'collector', 'jaeger', 'prometheus');
  });

  it("when the collector's port is taken, then the stack says so, stops Jaeger and Prometheus and exits 1", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'convonet-stack-'));
    const addresses = await freeAddresses();
    const squatter = createServer();
    const [host, port] = addresses.COLLECTOR_OTLP_HTTP_ENDPOINT.split(':');
    await new Promise<void>((resolve) => squatter.listen(Number(port), host, resolve));
    try {
      const stack = spawnStack(addresses, dir);
      expect(await stack.exited).to.equal(1);
      expect(stack.output.join('\n')).to.match(/^stack: collector exited \(code 1\) before/m).and.to.include('address already in use');
      expect(await refused(`http://${addresses.JAEGER_QUERY_HTTP_ENDPOINT}/api/services`)).to.equal(true);
      expect(await refused(`http://${addresses.PROMETHEUS_LISTEN_ADDRESS}/-/ready`)).to.equal(true);
    } finally {
      squatter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
