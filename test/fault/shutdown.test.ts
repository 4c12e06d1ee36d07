import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { loadConfig } from '../../src/config.ts';
import { stopBoundMs } from '../../src/server.ts';
import { completion, gate } from '../support/fake-openai.ts';
import { TWILIO_TOKEN } from '../telemetry/spawned-app.ts';
import { FAULT_ENV, PIN, phoneCall, startCluster, type Cluster } from './instances.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The bound main.ts gives itself before exiting 1: stop() plus the telemetry flush.
const EXIT_BOUND_MS = stopBoundMs(loadConfig({ PGLITE_DATA_DIR: 'memory', ...FAULT_ENV })) + 8_000;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

/** A signed webhook over a keep-alive agent, as a proxy in front of the app would send it. */
function post(agent: Agent, baseUrl: string, path: string, params: Record<string, string>): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const body = new URLSearchParams(params).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url.href, params),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socket: req.socket! }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('stopping an instance', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(1);
  });
  after(() => cluster?.close());

  it('when a turn is still being worked on after the grace, then it is given up on in the database, and another instance tells the caller so', async () => {
    const stopping = await cluster.spawn();
    const other = cluster.instances[0]!;
    const call = phoneCall(cluster.demo.phone);
    await call.ring(stopping);
    await call.pin(stopping);
    const never = gate();
    cluster.openai.script(async () => {
      await never.opened;
      return completion({ content: 'too late' });
    });
    const held = await call.say(stopping, 'think about everything');
    expect(held.heard?.redirect).to.match(/turn=/);
    expect(await stopping.stop('SIGTERM')).to.equal(0);
    never.open();
    const [turn] = await cluster.database.db('turns').where({ call_sid: call.callSid });
    expect(turn).to.include({ status: 'failed', end_reason: 'timed_out' });
    const collected = await call.post(other, held.heard!.redirect!);
    expect(collected.reply).to.match(/nothing was changed/);
  });

  it('when SIGTERM comes while a keep-alive connection is busy, then its answer closes it, the process drains and exits 0 in time', async () => {
    // The cluster's own instance: the test before this one no longer needs it.
    const app = cluster.instances[0]!;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const base = { CallSid: phoneCall(cluster.demo.phone).callSid, From: cluster.demo.phone, To: '+15555550199' };
    await post(agent, app.url, '/voice/incoming', { ...base, CallStatus: 'ringing' });
    const signedIn = await post(agent, app.url, '/voice/pin', { ...base, Digits: PIN });
    expect(signedIn.headers.connection).to.equal('keep-alive');

    const thinking = gate();
    cluster.openai.script(async () => {
      await thinking.opened;
      return completion({ content: 'Answered while stopping.' });
    });
    const asked = cluster.openai.requests.length + 1;
    const busy = post(agent, app.url, '/voice/turn?seq=1', { ...base, SpeechResult: 'what is new', Confidence: '0.9' });
    await cluster.openai.received(asked); // the turn is in the app's hands: its connection is busy
    const stopped = performance.now();
    const exited = app.stop('SIGTERM');
    await app.waitForLine(/"msg":"shutting down"/);
    thinking.open();

    const answer = await busy;
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include('Answered while stopping.');
    expect(answer.headers.connection).to.equal('close');
    if (!answer.socket.destroyed) await once(answer.socket, 'close');
    expect(await exited).to.equal(0);
    expect(performance.now() - stopped).to.be.below(EXIT_BOUND_MS);
    expect(app.stdout.some((line) => line.includes('"msg":"stopped"'))).to.equal(true);
    agent.destroy();
  });

  it('when the app runs under `npm start` and npm gets SIGTERM, then the app itself stops gracefully and its port closes', async () => {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: cluster.database.url,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout! });
    const listening = new Promise<number>((resolve) =>
      reader.on('line', (line) => {
        lines.push(line);
        if (process.env.TEST_APP_OUTPUT) process.stderr.write(`[npm] ${line}\n`);
        if (line.includes('"msg":"listening"')) resolve((JSON.parse(line) as { port: number }).port);
      }),
    );
    const port = await listening;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    child.kill('SIGTERM');
    // 'close' comes after the exit and the end of its output.
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).to.equal(0);
    expect(lines.some((line) => line.includes('"msg":"stopped"'))).to.equal(true);
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => false,
      () => true,
    );
    expect(refused, 'nothing listens on the port any more').to.equal(true);
  });
});

