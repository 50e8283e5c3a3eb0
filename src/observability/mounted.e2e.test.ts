import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { attr, spansOf, startCollector, type OtlpSpan } from './testing/collector.js';

const USER = 'sk-user-metrics-test';
const ADMIN = 'sk-admin-metrics-test';
const SCRAPER = 'sk-scraper-metrics-test';

async function serve(sims: SimServer[], extra: Partial<ConfigInput> = {}): Promise<{ app: App; server: RunningServer }> {
  const config = resolveConfig(
    {
      routing: { max_attempts_per_deployment: 2, backoff: { base_ms: 1, cap_ms: 2 } },
      deployments: sims.map((s, i) => ({ id: `d${i}`, provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${s.url}/v1` })),
      groups: [{ name: 'chat', strategy: 'priority', deployments: sims.map((_, i) => `d${i}`) }],
      api_keys: [
        { id: 'user', key: USER },
        { id: 'ops', key: ADMIN, role: 'admin' },
        { id: 'prometheus', key: SCRAPER, role: 'metrics' },
      ],
      ledger: { enabled: false },
      ...extra,
    },
    {},
  );
  const app = await createApp(config);
  const server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1', onClose: () => app.close() });
  return { app, server };
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | undefined; text: string }> {
  const res = await request(`${url}/metrics`, { headers });
  return { status: res.statusCode, type: res.headers['content-type'] as string | undefined, text: await res.body.text() };
}

describe('GET /metrics and per-request spans, mounted in the server', () => {
  let sim: SimServer;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let running: { app: App; server: RunningServer };

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'metrics' });
    collector = await startCollector();
    running = await serve([sim], { observability: { metrics: { public: true }, tracing: { enabled: true, endpoint: collector.url } } });
  });

  afterAll(async () => {
    await running.server.shutdown(100);
    await Promise.all([sim.close(), collector.close()]);
  });

  it('with public: true, serves the Prometheus text without an API key, counting each request by route and status', async () => {
    const client = new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: USER, maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
    await expect(new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
    const m = await scrape(running.server.url);
    expect(m.status).toBe(200);
    expect(m.type).toBe(running.app.metrics?.contentType);
    expect(m.text).toMatch(/switchyard_requests_total\{route="\/v1\/chat\/completions",code="200",group="chat",deployment="d0",region="",error_kind=""\} 1/);
    expect(m.text).toMatch(/switchyard_requests_total\{route="\/v1\/models",code="401",group="",deployment="",region="",error_kind="unauthenticated"\} 1/);
    expect(m.text).toContain('gen_ai_client_operation_duration_seconds_bucket');
    expect(m.text).toContain('switchyard_breaker_state{deployment="d0",state="closed"} 1');
    expect(m.text).toMatch(/^switchyard_requests_in_flight 0$/m);
  });

  it('holds a stream in the in-flight gauge until it ends', async () => {
    sim.faults.add({ inter_chunk_ms: 150, count: 1 });
    const client = new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: USER, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'one two three four' }] });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    expect((await scrape(running.server.url)).text).toMatch(/^switchyard_requests_in_flight 1$/m);
    while (!(await it.next()).done);
    await expect.poll(async () => (await scrape(running.server.url)).text).toMatch(/^switchyard_requests_in_flight 0$/m);
  });

  it('exports the server span under the gateway request id, as the parent of its attempt spans', async () => {
    sim.faults.add({ status: 503, count: 1 });
    const client = new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: USER, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    const requestId = response.headers.get('x-request-id');
    let spans = spansOf(collector.received);
    await expect.poll(() => (spans = spansOf(collector.received)).some((s) => attr(s, 'switchyard.request_id') === requestId), { timeout: 5_000 }).toBe(true);
    const server = spans.find((s) => attr(s, 'switchyard.request_id') === requestId);
    expect(server).toMatchObject({ name: 'POST /v1/chat/completions', kind: 2 });
    expect(attr(server!, 'http.response.status_code')).toBe(200);
    const attempts = spans.filter((s) => s.parentSpanId === server!.spanId);
    expect(attempts.map((s) => attr(s, 'switchyard.attempt.role'))).toEqual(['primary', 'retry']);
    expect(attempts.every((s) => s.traceId === server!.traceId)).toBe(true);
  });

  it("gives the server span the conventions' url.scheme (node:http's own, not a client's x-forwarded-proto), url.path without the query, the host and the user agent", async () => {
    const res = await request(`${running.server.url}/v1/chat/completions?api-key=QUERY-SECRET`, {
      method: 'POST',
      headers: { authorization: `Bearer ${USER}`, 'content-type': 'application/json', 'user-agent': 'span-test/1.0', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const requestId = res.headers['x-request-id'];
    expect(requestId).toBeTypeOf('string');
    let server: OtlpSpan | undefined;
    await expect.poll(() => (server = spansOf(collector.received).find((s) => attr(s, 'switchyard.request_id') === requestId)), { timeout: 5_000 }).toBeDefined();
    expect(server!.name).toBe('POST /v1/chat/completions');
    expect(attr(server!, 'url.scheme')).toBe('http');
    expect(attr(server!, 'url.path')).toBe('/v1/chat/completions');
    expect(attr(server!, 'network.protocol.version')).toBe('1.1');
    expect(attr(server!, 'server.address')).toBe('127.0.0.1');
    expect(attr(server!, 'server.port')).toBe(running.server.port);
    expect(attr(server!, 'user_agent.original')).toBe('span-test/1.0');
    const values = JSON.stringify(server!.attributes);
    expect(values).not.toContain('QUERY-SECRET');
    expect(values).not.toContain(USER);
  });

  it('exports a caller without a key, refused 401, with its 15,000-character User-Agent or 14,000-character Host cut to 1024 characters', async () => {
    // One each: together they pass Node's 16 KB header limit (431).
    for (const [headers, name, kept] of [
      [{ 'user-agent': 'B'.repeat(15_000) }, 'user_agent.original', 'B'.repeat(1024)],
      [{ host: `${'h'.repeat(14_000)}.example` }, 'server.address', 'h'.repeat(1024)],
    ] as const) {
      const res = await request(`${running.server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      await res.body.dump();
      expect(res.statusCode).toBe(401);
      const requestId = res.headers['x-request-id'];
      let server: OtlpSpan | undefined;
      await expect.poll(() => (server = spansOf(collector.received).find((s) => attr(s, 'switchyard.request_id') === requestId)), { timeout: 5_000 }).toBeDefined();
      expect([attr(server!, name), attr(server!, 'switchyard.error_kind')]).toEqual([kept, 'unauthenticated']);
    }
  });

  it('counts a stream cut mid-answer as a 200 with its error kind, and marks its server span as failed', async () => {
    sim.faults.add({ count: 1, cut_after_chunks: 2 });
    const client = new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: USER, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'one two three four five' }] }).withResponse();
    const requestId = response.headers.get('x-request-id');
    await expect((async () => {
      for await (const chunk of stream) void chunk;
    })()).rejects.toThrow();
    await expect.poll(async () => (await scrape(running.server.url)).text).toMatch(
      /switchyard_requests_total\{route="\/v1\/chat\/completions",code="200",group="chat",deployment="d0",region="",error_kind="network"\} 1/,
    );
    let server: OtlpSpan | undefined;
    await expect.poll(() => (server = spansOf(collector.received).find((s) => attr(s, 'switchyard.request_id') === requestId)), { timeout: 5_000 }).toBeDefined();
    expect(attr(server!, 'http.response.status_code')).toBe(200);
    expect(attr(server!, 'error.type')).toBe('network');
    expect(server!.status).toMatchObject({ code: 2 });
  });

  it("times a stream's first token from the request's arrival, its failed attempt and retry included, and labels its duration stream=\"true\"", async () => {
    const sum = (text: string, name: string): number => Number(new RegExp(`^${name}\\{[^}]*deployment="d0"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = (await scrape(running.server.url)).text;
    sim.faults.add({ status: 503, count: 1 });
    const client = new OpenAI({ baseURL: `${running.server.url}/v1`, apiKey: USER, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    for await (const chunk of stream) void chunk;
    const ttft = 'gen_ai_server_time_to_first_token_seconds';
    let after = '';
    await expect.poll(async () => sum((after = (await scrape(running.server.url)).text), `${ttft}_count`)).toBe(sum(before, `${ttft}_count`) + 1);
    // The request waited for the 503 and the retry before the retry's own first chunk: never less than it.
    const chunk = 'gen_ai_client_operation_time_to_first_chunk_seconds_sum';
    expect(sum(after, `${ttft}_sum`) - sum(before, `${ttft}_sum`)).toBeGreaterThanOrEqual(sum(after, chunk) - sum(before, chunk));
    expect(after).toMatch(/^switchyard_request_duration_seconds_count\{route="\/v1\/chat\/completions",code="200",region="",stream="true"\} [1-9]/m);
  });

  it('counts a client that left before its first content as 499 under the deployment it waited on, its server span failed with no status code claimed', async () => {
    sim.faults.add({ stall_after_chunks: 0, count: 1 });
    const left = new AbortController();
    const sent = request(`${running.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${USER}`, 'content-type': 'application/json', 'x-request-id': 'left-before-content' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
      signal: left.signal,
    }).catch(() => undefined);
    await expect.poll(async () => (await scrape(running.server.url)).text).toMatch(/^switchyard_deployment_in_flight\{deployment="d0"\} 1$/m);
    left.abort();
    await sent;
    await expect.poll(async () => (await scrape(running.server.url)).text).toMatch(
      /switchyard_requests_total\{route="\/v1\/chat\/completions",code="499",group="chat",deployment="d0",region="",error_kind="cancelled"\} 1/,
    );
    let server: OtlpSpan | undefined;
    await expect.poll(() => (server = spansOf(collector.received).find((s) => s.kind === 2 && attr(s, 'switchyard.error_kind') === 'cancelled')), { timeout: 5_000 }).toBeDefined();
    expect([attr(server!, 'http.response.status_code'), attr(server!, 'error.type'), attr(server!, 'switchyard.deployment'), server!.status.code]).toEqual([undefined, 'cancelled', 'd0', 2]);
  });
});

describe('GET /metrics behind an admin key', () => {
  it('asks for an admin or role: metrics key by default on a gateway with keys (the series name keys and their spend), and is gone when metrics are off', async () => {
    const sim = await startOpenAISim({ name: 'private-metrics' });
    const byDefault = await serve([sim]);
    const closed = await serve([sim], { observability: { metrics: { public: false } } });
    const off = await serve([sim], { observability: { metrics: { enabled: false } } });
    try {
      for (const running of [byDefault, closed]) {
        expect((await scrape(running.server.url)).status).toBe(401);
        expect((await scrape(running.server.url, { authorization: `Bearer ${USER}` })).status).toBe(403);
        const admin = await scrape(running.server.url, { authorization: `Bearer ${ADMIN}` });
        expect(admin.status).toBe(200);
        // A scrape is no client work: it is not in flight while it reads the gauge, nor counted after.
        expect(admin.text).toMatch(/^switchyard_requests_in_flight 0$/m);
        expect((await scrape(running.server.url, { authorization: `Bearer ${ADMIN}` })).text).not.toContain('route="/metrics"');
        const scraper = await scrape(running.server.url, { authorization: `Bearer ${SCRAPER}` });
        expect(scraper.status).toBe(200);
        expect(scraper.text).toMatch(/^switchyard_requests_in_flight 0$/m);
      }
      expect((await scrape(off.server.url)).status).toBe(404);
    } finally {
      await Promise.all([byDefault.server.shutdown(100), closed.server.shutdown(100), off.server.shutdown(100)]);
      await sim.close();
    }
  });

  it('serves them to anyone on a gateway without keys, public: false included: its every caller is the anonymous admin (as docs/CONFIG.md says)', async () => {
    const sim = await startOpenAISim({ name: 'keyless-metrics' });
    const keyless = await serve([sim], { api_keys: [], observability: { metrics: { public: false } } });
    try {
      expect((await scrape(keyless.server.url)).status).toBe(200);
    } finally {
      await keyless.server.shutdown(100);
      await sim.close();
    }
  });
});
