import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { underBasePath } from './base-path.js';
import type { AfterAnswer, BodyReader, HttpHandler, HttpRequest, HttpResponse } from './exchange.js';
import { createHttpHandler } from './handler.js';
import type { StartSpan } from './route.js';

function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): HttpRequest {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  return { method, path, query: '', headers: { 'content-type': 'application/json', ...headers }, body: bytes, signal: new AbortController().signal };
}

const errorOf = (answer: HttpResponse): Record<string, unknown> => JSON.parse(answer.body as string) as Record<string, unknown>;

const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };

describe('underBasePath', () => {
  it('is the rest of a path under the base, a whole segment at a time, and / for the base itself', () => {
    expect(underBasePath('/llm/v1/chat/completions', '/llm')).toBe('/v1/chat/completions');
    expect(underBasePath('/llm', '/llm')).toBe('/');
    expect(underBasePath('/llm/', '/llm')).toBe('/');
    expect(underBasePath('/a/llm/v1/models', '/a/llm')).toBe('/v1/models');
    expect(underBasePath('/llmx/v1/models', '/llm')).toBeUndefined();
    expect(underBasePath('/v1/models', '/llm')).toBeUndefined();
    expect(underBasePath('/LLM/v1/models', '/llm')).toBeUndefined();
  });
});

describe('server.base_path in the runtime-neutral handler', () => {
  let sim: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const spans: Array<Parameters<StartSpan>[0]> = [];

  beforeAll(async () => {
    sim = await startOpenAISim();
    const parsed = parseConfig(
      {
        server: { base_path: '/llm' },
        deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['sim-a'] }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config);
    handle = createHttpHandler(gateway, { startSpan: (start) => (spans.push(start), { end: () => undefined }) });
  });

  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  it('routes a request under the base path on the rest, and the span keeps the path as sent', async () => {
    spans.length = 0;
    const answer = await handle(req('POST', '/llm/v1/chat/completions', CHAT));
    expect(answer.status).toBe(200);
    expect(spans.map((s) => [s.route, s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/v1/chat/completions', '/llm/v1/chat/completions']]);
  });

  it("keeps a runtime's own originalPath (API Gateway's stage in front) rather than the path it routed on", async () => {
    spans.length = 0;
    await handle({ ...req('GET', '/llm/v1/models'), originalPath: '/prod/llm/v1/models' });
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/models', '/prod/llm/v1/models']]);
  });

  it('quotes no segment that no route spells out when it names the base path: a key pasted into a URL does not come back', async () => {
    const answer = await handle(req('GET', '/v1/sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd/models'));
    expect(answer.status).toBe(404);
    expect(errorOf(answer)).toMatchObject({ error: { message: 'Unknown route /v1/*/models. This gateway is served under /llm (server.base_path): call /llm/v1/*/models.' } });
  });

  it("answers a path outside the base path 404 in its front door's shape, naming the base path, with any method", async () => {
    const openai = await handle(req('POST', '/v1/chat/completions', CHAT));
    expect(openai.status).toBe(404);
    expect(openai.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(errorOf(openai)).toMatchObject({
      error: { type: 'invalid_request_error', code: 'unknown_route', message: 'Unknown route /v1/chat/completions. This gateway is served under /llm (server.base_path): call /llm/v1/chat/completions.' },
    });
    const anthropic = await handle(req('POST', '/v1/messages', { model: 'chat', max_tokens: 5, messages: [] }));
    expect(anthropic.status).toBe(404);
    expect(errorOf(anthropic)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    // A path some route takes with another method is still unknown outside the base path: 404, not 405.
    const get = await handle(req('GET', '/v1/chat/completions'));
    expect([get.status, get.headers.allow]).toEqual([404, undefined]);
    expect((await handle(req('GET', '/llmx/v1/models'))).status).toBe(404);
    expect((await handle(req('OPTIONS', '/v1/models', undefined, { origin: 'https://x.example', 'access-control-request-method': 'GET' }))).status).toBe(404);
  });

  it('answers the health probes with and without the base path (kubelet probes reach the pod directly)', async () => {
    for (const path of ['/healthz', '/readyz', '/llm/healthz', '/llm/readyz']) expect([path, (await handle(req('GET', path))).status]).toEqual([path, 200]);
  });

  it("reads the body through the runtime's own reader and hands the runtime the after-answer task", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(CHAT));
    const tasks: AfterAnswer[] = [];
    // A runtime's request class, whose reader and afterAnswer are methods reading its own fields.
    class RuntimeRequest implements HttpRequest {
      readonly method = 'POST';
      readonly path = '/llm/v1/chat/completions';
      readonly query = '';
      readonly headers = { 'content-type': 'application/json' };
      readonly signal = new AbortController().signal;
      readonly body: BodyReader = this.read;
      private readonly bytes = bytes;
      read(this: RuntimeRequest): Promise<Uint8Array> {
        return Promise.resolve(this.bytes);
      }
      afterAnswer(task: AfterAnswer): void {
        tasks.push(task);
      }
    }
    const answer = await handle(new RuntimeRequest());
    expect(answer.status).toBe(200);
    expect(tasks).toHaveLength(1);
  });
});
