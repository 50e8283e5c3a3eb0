import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { EXPOSED_HEADERS } from './cors.js';
import { isBodyStream, type HttpHandler, type HttpRequest, type HttpResponse } from './exchange.js';
import { createHttpHandler } from './handler.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const KEY = 'sk-cors-spec';
const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };

function req(method: string, path: string, headers: Record<string, string>, body?: unknown): HttpRequest {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  return { method, path, query: '', headers: { host: 'gateway.example.com', ...headers }, body: bytes, signal: new AbortController().signal };
}

const preflight = (path: string, origin: string, method = 'POST', requested?: string): HttpRequest =>
  req('OPTIONS', path, { origin, 'access-control-request-method': method, ...(requested === undefined ? {} : { 'access-control-request-headers': requested }) });

const post = (path: string, headers: Record<string, string>, body: unknown = CHAT): HttpRequest =>
  req('POST', path, { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers }, body);

/** The answer's CORS headers (`access-control-*` and `vary`). */
function corsHeaders(answer: HttpResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
}

async function drain(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : new TextDecoder().decode(answer.body);
  let text = '';
  for await (const chunk of answer.body) text += chunk;
  return text;
}

async function appFor(sim: SimServer, extra: Partial<ConfigInput>): Promise<{ app: App; handle: HttpHandler }> {
  const parsed = parseConfig(
    {
      deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
      groups: [{ name: 'chat', deployments: ['sim-a'] }],
      api_keys: [{ id: 'web', key: KEY, rate_limit: { requests_per_minute: 1000 } }],
      ...extra,
    },
    {},
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const app = await createApp(parsed.config);
  return { app, handle: createHttpHandler(app.gateway, app.handlerOptions) };
}

describe('CORS for server.allowed_origins, through the runtime-neutral handler', () => {
  let sim: SimServer;
  let app: App;
  let handle: HttpHandler;

  beforeAll(async () => {
    sim = await startOpenAISim();
    ({ app, handle } = await appFor(sim, { server: { allowed_origins: [`${APP}:443`] } }));
  });

  afterAll(async () => {
    await app.close();
    await sim.close();
  });

  describe('a preflight', () => {
    it("from an allowed origin gets 204 naming that origin and the route's methods, without an API key", async () => {
      const answer = await handle(preflight('/v1/chat/completions', APP));
      expect(answer.status).toBe(204);
      expect(answer.body).toBe('');
      expect(corsHeaders(answer)).toEqual({
        'access-control-allow-origin': APP,
        'access-control-allow-methods': 'POST',
        'access-control-max-age': '600',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      });
    });

    it('allows the headers the gateway reads and the SDKs send from a browser, and no others', async () => {
      const sdk = 'content-type, authorization, x-stainless-os, x-stainless-retry-count, anthropic-version, anthropic-dangerous-direct-browser-access, x-switchyard-task, x-request-id';
      const answer = await handle(preflight('/v1/messages', APP, 'POST', `${sdk}, cookie, x-forwarded-for, X-Evil`));
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-headers']).toBe(sdk);
      const none = await handle(preflight('/v1/messages', APP, 'POST', 'x-evil'));
      expect(none.headers['access-control-allow-headers']).toBeUndefined();
    });

    it('names GET and HEAD for a read route, the health checks included', async () => {
      for (const path of ['/v1/models', '/healthz']) {
        const answer = await handle(preflight(path, APP, 'GET', 'authorization'));
        expect(answer.status, path).toBe(204);
        expect(answer.headers['access-control-allow-methods'], path).toBe('GET, HEAD');
      }
    });

    it("from another origin gets the browser guard's 403 in the door's error shape, with no CORS header", async () => {
      const openai = await handle(preflight('/v1/chat/completions', EVIL));
      expect(openai.status).toBe(403);
      expect(JSON.parse(await drain(openai)).error.code).toBe('cross_origin_request');
      expect(corsHeaders(openai)).toEqual({});
      const anthropic = await handle(preflight('/v1/messages', EVIL, 'POST', 'x-api-key'));
      expect(anthropic.status).toBe(403);
      expect(JSON.parse(await drain(anthropic))).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      expect(corsHeaders(anthropic)).toEqual({});
    });

    it('on an unknown route is a 404, which the browser takes as a refusal, where a known route gets 204', async () => {
      const answer = await handle(preflight('/v1/nowhere', APP));
      expect(answer.status).toBe(404);
      expect(JSON.parse(await drain(answer)).error.code).toBe('unknown_route');
      expect(answer.headers['access-control-allow-methods']).toBeUndefined();
      expect((await handle(preflight('/v1/embeddings', APP))).status).toBe(204);
    });

    it('is an OPTIONS naming a method: a bare OPTIONS is still a 405 with Allow', async () => {
      const bare = await handle(req('OPTIONS', '/v1/chat/completions', { origin: APP }));
      expect(bare.status).toBe(405);
      expect(bare.headers.allow).toBe('POST');
      await drain(bare);
      expect((await handle(req('OPTIONS', '/v1/chat/completions', { origin: APP, 'access-control-request-method': 'POST' }))).status).toBe(204);
    });
  });

  describe('an answer to a page of an allowed origin', () => {
    it('names the origin and lets the page read every header the gateway answered with', async () => {
      const answer = await handle(post('/v1/chat/completions', { origin: APP }));
      expect(answer.status).toBe(200);
      await drain(answer);
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(answer.headers.vary).toBe('Origin');
      const exposed = answer.headers['access-control-expose-headers']?.split(', ') ?? [];
      const gatewayHeaders = Object.keys(answer.headers).filter((h) => /^(x-switchyard-|x-ratelimit-|x-request-id$)/.test(h));
      expect(gatewayHeaders).toContain('x-ratelimit-remaining-requests');
      expect(gatewayHeaders).toContain('x-switchyard-deployment');
      for (const h of gatewayHeaders) expect(exposed, h).toContain(h);
    });

    it("carries them on errors too, in every door's shape (the page can read why and its request id)", async () => {
      const unauthenticated = await handle(post('/v1/chat/completions', { origin: APP, authorization: 'Bearer wrong' }));
      expect(unauthenticated.status).toBe(401);
      await drain(unauthenticated);
      expect(unauthenticated.headers['access-control-allow-origin']).toBe(APP);
      expect(unauthenticated.headers['access-control-expose-headers']).toBe(EXPOSED_HEADERS);
      const anthropic = await handle(post('/v1/messages', { origin: APP, 'anthropic-version': '2023-06-01' }, { model: 'chat', messages: 'not a list' }));
      expect(anthropic.status).toBe(400);
      await drain(anthropic);
      expect(anthropic.headers['access-control-allow-origin']).toBe(APP);
      expect(anthropic.headers['access-control-expose-headers']?.split(', ')).toContain('request-id');
    });

    it('carries them on a stream (SSE), set before its first frame', async () => {
      const answer = await handle(post('/v1/chat/completions', { origin: APP }, { ...CHAT, stream: true }));
      expect(answer.status).toBe(200);
      expect(isBodyStream(answer.body)).toBe(true);
      expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(answer.headers.vary).toBe('Origin');
      expect(await drain(answer)).toContain('data: [DONE]');
    });
  });

  describe('only an allowed origin gets CORS headers; everything else is answered as before', () => {
    it('a client that sends no Origin (SDKs on a server, curl) gets none', async () => {
      const answer = await handle(post('/v1/chat/completions', {}));
      expect(answer.status).toBe(200);
      await drain(answer);
      expect(corsHeaders(answer)).toEqual({});
      const page = await handle(post('/v1/chat/completions', { origin: APP }));
      await drain(page);
      expect(Object.keys(corsHeaders(page))).toEqual(['access-control-allow-origin', 'access-control-expose-headers', 'vary']);
    });

    it("a page of another origin (the guard's 403) and the gateway's own pages (same origin: the dashboard) get none", async () => {
      const refused = await handle(post('/v1/chat/completions', { origin: EVIL }));
      expect(refused.status).toBe(403);
      expect(corsHeaders(refused)).toEqual({});
      const own = await handle(post('/v1/chat/completions', { origin: 'https://gateway.example.com' }));
      expect(own.status).toBe(200);
      await drain(own);
      expect(corsHeaders(own)).toEqual({});
      const allowed = await handle(post('/v1/chat/completions', { origin: APP }));
      await drain(allowed);
      expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    });

    it('a gateway with no allowed_origins: a preflight from any other origin is refused, nothing is revealed', async () => {
      const closed = await appFor(sim, {});
      try {
        const pre = await closed.handle(preflight('/v1/chat/completions', APP));
        expect(pre.status).toBe(403);
        expect(corsHeaders(pre)).toEqual({});
        const own = await closed.handle(post('/v1/chat/completions', { origin: 'https://gateway.example.com' }));
        expect(own.status).toBe(200);
        await drain(own);
        expect(corsHeaders(own)).toEqual({});
      } finally {
        await closed.app.close();
      }
    });
  });
});
