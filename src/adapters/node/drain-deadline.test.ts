import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import type { AttemptRecord } from '../../core/events.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { createGateway } from '../../gateway/gateway.js';
import { memoryConversations, type Conversations } from '../../ingress/openai-responses/store/conversations.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { startServer, type RunningServer } from './server.js';

let sim: SimServer;

beforeAll(async () => {
  sim = await startOpenAISim();
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => sim.faults.clear());

/** What the access log wrote. */
type Line = Record<string, unknown>;

/** A gateway on node:http in front of the simulator (stored Responses in memory), the attempts its observer was told of, and its access lines. */
async function serve(): Promise<{ server: RunningServer; attempts: AttemptRecord[]; stored: Conversations; lines: Line[] }> {
  const parsed = parseConfig(
    {
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 30_000 },
      deployments: [{ id: 'sim', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
      groups: [{ name: 'chat', deployments: ['sim'] }],
      responses: { store: { enabled: true } },
    },
    {},
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const attempts: AttemptRecord[] = [];
  const gateway = createGateway(parsed.config, { observers: [{ onAttempt: (r) => attempts.push(r) }] });
  const stored = memoryConversations(parsed.config.responses.store, silentLogger);
  // A dollar a token: the cost trailer shows what the attempt was billed.
  const lines: Line[] = [];
  const accessLogger: Logger = { ...silentLogger, info: (obj) => void lines.push(obj as Line) };
  const server = await startServer(gateway, { port: 0, host: '127.0.0.1', conversations: () => stored, accessLogger, costOf: (_by, usage) => ({ usd: usage?.total, priced: true }) });
  return { server, attempts, stored, lines };
}

const post = (server: RunningServer, path: string, body: unknown) =>
  request(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const hi = [{ role: 'user', content: 'Hi' }];

const DOORS = [
  {
    door: 'OpenAI chat',
    path: '/v1/chat/completions',
    body: { model: 'chat', stream: true, messages: hi },
    ends: (text: string) => {
      const last = text.trim().split('\n\n').at(-1) ?? '';
      expect(last).toMatch(/^data: \{"error":\{"message":"The server is shutting down/);
      expect(last).toContain('"type":"server_error"');
      expect(text).not.toContain('[DONE]');
    },
  },
  {
    door: 'Anthropic Messages',
    path: '/v1/messages',
    body: { model: 'chat', stream: true, max_tokens: 100, messages: hi },
    ends: (text: string) => {
      const last = text.trim().split('\n\n').at(-1) ?? '';
      expect(last).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"[a-z_]+","message":"The server is shutting down/);
      expect(text).not.toContain('message_stop');
    },
  },
  {
    door: 'OpenAI Responses',
    path: '/v1/responses',
    body: { model: 'chat', stream: true, input: 'Hi' },
    ends: (text: string) => {
      const events = text.trim().split('\n\n').map((f) => /^event: (\S+)/.exec(f)?.[1]);
      expect(events.slice(-2)).toEqual(['error', 'response.failed']);
      expect(text).toMatch(/The server is shutting down/);
      expect(text).not.toContain('response.completed');
    },
  },
];

describe('shutdown drain at the grace deadline', () => {
  it.each(DOORS)(
    "ends a $door stream still running with the door's own error event, records the attempt as the server's cancellation (not the client's), then closes",
    async ({ path, body, ends }) => {
      // The upstream sends two chunks, then holds its stream open until it is aborted.
      sim.faults.add({ stall_after_chunks: 2 });
      const { server, attempts, lines } = await serve();
      const res = await post(server, path, body);
      expect(res.statusCode).toBe(200);
      const started = Date.now();
      const stopping = server.shutdown(300);
      // The client reads to the end of the answer: no reset, no cut mid-chunk.
      const text = await res.body.text();
      ends(text);
      await stopping;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(attempts).toHaveLength(1);
      // Cancelled, as a client's leaving is (no deployment blamed or retried for it), but said to be the server's doing.
      expect(attempts[0]?.outcome).toBe('cancelled');
      expect(attempts[0]?.error).toMatchObject({ kind: 'cancelled', message: 'The server shut down before the answer was done.' });
      // The access line (and the request metrics and span, told the same) say what the client read: unavailable.
      expect(lines.map((l) => [l.status, l.errorKind])).toEqual([[200, 'unavailable']]);
      // Billed what it used, as a client's leaving is: the text that reached the client is counted.
      expect(attempts[0]?.usage?.completion).toBeGreaterThan(0);
      // ...and the client is told so, as after an upstream break.
      expect(Number(res.trailers['x-switchyard-cost-usd'])).toBe(attempts[0]?.usage?.total);
    },
  );

  it('keeps a stored Responses stream it ends as the failed response its client read, as after an upstream break', async () => {
    sim.faults.add({ stall_after_chunks: 2 });
    const { server, stored } = await serve();
    const res = await post(server, '/v1/responses', { model: 'chat', stream: true, input: 'Hi', store: true });
    const stopping = server.shutdown(300);
    const text = await res.body.text();
    await stopping;
    await stored.settled();
    const id = /"id":"(resp_[0-9a-f]+)"/.exec(text)?.[1] ?? '';
    const kept = await stored.answered(id, '');
    expect('inProgress' in kept).toBe(false);
    expect(JSON.parse((kept as { response: string }).response)).toMatchObject({ id, status: 'failed', error: { message: expect.stringMatching(/^The server is shutting down/) } });
  });

  it('lets an answer already decided leave as it is, rather than a 503 whose client would pay again', async () => {
    const { server, attempts, stored } = await serve();
    // The answer is in and billed; saving the stored response takes past the deadline.
    const save = stored.save.bind(stored);
    stored.save = async (...args) => (await new Promise((r) => setTimeout(r, 500)), save(...args));
    const pending = post(server, '/v1/responses', { model: 'chat', input: 'Hi', store: true });
    await expect.poll(() => attempts.length).toBe(1);
    const stopping = server.shutdown(100);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ status: 'completed' });
    await stopping;
    expect(attempts.map((a) => a.outcome)).toEqual(['ok']);
  });

  it('answers a request whose answer has not begun with 503 in its door shape, and settles its attempt', async () => {
    sim.faults.add({ latency_ms: 10_000 });
    const { server, attempts, lines } = await serve();
    const pending = post(server, '/v1/messages', { model: 'chat', max_tokens: 100, messages: hi });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const stopping = server.shutdown(200);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe('close');
    const error = (await res.body.json()) as { type: string; error: { type: string; message: string } };
    expect(error.type).toBe('error');
    expect(error.error.message).toMatch(/^The server is shutting down/);
    await stopping;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(attempts.map((a) => a.outcome)).toEqual(['cancelled']);
    // The access line says what the client got, not the cancellation it was made from...
    expect(lines.map((l) => [l.status, l.errorKind])).toEqual([[503, 'unavailable']]);
    // ...and the 503 what its attempt was billed, as any failure's answer does.
    expect(Number(res.headers['x-switchyard-cost-usd'])).toBe(attempts[0]?.usage?.total);
  });

  it('still records a client that leaves mid-stream as a client disconnect', async () => {
    sim.faults.add({ stall_after_chunks: 2 });
    const { server, attempts, lines } = await serve();
    const res = await post(server, '/v1/chat/completions', { model: 'chat', stream: true, messages: hi });
    const first = await res.body[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    res.body.destroy();
    await expect.poll(() => attempts.length).toBe(1);
    expect(attempts[0]).toMatchObject({ outcome: 'cancelled', error: { kind: 'cancelled', message: 'The client disconnected.' } });
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ status: 200, errorKind: 'cancelled' });
    await server.shutdown(100);
  });
});

/** An OpenAI-compatible upstream that sends some text, then `tail`, then holds its stream open until the gateway closes it. */
async function upstream(tail: string): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'x'.repeat(64 * 1024) }) + tail);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => void server.close().closeAllConnections() };
}

