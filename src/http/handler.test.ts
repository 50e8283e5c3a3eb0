import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { isBodyStream, type AfterAnswer, type HttpHandler, type HttpRequest, type HttpResponse } from './exchange.js';
import { createHttpHandler } from './handler.js';
import { jsonResponse } from './respond.js';
import type { Ingress, Route, RouteContext, StartSpan } from './route.js';
import { memoryConversations, type Conversations } from '../ingress/openai-responses/store/conversations.js';

/** A request as a serverless adapter builds it: buffered bytes, lower-case headers. */
function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, query = ''): HttpRequest {
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : new TextEncoder().encode(JSON.stringify(body));
  return { method, path, query, headers: { 'content-type': 'application/json', ...headers }, body: bytes, signal: new AbortController().signal };
}

const json = (answer: HttpResponse): { error: { type: string; code: string; message: string } } & Record<string, unknown> => JSON.parse(answer.body as string);

function gatewayFor(sim: SimServer | undefined, extra: Partial<ConfigInput> = {}): Gateway {
  const parsed = parseConfig(
    {
      server: { body_limit_bytes: 1024 },
      routing: { max_attempts_per_deployment: 1 },
      deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim?.url ?? 'http://127.0.0.1:9'}/v1` }],
      groups: [{ name: 'chat', deployments: ['sim-a'] }],
      ...extra,
    },
    {},
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return createGateway(parsed.config);
}

describe('the runtime-neutral handler, without node:http', () => {
  let sim: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const lines: Array<Record<string, unknown>> = [];
  const accessLogger: Logger = { ...silentLogger, info: (obj) => lines.push(obj as Record<string, unknown>) };
  let draining = false;
  const echo: Route = { method: 'GET', path: '/v1/echo', handle: async (ctx) => jsonResponse(200, { q: ctx.query.get('q'), key: ctx.caller.keyId }) };

  beforeAll(async () => {
    sim = await startOpenAISim();
    gateway = gatewayFor(sim);
    handle = createHttpHandler(gateway, { accessLogger, routes: [echo], isDraining: () => draining });
  });

  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  it('answers a feature route with JSON, reading the query string', async () => {
    const answer = await handle(req('GET', '/v1/echo', undefined, {}, 'q=a%20b'));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(json(answer)).toEqual({ q: 'a b' });
  });

  it('answers unknown paths with 404 and wrong methods with 405, in the OpenAI error shape with our request id', async () => {
    const missing = await handle(req('GET', '/v2/nothing'));
    expect(missing.status).toBe(404);
    expect(json(missing).error).toMatchObject({ type: 'invalid_request_error', code: 'unknown_route' });
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const wrong = await handle(req('GET', '/v1/chat/completions'));
    expect(wrong.status).toBe(405);
    expect(json(wrong).error.code).toBe('method_not_allowed');
    expect(wrong.headers.allow).toBe('POST');
    expect((await handle(req('OPTIONS', '/healthz'))).headers.allow).toBe('GET, HEAD');
    expect((await handle(req('TRACE', '/v1/echo'))).headers.allow).toBe('GET, HEAD');
    expect(missing.headers.allow).toBeUndefined();
  });

  it('answers HEAD where GET is routed (uptime monitors probe with HEAD), and POST-only paths with 405', async () => {
    const health = await handle(req('HEAD', '/healthz'));
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toBe('application/json');
    const echoed = await handle(req('HEAD', '/v1/echo'));
    expect(echoed.status).toBe(200);
    expect((await handle(req('HEAD', '/v1/chat/completions'))).status).toBe(405);
  });

  it('closes a streamed answer to HEAD at once and sends none of it', async () => {
    let returned = false;
    const frames: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: 'data: frame\n\n' }),
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const feed: Route = { method: 'GET', path: '/v1/feed', handle: async () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: frames }) };
    const h = createHttpHandler(gateway, { routes: [feed] });
    const answer = await h(req('HEAD', '/v1/feed'));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    expect(returned).toBe(true);
    const sent: string[] = [];
    if (isBodyStream(answer.body)) for await (const chunk of answer.body) sent.push(chunk);
    expect(sent).toEqual([]);
  });

  it("answers an unrouted path of Anthropic's API in Anthropic's error shape, repeated slashes included", async () => {
    for (const path of ['/v1/messages/batches', '//v1/messages', '/v1//messages/count_tokens', '/v1/messages//']) {
      const missing = await handle(req('POST', path, {}));
      expect(missing.status).toBe(404);
      expect(json(missing)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
  });

  it('names the route meant when a base URL ending in /v1 doubled it, in that door\'s error shape', async () => {
    const anthropic = await handle(req('POST', '/v1/v1/messages', {}));
    expect(anthropic.status).toBe(404);
    expect(json(anthropic)).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: "Unknown route /v1/v1/messages. Did you mean /v1/messages? The client's base URL ends in /v1, and the client adds /v1 itself." },
    });
    const openai = await handle(req('POST', '/v1/v1/chat/completions', {}));
    expect(json(openai).error).toMatchObject({ code: 'unknown_route', message: expect.stringContaining('Did you mean /v1/chat/completions?') as unknown });
    const nothing = await handle(req('POST', '/v1/v1/nothing', {}));
    expect(json(nothing).error.message).toBe('Unknown route /v1/v1/* (* stands for a segment no route has).');
  });

  it('quotes no segment of the path that no route spells out in a 404 or 405: a key pasted into a URL does not come back', async () => {
    const pasted = 'sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    const h = createHttpHandler(gateway, { routes: [{ method: 'POST', path: '/v1/things/{id}/revoke', handle: async () => ({ status: 200, headers: {}, body: '' }) }] });
    const lost = await h(req('GET', `/v1/${pasted}/models`));
    expect([lost.status, json(lost).error.message]).toEqual([404, 'Unknown route /v1/*/models (* stands for a segment no route has).']);
    const wrong = await h(req('GET', `/v1/things/${pasted}/revoke`));
    expect([wrong.status, json(wrong).error.message]).toEqual([405, 'Method GET is not allowed on /v1/things/{id}/revoke.']);
    const doubled = await h(req('GET', `/v1/v1/things/${pasted}/revoke`));
    expect([doubled.status, json(doubled).error.message]).toEqual([404, "Unknown route /v1/v1/things/*/revoke (* stands for a segment no route has). Did you mean /v1/things/{id}/revoke? The client's base URL ends in /v1, and the client adds /v1 itself."]);
  });

  it('completes a chat from buffered body bytes and names who served it', async () => {
    const answer = await handle(req('POST', '/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(answer.status).toBe(200);
    expect(answer.headers['x-switchyard-deployment']).toBe('sim-a');
    expect((json(answer).choices as Array<{ message: { content: string } }>)[0]?.message.content).toContain('You said: Hi');
  });

  it('refuses bytes over the body limit with 413 and bad JSON with 400, never a 500', async () => {
    const big = await handle(req('POST', '/v1/chat/completions', 'x'.repeat(2048)));
    expect(big.status).toBe(413);
    expect(json(big).error.code).toBe('request_too_large');
    const bad = await handle(req('POST', '/v1/chat/completions', '{"model":'));
    expect(bad.status).toBe(400);
    expect(json(bad).error.code).toBe('invalid_json');
  });

  it('streams SSE frames as a body stream, logging the request once the stream has ended', async () => {
    lines.length = 0;
    const answer = await handle(req('POST', '/v1/chat/completions', { model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] }));
    expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(isBodyStream(answer.body)).toBe(true);
    expect(lines).toEqual([]);
    let text = '';
    for await (const chunk of answer.body as AsyncIterable<string>) text += chunk;
    expect(text.startsWith('data: {"id":"chatcmpl-')).toBe(true);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 200, path: '/v1/chat/completions', deployment: 'sim-a' });
  });

  it("leaves the access line for after the answer when the runtime says when that is (afterAnswer)", async () => {
    lines.length = 0;
    const later: AfterAnswer[] = [];
    const answer = await handle({ ...req('GET', '/v1/echo', undefined, {}, 'q=x'), afterAnswer: (task) => later.push(task) });
    expect(answer.status).toBe(200);
    expect(lines).toEqual([]);
    expect(later).toHaveLength(1);
    later[0]?.answered();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 200, path: '/v1/echo' });
    // Without it (a serverless invocation may be frozen once it returns) the line is written before answering.
    await handle(req('GET', '/v1/echo'));
    expect(lines).toHaveLength(2);
  });

  it('answers readiness with 503 draining while the runtime drains', async () => {
    expect((await handle(req('GET', '/readyz'))).status).toBe(200);
    draining = true;
    const answer = await handle(req('GET', '/readyz'));
    draining = false;
    expect(answer.status).toBe(503);
    expect(json(answer)).toEqual({ status: 'draining' });
  });
});

describe('authentication in the handler', () => {
  const gateway = gatewayFor(undefined, { api_keys: [{ id: 'k', key: 'sk-k', role: 'admin' }] });
  const handle = createHttpHandler(gateway, { routes: [{ method: 'GET', path: '/v1/who', handle: async (ctx) => jsonResponse(200, { key: ctx.caller.keyId }) }] });
  afterAll(() => gateway.close());

  it('answers a missing key with 401, takes a bearer key, api-key or x-api-key header, and lets health checks through', async () => {
    const none = await handle(req('GET', '/v1/who'));
    expect(none.status).toBe(401);
    expect(json(none).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect((json(none).error as { message: string }).message, 'the message names every header a key may come in').toMatch(/Authorization: Bearer.*x-api-key.*api-key/);
    expect(json(await handle(req('GET', '/v1/who', undefined, { authorization: 'Bearer sk-k' })))).toEqual({ key: 'k' });
    expect(json(await handle(req('GET', '/v1/who', undefined, { 'api-key': 'sk-k' })))).toEqual({ key: 'k' });
    expect(json(await handle(req('GET', '/v1/who', undefined, { 'x-api-key': 'sk-k' })))).toEqual({ key: 'k' });
    expect((await handle(req('GET', '/v1/who', undefined, { 'x-api-key': 'sk-wrong' }))).status).toBe(401);
    expect((await handle(req('GET', '/healthz'))).status).toBe(200);
  });
});

describe('which routes are observed (server span, in-flight gauge, request series)', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  it('opens a span for client work, none for a route marked observed: false (still access-logged) nor a public one', async () => {
    const spans: string[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const handle = createHttpHandler(gateway, {
      accessLogger: { ...silentLogger, info: (obj) => void lines.push(obj as Record<string, unknown>) },
      startSpan: ({ route }) => (spans.push(route), { end: () => undefined }),
      routes: [
        { method: 'GET', path: '/v1/work', handle: async () => jsonResponse(200, {}) },
        { method: 'GET', path: '/plumbing', observed: false, handle: async () => jsonResponse(200, {}) },
      ],
    });
    for (const path of ['/v1/work', '/plumbing', '/healthz', '/v1/models']) expect((await handle(req('GET', path))).status).toBe(200);
    expect(spans).toEqual(['/v1/work', '/v1/models']);
    expect(lines.map((l) => l.path)).toEqual(['/v1/work', '/plumbing', '/v1/models']);
  });

  it('opens the span with the route template, never the path with its ids, and opens none for a 404 or 405, which have no route', async () => {
    const spans: Array<{ route: string; path: string }> = [];
    const handle = createHttpHandler(gateway, {
      startSpan: ({ route, path }) => (spans.push({ route, path }), { end: () => undefined }),
      routes: [{ method: 'GET', path: '/v1/things/{id}', handle: async () => jsonResponse(200, {}) }],
    });
    expect((await handle(req('GET', '/v1/things/t-42'))).status).toBe(200);
    expect((await handle(req('GET', '/v1/no-such-route/t-42'))).status).toBe(404);
    expect((await handle(req('DELETE', '/v1/things/t-42'))).status).toBe(405);
    expect(spans).toEqual([{ route: '/v1/things/{id}', path: '/v1/things/t-42' }]);
  });

  it("hands the span the runtime's scheme, HTTP version and the path the client sent, and none invented when the runtime gave none", async () => {
    const starts: Array<Parameters<StartSpan>[0]> = [];
    const handle = createHttpHandler(gateway, { startSpan: (start) => (starts.push(start), { end: () => undefined }) });
    await handle({ ...req('GET', '/v1/models'), scheme: 'https', httpVersion: 'HTTP/1.1', originalPath: '/prod/v1/models' });
    await handle(req('GET', '/v1/models'));
    expect(starts.map((s) => [s.scheme, s.httpVersion, s.path, s.originalPath])).toEqual([
      ['https', 'HTTP/1.1', '/v1/models', '/prod/v1/models'],
      ['http', undefined, '/v1/models', undefined],
    ]);
  });
});

describe('stored Responses come from the handler options, never from the gateway', () => {
  const STORE = { enabled: true, retention_hours: 1, max_memory_responses: 10, max_memory_bytes: 1_000_000 };
  let sim: SimServer;
  let gateway: Gateway;

  beforeAll(async () => {
    sim = await startOpenAISim();
    gateway = gatewayFor(sim, { responses: { store: STORE } });
  });

  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  const create = async (handle: HttpHandler, previous?: string): Promise<{ status: number; id: string; code?: string }> => {
    const answer = await handle(req('POST', '/v1/responses', { model: 'chat', input: 'Hi', previous_response_id: previous }));
    const body = JSON.parse(answer.body as string) as { id: string; error?: { code: string } };
    return { status: answer.status, id: body.id, code: body.error?.code };
  };

  it("asks for the store at the start of each request, so a reload's store takes the next one", async () => {
    const stores = [memoryConversations(STORE, silentLogger), memoryConversations(STORE, silentLogger)] as const;
    let current: Conversations = stores[0];
    const handle = createHttpHandler(gateway, { conversations: () => current });
    const first = await create(handle);
    expect((await create(handle, first.id)).status).toBe(200);
    current = stores[1];
    expect(await create(handle, first.id)).toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });

  it('keeps them in its own memory when given no store, and says so in the log', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, child: () => logger, warn: (_obj, msg) => warnings.push(msg ?? '') };
    const handle = createHttpHandler(gateway, { logger });
    expect(warnings).toEqual([expect.stringContaining("stored responses live in this process's memory only")]);
    const first = await create(handle);
    expect((await create(handle, first.id)).status).toBe(200);
  });
});

describe('answers wait for what requests recorded to be durable (beforeAnswer)', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  it('returns an answer, error answers too, only once beforeAnswer has resolved', async () => {
    let release: () => void = () => undefined;
    let pending: Promise<void> | undefined = new Promise<void>((r) => (release = r));
    const handle = createHttpHandler(gateway, { routes: [{ method: 'GET', path: '/v1/ok', handle: async () => jsonResponse(200, { ok: true }) }], beforeAnswer: () => pending });
    let answered = 0;
    const ok = handle(req('GET', '/v1/ok')).then((a) => ((answered += 1), a));
    const missing = handle(req('GET', '/v1/nope')).then((a) => ((answered += 1), a));
    await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(0);
    release();
    pending = undefined;
    expect((await ok).status).toBe(200);
    expect((await missing).status).toBe(404);
  });
});

/**
 * A GET /v1/stream route: one frame, then `beforeEnd` (as SseStream's closing frames wait for
 * `ctx.beforeEnd()`), then [DONE] and the stream has ended.
 */
function streamRoute(beforeEnd: (ctx: RouteContext) => Promise<void> | void): Route {
  return {
    method: 'GET',
    path: '/v1/stream',
    handle: async (ctx) => {
      const body = (async function* () {
        yield 'data: one\n\n';
        await beforeEnd(ctx);
        yield 'data: [DONE]\n\n';
        ctx.streamEnded();
      })();
      return { status: 200, headers: { 'content-type': 'text/event-stream' }, body };
    },
  };
}

/** A GET /v1/slow route that answers once released: a request kept open beside the others. */
function heldOpen(): { route: Route; release: () => void } {
  let release: () => void = () => undefined;
  const slow = new Promise<void>((r) => (release = r));
  return { route: { method: 'GET', path: '/v1/slow', handle: async () => (await slow, jsonResponse(200, { slow: true })) }, release: () => release() };
}

describe('without a journal, concurrent answers still leave together at the end of the turn', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  /** The order of the answer and of an immediate set just before the request: held answers come after it. */
  async function order(handle: HttpHandler, path: string): Promise<string[]> {
    const seen: string[] = [];
    setImmediate(() => seen.push('check phase'));
    await handle(req('GET', path)).then(() => seen.push('answer'));
    await new Promise((r) => setImmediate(r));
    return seen;
  }

  it('holds a whole answer for the check phase while another request is open; alone, answers at once', async () => {
    const { route: slowRoute, release: releaseSlow } = heldOpen();
    const handle = createHttpHandler(gateway, {
      routes: [
        { method: 'GET', path: '/v1/ok', handle: async () => jsonResponse(200, { ok: true }) },
        slowRoute,
      ],
    });
    expect(await order(handle, '/v1/ok')).toEqual(['answer', 'check phase']);
    const slowAnswer = handle(req('GET', '/v1/slow'));
    expect(await order(handle, '/v1/ok')).toEqual(['check phase', 'answer']);
    expect(await order(handle, '/v1/nope')).toEqual(['check phase', 'answer']); // an error answer too
    releaseSlow();
    expect((await slowAnswer).status).toBe(200);
  });

  it("holds a stream's closing frames the same way (beforeEnd): for the check phase beside another request, not alone", async () => {
    const { route: slowRoute, release: releaseSlow } = heldOpen();
    const ends: Array<'held' | 'at once'> = [];
    const handle = createHttpHandler(gateway, {
      routes: [
        slowRoute,
        streamRoute((ctx) => void ends.push(ctx.beforeEnd() === undefined ? 'at once' : 'held')),
      ],
    });
    const drain = async (): Promise<void> => {
      const answer = await handle(req('GET', '/v1/stream'));
      for await (const frame of answer.body as AsyncIterable<string>) void frame;
    };
    await drain();
    const slowAnswer = handle(req('GET', '/v1/slow'));
    await drain();
    releaseSlow();
    await slowAnswer;
    expect(ends).toEqual(['at once', 'held']);
  });
});

/**
 * A handler over `routes` that records what `beforeAnswer` is told, each under the name being asked
 * (`asking.now`: the path `ask` sends, or what a route sets it to, as a stream's end).
 */
function aloneRecorder(gateway: Gateway, routes: (asking: { now: string }) => Route[]) {
  const told: Array<[string, boolean]> = [];
  const asking = { now: '' };
  const handle = createHttpHandler(gateway, { routes: routes(asking), beforeAnswer: (alone) => void told.push([asking.now, alone]) });
  const ask = (path: string): Promise<HttpResponse> => {
    asking.now = path;
    return handle(req('GET', path));
  };
  return { told, asking, ask };
}

describe('beforeAnswer is told when a request is alone (nothing else open could share a journal write)', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  it('alone for a request on its own; not while another answer or a stream is still open', async () => {
    const { route: slowRoute, release: releaseSlow } = heldOpen();
    let releaseStream: () => void = () => undefined;
    const streamGate = new Promise<void>((r) => (releaseStream = r));
    const { told, asking, ask } = aloneRecorder(gateway, (asking) => [
      { method: 'GET', path: '/v1/ok', handle: async () => jsonResponse(200, { ok: true }) },
      slowRoute,
      streamRoute(async (ctx) => {
        await streamGate;
        asking.now = 'stream end';
        await ctx.beforeEnd();
      }),
    ]);

    await ask('/v1/ok');
    expect(told).toEqual([['/v1/ok', true]]);

    told.length = 0;
    const slowAnswer = ask('/v1/slow');
    await ask('/v1/ok');
    releaseSlow();
    asking.now = '/v1/slow';
    await slowAnswer;
    expect(told).toEqual([['/v1/ok', false], ['/v1/slow', true]]); // the slow one was open; then the other had answered

    told.length = 0;
    const stream = await ask('/v1/stream');
    await ask('/v1/ok');
    const frames = (stream.body as AsyncIterable<string>)[Symbol.asyncIterator]();
    await frames.next();
    releaseStream();
    await frames.next();
    await frames.next();
    await ask('/v1/ok');
    expect(told).toEqual([
      ['/v1/stream', false], // a stream's head: its end is still to come
      ['/v1/ok', false], // the stream is open
      ['stream end', true],
      ['/v1/ok', true], // the stream has ended
    ]);
  });
});

describe('a stream that records no usage never keeps a request from being alone', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  it("the dashboard's feed, open for hours, leaves every other request alone; the feed's own end is not alone beside one", async () => {
    let releaseOk: () => void = () => undefined;
    const okGate = new Promise<void>((r) => (releaseOk = r));
    const { told, asking, ask } = aloneRecorder(gateway, (asking) => [
      { method: 'GET', path: '/v1/ok', handle: async () => jsonResponse(200, { ok: true }) },
      { method: 'GET', path: '/v1/held', handle: async () => (await okGate, jsonResponse(200, { held: true })) },
      {
        // As the dashboard's feed: plumbing, unobserved, a stream that records nothing.
        method: 'GET',
        path: '/v1/feed',
        observed: false,
        handle: async (ctx) => {
          const body = (async function* () {
            yield 'data: snapshot\n\n';
            asking.now = 'feed end';
            await ctx.beforeEnd();
            ctx.streamEnded();
          })();
          return { status: 200, headers: { 'content-type': 'text/event-stream' }, body };
        },
      },
    ]);

    const feed = await ask('/v1/feed');
    await ask('/v1/ok');
    expect(told).toEqual([
      ['/v1/feed', true],
      ['/v1/ok', true], // the feed is open, but records nothing to share a write with
    ]);

    told.length = 0;
    const held = ask('/v1/held');
    const frames = (feed.body as AsyncIterable<string>)[Symbol.asyncIterator]();
    await frames.next();
    await frames.next();
    releaseOk();
    asking.now = '/v1/held';
    await held;
    expect(told).toEqual([
      ['feed end', false], // a request is open beside it
      ['/v1/held', true],
    ]);
  });
});

describe('a request whose error answer itself fails', () => {
  const gateway = gatewayFor(undefined);
  afterAll(() => gateway.close());

  it('is no longer open: the next request on its own is alone', async () => {
    const told: boolean[] = [];
    const broken: Ingress = {
      name: 'broken',
      routes: [
        { method: 'GET', path: '/v1/fails', handle: async () => Promise.reject(new Error('route failed')) },
        { method: 'GET', path: '/v1/ok', handle: async () => jsonResponse(200, { ok: true }) },
      ],
      encodeError: () => {
        throw new Error('the error shape failed too');
      },
    };
    const handle = createHttpHandler(gateway, { ingresses: [broken], beforeAnswer: (alone) => void told.push(alone) });
    await expect(handle(req('GET', '/v1/fails'))).rejects.toThrow('the error shape failed too');
    await handle(req('GET', '/v1/ok'));
    expect(told).toEqual([true]);
  });
});

describe('a stream that fails or is cancelled mid-answer, on every front door', () => {
  let sim: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const ended: Array<{ route: string; status: number; errorKind: string | undefined }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const accessLogger: Logger = { ...silentLogger, info: (obj) => lines.push(obj as Record<string, unknown>) };
  const words = 'one two three four five six seven eight';
  const streams: Array<[string, Record<string, unknown>]> = [
    ['/v1/chat/completions', { model: 'chat', stream: true, messages: [{ role: 'user', content: words }] }],
    ['/v1/messages', { model: 'chat', max_tokens: 64, stream: true, messages: [{ role: 'user', content: words }] }],
    ['/v1/responses', { model: 'chat', stream: true, input: words }],
  ];

  beforeAll(async () => {
    sim = await startOpenAISim();
    gateway = gatewayFor(sim);
    handle = createHttpHandler(gateway, {
      accessLogger,
      startSpan: ({ route }) => ({ end: (status, _servedBy, errorKind) => void ended.push({ route, status, errorKind }) }),
    });
  });

  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  async function stream(path: string, body: Record<string, unknown>): Promise<AsyncIterator<string>> {
    const answer = await handle(req('POST', path, body));
    expect(answer.status).toBe(200);
    return (answer.body as AsyncIterable<string>)[Symbol.asyncIterator]();
  }

  it('ends the request with status 200 (the status line went out) and the error kind of the cut: span and access log', async () => {
    for (const [path, body] of streams) {
      ended.length = 0;
      lines.length = 0;
      sim.faults.add({ count: 1, cut_after_chunks: 2 });
      const chunks = await stream(path, body);
      while (!(await chunks.next()).done);
      expect(ended).toEqual([{ route: path, status: 200, errorKind: 'network' }]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ path, status: 200, errorKind: 'network' });
    }
  });

  it('ends a stream the client stopped reading as cancelled, and one that went well without an error kind', async () => {
    for (const [path, body] of streams) {
      ended.length = 0;
      lines.length = 0;
      const cancelled = await stream(path, body);
      await cancelled.next();
      await cancelled.return?.();
      const whole = await stream(path, body);
      while (!(await whole.next()).done);
      expect(ended).toEqual([
        { route: path, status: 200, errorKind: 'cancelled' },
        { route: path, status: 200, errorKind: undefined },
      ]);
      expect(lines.map((l) => l.errorKind)).toEqual(['cancelled', undefined]);
    }
  });
});
