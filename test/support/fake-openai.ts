import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The request body the real `openai` client sent, as parsed JSON. */
export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content?: string | null; tool_call_id?: string; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }>;
  tools?: Array<{ type: string; function: { name: string; parameters: unknown } }>;
}

export interface FakeReply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * For a streamed request: the answer's text as it is to arrive, piece by piece; a promise in
   * the list holds the rest back until it resolves (a slow model, or a test's gate). Without it,
   * a streamed request gets `body`'s text word by word and its tool calls whole.
   */
  pieces?: Array<string | Promise<unknown> | typeof DROP>;
}

/** In `pieces`: the connection drops there, mid-stream, without a finish reason. */
export const DROP = Symbol('drop the connection');

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

/** A streamed answer in words: `pieces` arrive in order, each promise holding back the rest until it resolves. */
export function streamed(pieces: Array<string | Promise<unknown> | typeof DROP>, model = 'gpt-fake-2026'): FakeReply {
  const content = pieces.filter((piece): piece is string => typeof piece === 'string').join('');
  return { ...completion({ content }, model), pieces };
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
  /** Indexes (into `requests`) of the requests the client gave up on before their reply ended. */
  const abandoned = new Set<number>();
  const abandonWaiting: Array<() => void> = [];

  const server = createServer(async (req, res) => {
    const body = JSON.parse(await read(req)) as ChatRequest;
    const index = requests.length;
    res.once('close', () => {
      if (res.writableFinished) return;
      abandoned.add(index);
      for (const wake of abandonWaiting.splice(0)) wake();
    });
    requests.push(body);
    headers.push(req.headers);
    arrivals.push(performance.now());
    for (const wake of waiting.splice(0)) wake();
    const script = scripts.shift();
    const reply = await (script ?? fallback)(body);
    if (res.destroyed) return; // the client gave up (aborted) while the script was thinking
    const status = reply.status ?? 200;
    if (!body.stream || status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
    for (const chunk of chunksOf(reply)) {
      if (chunk === DROP) return void res.destroy();
      if (chunk instanceof Promise) await chunk;
      else if (!res.destroyed) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
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
    /** Resolves once the client has given up on request `index` (0-based) before its reply ended. */
    async abandoned(index: number): Promise<void> {
      while (!abandoned.has(index)) await new Promise<void>((resolve) => abandonWaiting.push(resolve));
    },
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

interface CompletionBody {
  id: string;
  model: string;
  created: number;
  choices: Array<{ message: { content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }>;
  usage?: unknown;
}

/** A completion as Chat Completions streams it: a role, text deltas, tool calls, the finish reason, the usage. */
function* chunksOf(reply: FakeReply): Generator<object | Promise<unknown> | typeof DROP> {
  const body = reply.body as CompletionBody;
  const choice = body.choices[0]!;
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
    id: body.id,
    object: 'chat.completion.chunk',
    created: body.created,
    model: body.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...extra,
  });
  yield chunk({ role: 'assistant', content: '' });
  const pieces = reply.pieces ?? choice.message.content?.match(/\S+\s*|\s+/g) ?? [];
  for (const piece of pieces) yield typeof piece === 'string' ? chunk({ content: piece }) : piece;
  for (const [index, call] of (choice.message.tool_calls ?? []).entries()) {
    yield chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }] });
  }
  yield chunk({}, choice.finish_reason);
  yield { id: body.id, object: 'chat.completion.chunk', created: body.created, model: body.model, choices: [], usage: body.usage };
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