function chunk(delta: object, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}
const USAGE = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } })}\n\n`;

/** The body of a chunked HTTP/1.1 answer as sent, read off a raw socket. */
function dechunk(raw: string): string {
  let at = raw.indexOf('\r\n\r\n') + 4;
  let body = '';
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, eol), 16);
    if (!(size > 0)) return body;
    body += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

describe('shutdown drain at the grace deadline, a stream whose upstream holds its end back', () => {
  /**
   * A streamed chat cut by a drain's deadline once its client has read `written` (the upstream sent its
   * text, then `tail`, and holds its stream open). The answer's body as the client read it to the end,
   * the attempts and the access lines.
   */
  async function cutOnce(tail: string, written: RegExp): Promise<{ body: string; attempts: AttemptRecord[]; lines: Line[] }> {
    const up = await upstream(tail);
    const parsed = parseConfig({ deployments: [{ id: 'held', provider: 'openai-compatible', model: 'm', endpoint: up.url }], groups: [{ name: 'chat', deployments: ['held'] }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const attempts: AttemptRecord[] = [];
    const lines: Line[] = [];
    const gateway = createGateway(parsed.config, { observers: [{ onAttempt: (r) => attempts.push(r) }] });
    const server = await startServer(gateway, { port: 0, host: '127.0.0.1', accessLogger: { ...silentLogger, info: (obj) => void lines.push(obj as Line) } });
    const socket = connect(server.port, '127.0.0.1');
    let raw = '';
    socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    const closed = new Promise((r) => socket.once('close', r));
    try {
      const body = JSON.stringify({ model: 'chat', stream: true, stream_options: { include_usage: true }, messages: hi });
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      await expect.poll(() => written.test(dechunk(raw))).toBe(true);
      await server.shutdown(50);
      await closed;
    } finally {
      socket.destroy();
      up.close();
    }
    return { body: dechunk(raw), attempts, lines };
  }

  it('ends one whose finish and usage are already written with its closing frames, not an error event, and records it ok', async () => {
    const { body, attempts, lines } = await cutOnce(chunk({}, 'stop') + USAGE, /"total_tokens":12/);
    const frames = body.trim().split('\n\n');
    expect(frames.at(-1)).toBe('data: [DONE]');
    expect(frames.at(-2)).toMatch(/^data: \{.*"usage":\{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12/);
    expect(body).not.toContain('"error"');
    expect(attempts.map((a) => [a.outcome, a.usage?.total])).toEqual([['ok', 12]]);
    expect(lines.map((l) => [l.status, l.errorKind])).toEqual([[200, undefined]]);
  });

  it.each([
    ['its upstream is still answering', '', /x{1000}/],
    ['its finish is written but not its usage', chunk({}, 'stop'), /"finish_reason":"stop"/],
  ])('ends one cut mid-answer (%s) with the error event after what was written, recorded as the server shutting down', async (_case, tail, written) => {
    const { body, attempts } = await cutOnce(tail, written);
    const frames = body.trim().split('\n\n');
    expect(frames.at(-1)).toMatch(/^data: \{"error":\{"message":"The server is shutting down/);
    expect(body).toMatch(written);
    expect(body).not.toContain('[DONE]');
    expect(attempts.map((a) => [a.outcome, a.error?.message])).toEqual([['cancelled', 'The server shut down before the answer was done.']]);
  });
});
