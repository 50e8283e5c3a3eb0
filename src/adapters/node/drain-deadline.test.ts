import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import type { AttemptRecord } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
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

/** A gateway on node:http in front of the simulator (stored Responses in memory), and the attempts its observer was told of. */
async function serve(): Promise<{ server: RunningServer; attempts: AttemptRecord[]; stored: Conversations }> {
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
  const server = await startServer(gateway, { port: 0, host: '127.0.0.1', conversations: () => stored, costOf: (_by, usage) => ({ usd: usage?.total, priced: true }) });
  return { server, attempts, stored };
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
    "ends a $door stream still running with the door's own error event, bills the attempt as a client disconnect, then closes",
    async ({ path, body, ends }) => {
      // The upstream sends two chunks, then holds its stream open until it is aborted.
      sim.faults.add({ stall_after_chunks: 2 });
      const { server, attempts } = await serve();
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
      expect(attempts[0]?.outcome).toBe('cancelled');
      expect(attempts[0]?.error?.kind).toBe('cancelled');
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
    const { server, attempts } = await serve();
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
  });
});
