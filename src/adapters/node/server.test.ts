import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { createGateway } from '../../gateway/gateway.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { createHttpServer, startServer, type RunningServer } from './server.js';

function configFor(sim: SimServer, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    server: { body_limit_bytes: 64 * 1024 },
    routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 1_000 },
    deployments: [
      { id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east-1', endpoint: `${sim.url}/v1` },
      { id: 'sim-e', provider: 'openai-compatible', model: 'text-embedding-3-small', region: 'us-east-1', endpoint: `${sim.url}/v1` },
    ],
    groups: [
      { name: 'chat', aliases: ['gpt-4o-mini'], deployments: ['sim-a'] },
      { name: 'embed', deployments: ['sim-e'] },
    ],
    ...extra,
  };
}

async function start(config: ConfigInput): Promise<RunningServer> {
  const parsed = parseConfig(config, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return startServer(createGateway(parsed.config), { port: 0 });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as { error: { message: string; type: string; code: string; param: string | null } } };
}

/** A client that asks `model` for a chat answer and can leave before it comes: `leave()` aborts and waits. */
function chatThatLeaves(base: string, model: string): { leave: () => Promise<void> } {
  const controller = new AbortController();
  const pending = request(`${base}/v1/chat/completions`, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  }).then(
    () => undefined,
    () => undefined,
  );
  return {
    leave: () => {
      controller.abort();
      return pending;
    },
  };
}

