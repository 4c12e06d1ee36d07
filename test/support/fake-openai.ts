import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The request body the real `openai` client sent, as parsed JSON. */
export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_call_id?: string; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }>;
  tools?: Array<{ type: string; function: { name: string; parameters: unknown } }>;
}

export interface FakeReply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Script = (request: ChatRequest) => FakeReply | Promise<FakeReply>;

let ids = 0;

/** A Chat Completions answer in the wire format, with tool calls or with text. */
export function completion(message: { content?: string; toolCalls?: Array<{ name: string; arguments: string; id?: string }> }, model = 'gpt-fake-2026'): FakeReply {
  const toolCalls = message.toolCalls?.map((call) => ({
    id: call.id ?? `call_${++ids}`,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    body: {
      id: `chatcmpl-${++ids}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: message.content ?? null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
          finish_reason: toolCalls ? 'tool_calls' : 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 18, total_tokens: 138 },
    },
  };
}

export function apiError(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return { status, headers, body: { error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', code: null } } };
}

/**
 * A local Chat Completions server for the real `openai` client: real HTTP, the real wire format,
 * and answers scripted per test, in order. An unscripted request gets a 500 so a test that
 * expected fewer requests fails loudly.
 */
export async function startFakeOpenAi() {
  const scripts: Script[] = [];
  let fallback: Script = () => apiError(500, 'no scripted reply left');
  const requests: ChatRequest[] = [];
  /** The HTTP headers of each request, in order (trace propagation shows here). */
  const headers: IncomingHttpHeaders[] = [];
  /** When each request arrived (performance.now()), in the order of `requests`. */
  const arrivals: number[] = [];
  const waiting: Array<() => void> = [];

  const server = createServer(async (req, res) => {
    const body = JSON.parse(await read(req)) as ChatRequest;
    requests.push(body);
    headers.push(req.headers);
    arrivals.push(performance.now());
    for (const wake of waiting.splice(0)) wake();
    const script = scripts.shift();
    const reply = await (script ?? fallback)(body);
    if (res.destroyed) return; // the client gave up (aborted) while the script was thinking
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    headers,
    arrivals,
    /** Queues answers for the next requests, in order. */
    script(...next: Array<Script | FakeReply>) {
      scripts.push(...next.map((entry) => (typeof entry === 'function' ? entry : () => entry)));
    },
    /** What every request gets once the queue is empty (a 500 unless set). */
    otherwise(entry: Script | FakeReply) {
      fallback = typeof entry === 'function' ? entry : () => entry;
    },
    pending: () => scripts.length,
    /** Resolves once `count` requests in total have arrived. */
    async received(count: number): Promise<void> {
      while (requests.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type FakeOpenAi = Awaited<ReturnType<typeof startFakeOpenAi>>;

/** A promise the test resolves when it decides, to hold a reply back without sleeping. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { opened, open };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