describe('HTTP server with the official openai SDK', () => {
  let sim: SimServer;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(configFor(sim));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  afterEach(() => sim.faults.clear());

  it('completes a chat and names who served it', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from gpt-4o-mini! You said: Hi.');
    expect(data.model).toBe('chat');
    expect(response.headers.get('x-switchyard-deployment')).toBe('sim-a');
    expect(response.headers.get('x-switchyard-provider')).toBe('openai-compatible');
    expect(response.headers.get('x-switchyard-region')).toBe('us-east-1');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('streams with a usage chunk and [DONE] when asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from gpt-4o-mini! You said: Hi.');
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const raw = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const body = await raw.body.text();
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(body).not.toContain('"usage"');
  });

  it('creates embeddings (float and base64) and lists models', async () => {
    const asFloat = await client.embeddings.create({ model: 'embed', input: ['a', 'b'], encoding_format: 'float' });
    const asBase64 = await client.embeddings.create({ model: 'embed', input: ['a', 'b'] });
    expect(asFloat.data).toHaveLength(2);
    expect(asBase64.data[0]?.embedding[0]).toBeCloseTo(asFloat.data[0]?.embedding[0] ?? NaN, 5);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['chat', 'embed', 'gpt-4o-mini']);
  });

  it('answers malformed JSON with 400 in the OpenAI error shape', async () => {
    const r = await post(`${server.url}/v1/chat/completions`, '{"model": ');
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({ message: 'The request body is not valid JSON.', type: 'invalid_request_error', param: null, code: 'invalid_json' });
  });

  it("refuses a body that is not UTF-8 with 400 in each door's error shape, rather than answering a prompt read as U+FFFD", async () => {
    // A Latin-1 "é" (the lone byte 0xE9, where UTF-8 needs two): JSON is UTF-8, so this is no JSON text.
    const latin1 = (before: string, after: string): Buffer => Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from(after)]);
    const chat = await post(`${server.url}/v1/chat/completions`, latin1('{"model":"chat","messages":[{"role":"user","content":"caf', '"}]}'));
    expect([chat.status, chat.json.error]).toEqual([400, { message: 'The request body is not valid JSON: it is not valid UTF-8.', type: 'invalid_request_error', param: null, code: 'invalid_json' }]);
    const responses = await post(`${server.url}/v1/responses`, latin1('{"model":"chat","input":"caf', '"}'));
    expect([responses.status, responses.json.error.code]).toEqual([400, 'invalid_json']);
    const messages = await post(`${server.url}/v1/messages`, latin1('{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"caf', '"}]}'), { 'anthropic-version': '2023-06-01' });
    expect([messages.status, messages.json]).toMatchObject([400, { type: 'error', error: { type: 'invalid_request_error', message: 'The request body is not valid JSON: it is not valid UTF-8.' } }]);
    // The same text in UTF-8 is answered.
    expect((await post(`${server.url}/v1/chat/completions`, '{"model":"chat","messages":[{"role":"user","content":"café"}]}')).status).toBe(200);
  });

  it('refuses a compressed body with 415 naming its Content-Encoding, rather than calling it invalid JSON', async () => {
    const body = gzipSync(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }));
    const r = await post(`${server.url}/v1/chat/completions`, body, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(415);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_content_encoding' });
    expect(r.json.error.message).toContain("'gzip'");
    expect(r.headers['accept-encoding']).toBe('identity');
    const plain = await post(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), { 'content-encoding': 'identity' });
    expect(plain.status).toBe(200);
  });

  it('refuses an oversized body with 413', async () => {
    const r = await post(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }));
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('request_too_large');
  });

  it('reads and drops the rest of a body a few megabytes over the limit, so its client gets the 413 and not a reset', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let reply = '';
    let failure: string | undefined;
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (failure = e.code ?? e.message));
    const size = 8 * 1024 * 1024;
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
    // Sent whole, as a client does: a server that closes before reading it resets the connection (EPIPE, ECONNRESET).
    await new Promise<void>((resolve) => socket.write(Buffer.alloc(size, 0x20), () => resolve()));
    await vi.waitFor(() => expect(reply).toContain('request_too_large'), { timeout: 5_000 });
    expect(failure).toBeUndefined();
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });

  /** POSTs a body declared as 10 GB, sends 64 KB of it, and resolves with the reply once the server closes the connection. */
  async function hugeDeclaredBody(path: string): Promise<string> {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10737418240\r\n\r\n`);
    socket.write(Buffer.alloc(64 * 1024, 0x20));
    await closed;
    return reply;
  }

  it('closes the connection after a 413 instead of reading the rest of a huge declared body', async () => {
    // Without the close the server would read (and drop) all 10 GB; the test would time out.
    const reply = await hugeDeclaredBody('/v1/chat/completions');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain('connection: close');
  });

  it('closes the connection after an answer that never read a huge declared body (an unknown route, no key) instead of reading it all', async () => {
    // Without the close node:http would read (and drop) all 10 GB after the 404; the test would time out.
    const reply = await hugeDeclaredBody('/v1/nothing');
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply.toLowerCase()).toContain('connection: close');
  });

  it('keeps the connection after an answer that never read a small body', async () => {
    const r = await request(`${server.url}/v1/nothing`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await r.body.dump();
    expect(r.statusCode).toBe(404);
    expect(r.headers.connection).not.toBe('close');
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-99', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('names the bad parameter of an invalid request', async () => {
    const r = await post(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', messages: [{ role: 'wizard', content: 'x' }] }));
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('messages[0].role');
    const t = await post(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', temperature: 7, messages: [{ role: 'user', content: 'x' }] }));
    expect(t.json.error.param).toBe('temperature');
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await post(`${server.url}/v1/nothing`, '{}')).status).toBe(404);
    const r = await request(`${server.url}/v1/chat/completions`, { method: 'GET' });
    expect(r.statusCode).toBe(405);
    await r.body.dump();
  });

  it('maps an upstream 500 to 502 server_error with no code, as OpenAI answers its own', async () => {
    sim.faults.add({ status: 500, count: 1 });
    const e500 = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((e500 as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((e500 as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    expect((e500 as InstanceType<typeof OpenAI.APIError>).code).toBeNull();
  });

  it("maps a 429 to OpenAI's rate_limit_exceeded with retry-after, and keeps the deployment cooling for that long", async () => {
    // A gateway of its own: its only deployment stays out of rotation for the 7 s asked.
    const own = await start(configFor(sim));
    try {
      sim.faults.add({ status: 429, retry_after_s: 7, count: 1 });
      const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
      const r = await post(`${own.url}/v1/chat/completions`, body);
      expect(r.status).toBe(429);
      expect(r.json.error.code).toBe('rate_limit_exceeded');
      expect(r.json.error.message).toBe('Upstream sim-a (openai-compatible) is rate limiting the gateway (HTTP 429).');
      expect(r.headers['retry-after']).toBe('7');
      expect(Number(r.headers['retry-after-ms'])).toBeGreaterThan(6_500);
      expect(r.headers['x-switchyard-deployment']).toBe('sim-a');
      expect(r.headers['x-switchyard-provider']).toBe('openai-compatible');
      expect(r.headers['x-switchyard-region']).toBe('us-east-1');
      expect(r.headers['x-switchyard-attempts']).toBe('1');
      const calls = sim.stats.total;
      const again = await post(`${own.url}/v1/chat/completions`, body);
      expect([again.status, again.json.error.code, again.headers['retry-after']]).toEqual([429, 'rate_limit_exceeded', '7']);
      expect(sim.stats.total).toBe(calls);
    } finally {
      await own.shutdown(100);
    }
  });

  it('maps a slow upstream to 504 timeout', async () => {
    sim.faults.add({ latency_ms: 1_500, count: 1 });
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe('timeout_error');
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBeNull();
  });

  it('maps a malformed upstream body to 502 bad_upstream_response', async () => {
    sim.faults.add({ malformed: true, count: 1 });
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBeNull();
  });

  it('ends a stream that breaks after the first byte with an error event and no [DONE]', async () => {
    sim.faults.add({ cut_after_chunks: 3, count: 1 });
    const raw = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'tell me a long story' }] }),
    });
    expect(raw.statusCode).toBe(200);
    const body = await raw.body.text();
    expect(body).toContain('"content":"Hello "');
    expect(body).toMatch(/data: \{"error":\{"message":"[^"]+","type":"server_error","param":null,"code":null\}\}\n\n$/);
    expect(body).not.toContain('[DONE]');
  });

  it('answers liveness and readiness', async () => {
    const live = await request(`${server.url}/healthz`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();
    const ready = await request(`${server.url}/readyz`);
    expect(await ready.body.json()).toEqual({ status: 'ready' });
  });
});

describe('client disconnects and shutdown', () => {
  let upstream: Server;
  let upstreamUrl: string;
  const closed: string[] = [];

  beforeAll(async () => {
    // A raw upstream that never answers, so we can see whether the gateway hangs up on it.
    upstream = createHttp((req: IncomingMessage) => {
      req.resume();
      req.socket.once('close', () => closed.push(req.url ?? ''));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  it('aborts the upstream call when the client goes away', async () => {
    const server = await start({
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 30_000, allow_direct_deployments: true },
      deployments: [{ id: 'hang', provider: 'openai-compatible', model: 'm', endpoint: `${upstreamUrl}/v1` }],
    });
    const client = chatThatLeaves(server.url, 'hang');
    await new Promise((r) => setTimeout(r, 150));
    const before = closed.length;
    await client.leave();
    for (let i = 0; i < 40 && closed.length === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(closed.length).toBe(before + 1);
    await server.shutdown(100);
  });

  it('finishes in-flight requests on shutdown while refusing readiness', async () => {
    const sim = await startOpenAISim();
    const server = await start(configFor(sim));
    sim.faults.add({ latency_ms: 300, count: 1 });
    const inflight = request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = server.shutdown(5_000);
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    await stopping;
    await expect(request(`${server.url}/healthz`)).rejects.toThrow();
    await sim.close();
  });

  it('requires a configured API key and tags the caller', async () => {
    const sim = await startOpenAISim();
    const server = await start({ ...configFor(sim), api_keys: [{ id: 'team-a-key', key: 'sk-gw-123', team: 'a' }] });
    const anonymous = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    const err = await anonymous.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const authed = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-gw-123', maxRetries: 0 });
    const ok = await authed.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    expect(ok.choices).toHaveLength(1);
    const health = await request(`${server.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    // A refused caller keeps no idle connection (they would fill max_connections); a served one does.
    const refused = await request(`${server.url}/v1/models`, { headers: { authorization: 'Bearer wrong' } });
    await refused.body.dump();
    const served = await request(`${server.url}/v1/models`, { headers: { authorization: 'Bearer sk-gw-123' } });
    await served.body.dump();
    expect([refused.statusCode, refused.headers.connection, served.statusCode, served.headers.connection]).toEqual([401, 'close', 200, 'keep-alive']);
    await server.shutdown(100);
    await sim.close();
  });
});

describe('cost reporting', () => {
  it('sets x-switchyard-cost-usd (a trailer for streams), and the usage extension in the body only for a client that opted in', async () => {
    const sim = await startOpenAISim();
    const parsed = parseConfig(configFor(sim), {});
    if (!parsed.ok) throw new Error('bad config');
    const server = await startServer(createGateway(parsed.config), {
      port: 0,
      costOf: (servedBy, usage) => (servedBy.deployment === 'sim-a' && usage ? { usd: usage.total * 0.000001, priced: true } : { usd: undefined, priced: false }),
    });
    const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], ...body }) });
    const plain = await chat({});
    const body = (await plain.body.json()) as { usage: { total_tokens: number; switchyard?: unknown } };
    expect(body.usage).not.toHaveProperty('switchyard');
    expect(Number(plain.headers['x-switchyard-cost-usd'])).toBeCloseTo(body.usage.total_tokens * 0.000001, 12);
    const opted = (await (await chat({}, { 'x-switchyard-extensions': 'true' })).body.json()) as { usage: { total_tokens: number; switchyard: { cost_usd: number } } };
    expect(opted.usage.switchyard.cost_usd).toBeCloseTo(opted.usage.total_tokens * 0.000001, 12);
    const streamed = await chat({ stream: true, stream_options: { include_usage: true } });
    const text = await streamed.body.text();
    expect(text).not.toContain('"switchyard"');
    expect(Number(streamed.trailers['x-switchyard-cost-usd'])).toBeGreaterThan(0);
    const optedStream = await (await chat({ stream: true, stream_options: { include_usage: true } }, { 'x-switchyard-extensions': 'true' })).body.text();
    expect(optedStream).toMatch(/"switchyard":\{"cost_usd":0\.0000\d+\}/);
    await server.shutdown(100);
    await sim.close();
  });
});

describe('request ids', () => {
  it('gives every request its own id, whatever x-request-id the client sends', async () => {
    const sim = await startOpenAISim();
    const server = await start(configFor(sim));
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'client-id-1' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
      });
      await res.body.dump();
      ids.add(String(res.headers['x-request-id']));
    }
    expect(ids.size).toBe(3);
    expect(ids.has('client-id-1')).toBe(false);
    await server.shutdown(100);
    await sim.close();
  });
});

describe('stream shape and provider-specific stream data', () => {
  async function anthropicServer(group?: Record<string, unknown>) {
    const { startAnthropicSim } = await import('../../sim/anthropic/index.js');
    const sim = await startAnthropicSim({ apiKey: 'sk-ant' });
    const groups = group ? [{ name: 'chat', deployments: ['claude'], ...group }] : [];
    const parsed = parseConfig({ routing: { allow_direct_deployments: true }, deployments: [{ id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: 'sk-ant' }], groups }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const server = await startServer(createGateway(parsed.config), { port: 0 });
    const chunks = async (model: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> => {
      const res = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'Hi' }], ...body }),
      });
      const frames = (await res.body.text()).trim().split('\n\n');
      expect(frames.at(-1)).toBe('data: [DONE]');
      return frames.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)) as Record<string, unknown>);
    };
    return { chunks, close: async () => { await server.shutdown(100); await sim.close(); } };
  }

  it('sends no chunk with empty choices, and no extensions, unless asked', async () => {
    const s = await anthropicServer();
    const chunks = await s.chunks('claude', {});
    for (const c of chunks) {
      expect((c.choices as unknown[]).length).toBe(1);
      expect(c).not.toHaveProperty('switchyard_extensions');
      expect(c).not.toHaveProperty('usage');
    }
    await s.close();
  });

  it('with include_usage, gives every chunk "usage": null and ends with the usage chunk', async () => {
    const s = await anthropicServer();
    const chunks = await s.chunks('claude', { stream_options: { include_usage: true } });
    const last = chunks.at(-1) ?? {};
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    for (const c of chunks.slice(0, -1)) {
      expect(c.usage).toBeNull();
      expect((c.choices as unknown[]).length).toBe(1);
    }
    await s.close();
  });

  it('carries provider extensions on the last chunk for a client that opts in with a header', async () => {
    const s = await anthropicServer();
    const header = { 'x-switchyard-stream-extensions': 'true' };
    const plain = await s.chunks('claude', {}, header);
    const finish = plain.at(-1) as { choices: Array<{ finish_reason: string }>; switchyard_extensions: Record<string, { stop_reason?: string }> };
    expect(finish.choices[0]?.finish_reason).toBe('stop');
    expect(finish.switchyard_extensions.anthropic?.stop_reason).toBe('end_turn');
    const withUsage = await s.chunks('claude', { stream_options: { include_usage: true } }, header);
    const last = withUsage.at(-1) as { choices: unknown[]; usage: unknown; switchyard_extensions: Record<string, { stop_reason?: string }> };
    expect(last.choices).toEqual([]);
    expect(last.usage).not.toBeNull();
    expect(last.switchyard_extensions.anthropic?.stop_reason).toBe('end_turn');
    expect(withUsage.filter((c) => 'switchyard_extensions' in c)).toHaveLength(1);
    await s.close();
  });

  it('carries provider extensions for every client of a group with stream_extensions', async () => {
    const s = await anthropicServer({ stream_extensions: true });
    const chunks = await s.chunks('chat', {});
    expect(chunks.at(-1)).toHaveProperty('switchyard_extensions.anthropic.stop_reason', 'end_turn');
    await s.close();
  });
});

describe('review fixes at the edge', () => {
  it('fails a stream that stalls after its first content as a timeout, without [DONE]', async () => {
    const sim = await startOpenAISim();
    const server = await start({ ...configFor(sim), routing: { max_attempts_per_deployment: 1, stream_idle_timeout_ms: 300 } });
    sim.faults.add({ stall_after_chunks: 2, count: 1 });
    const started = Date.now();
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'a long story' }] }),
    });
    const body = await res.body.text();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(body).toContain('"content":"Hello "');
    expect(body).toMatch(/"type":"timeout_error","param":null,"code":null\}\}\n\n$/);
    expect(body).not.toContain('[DONE]');
    await server.shutdown(100);
    await sim.close();
  });

  it('accepts the bearer scheme in any case, and never echoes an upstream credential complaint', async () => {
    const sim = await startOpenAISim({ apiKey: 'sk-right' });
    const server = await start({
      ...configFor(sim),
      api_keys: [{ id: 'k', key: 'sk-gw' }],
      deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-wrong-1234' }],
      groups: [{ name: 'chat', deployments: ['sim-a'] }],
    });
    const r = await post(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }), { authorization: 'bearer sk-gw' });
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBeNull();
    expect(r.json.error.message).toBe("Upstream sim-a (openai-compatible) refused the gateway's credentials (HTTP 401).");
    await server.shutdown(100);
    await sim.close();
  });
});

describe('failures of the gateway itself while relaying a stream', () => {
  it('are recorded as errors of the attempt, not as client disconnects', async () => {
    const sim = await startOpenAISim();
    const parsed = parseConfig(configFor(sim), {});
    if (!parsed.ok) throw new Error('bad config');
    const outcomes: string[] = [];
    const gateway = createGateway(parsed.config, { observers: [{ onAttempt: (r) => outcomes.push(r.outcome) }] });
    const server = await startServer(gateway, {
      port: 0,
      costOf: () => {
        throw new Error('price book broke');
      },
    });
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] }),
    });
    const body = await res.body.text();
    expect(body).toMatch(/"type":"server_error","param":null,"code":null\}\}\n\n$/);
    expect(body).not.toContain('[DONE]');
    expect(outcomes).toEqual(['error']);
    await server.shutdown(100);
    await sim.close();
  });
});

describe('the access log line, written once the answer is out', () => {
  let sim: SimServer;
  let server: Server & { draining: boolean; inFlight: number };
  let url: string;
  let res: ServerResponse | undefined;
  /** Each access line with whether the response had been ended when it was written. */
  const lines: Array<{ status: unknown; ended: boolean | undefined }> = [];
  const accessLogger: Logger = { ...silentLogger, info: (obj) => lines.push({ status: (obj as { status?: unknown }).status, ended: res?.writableEnded }) };

  beforeAll(async () => {
    sim = await startOpenAISim();
    const parsed = parseConfig(configFor(sim), {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = createHttpServer(createGateway(parsed.config), { accessLogger });
    server.on('request', (_req: IncomingMessage, r: ServerResponse) => (res = r));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await sim.close();
  });

  const chat = (extra: Record<string, unknown> = {}) =>
    request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], ...extra }) });

  it('after a whole answer and after a stream has ended, not before: the log is not part of the latency', async () => {
    lines.length = 0;
    await (await chat()).body.dump();
    await (await chat({ stream: true })).body.text();
    const bad = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    await bad.body.dump();
    expect(lines).toEqual([
      { status: 200, ended: true },
      { status: 200, ended: true },
      { status: 400, ended: true },
    ]);
  });

  it('once for a request whose client left before its answer', async () => {
    lines.length = 0;
    sim.faults.add({ latency_ms: 300, count: 1 });
    const client = chatThatLeaves(url, 'chat');
    await new Promise((r) => setTimeout(r, 100));
    await client.leave();
    for (let i = 0; i < 40 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(lines).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(lines).toHaveLength(1);
  });
});
