import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttemptRecord } from '../../core/events.js';
import { createGateway } from '../../gateway/gateway.js';
import type { HttpResponse } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { createLambdaHandler } from './handler.js';
import { lazyHandler } from '../../http/lazy.js';
import { fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';
import { JSON_ANSWER, SSE_CHUNKS, jsonHandler, recordingHandler, streamingHandler } from './testing/handlers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createLambdaHandler (buffered front doors)', () => {
  it('answers an HTTP API event in the payload 2.0 result shape', async () => {
    const result = await createLambdaHandler(jsonHandler)(fixture('http-api-v2'), fakeContext());
    expect(result).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON_ANSWER, isBase64Encoded: false });
  });

  it('answers a REST API event in the proxy result shape', async () => {
    const result = await createLambdaHandler(jsonHandler)(fixture('rest-api-v1'), fakeContext());
    expect(result).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON_ANSWER, isBase64Encoded: false });
  });

  it('answers an ALB with multi-value headers in multiValueHeaders, with a status description', async () => {
    const result = await createLambdaHandler(jsonHandler)(fixture('alb'), fakeContext());
    expect(result).toEqual({ statusCode: 200, statusDescription: '200 OK', multiValueHeaders: { 'content-type': ['application/json'] }, body: JSON_ANSWER, isBase64Encoded: false });
  });

  it('answers an ALB without multi-value headers in headers', async () => {
    const { multiValueHeaders: _h, multiValueQueryStringParameters: _q, ...alb } = fixture('alb');
    const result = await createLambdaHandler(jsonHandler)({ ...alb, headers: { accept: 'application/json' } }, fakeContext());
    expect(result).toMatchObject({ statusCode: 200, statusDescription: '200 OK', headers: { 'content-type': 'application/json' } });
  });

  it('collects a streamed SSE body whole, since API Gateway and ALB cannot stream', async () => {
    const upstream = streamingHandler();
    upstream.push(...SSE_CHUNKS);
    upstream.end();
    const result = await createLambdaHandler(upstream.handler)(fixture('http-api-v2'), fakeContext());
    expect(result).toEqual({ statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: SSE_CHUNKS.join(''), isBase64Encoded: false });
  });

  it('turns trailers into headers once the collected body is complete', async () => {
    const handler = recordingHandler({
      status: 200,
      headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd' },
      body: (async function* () {
        yield 'data: [DONE]\n\n';
      })(),
      trailers: () => ({ 'x-switchyard-cost-usd': '0.000125' }),
    });
    const result = await createLambdaHandler(handler)(fixture('rest-api-v1'), fakeContext());
    expect(result.headers).toEqual({ 'content-type': 'text/event-stream', 'x-switchyard-cost-usd': '0.000125' });
  });

  it('returns UTF-8 bytes of a textual type as text and other bytes base64-encoded', async () => {
    const json = recordingHandler({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: new TextEncoder().encode(JSON_ANSWER) });
    expect(await createLambdaHandler(json)(fixture('rest-api-v1'), fakeContext())).toMatchObject({ body: JSON_ANSWER, isBase64Encoded: false });
    const bytes = new Uint8Array([0, 159, 146, 150]);
    const binary = recordingHandler({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(await createLambdaHandler(binary)(fixture('http-api-v2'), fakeContext())).toMatchObject({ body: 'AJ+Slg==', isBase64Encoded: true });
    const invalid = recordingHandler({ status: 200, headers: { 'content-type': 'text/plain' }, body: bytes });
    expect(await createLambdaHandler(invalid)(fixture('alb'), fakeContext())).toMatchObject({ body: 'AJ+Slg==', isBase64Encoded: true });
  });

  describe('an answer larger than the front door takes back', () => {
    const answering = (body: string, contentType = 'application/json') => recordingHandler({ status: 200, headers: { 'content-type': contentType }, body });
    const quietly = async <T>(run: () => Promise<T>): Promise<{ result: T; logged: string[] }> => {
      const logged: string[] = [];
      const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (logged.push(String(chunk)), true));
      try {
        return { result: await run(), logged };
      } finally {
        write.mockRestore();
      }
    };

    it("is a 502 response_too_large in the front door's error shape past Lambda's 6 MB, logged with its size", async () => {
      const { result, logged } = await quietly(() => createLambdaHandler(answering(`"${'x'.repeat(6 * 1024 * 1024)}"`))(fixture('http-api-v2'), fakeContext()));
      expect(result.statusCode).toBe(502);
      expect(JSON.parse(result.body ?? '')).toMatchObject({ error: { type: 'server_error', code: 'response_too_large' } });
      expect(logged.join('')).toContain('an answer of 6291');
      const anthropic = await quietly(() => createLambdaHandler(answering('x'.repeat(7 * 1024 * 1024), 'text/event-stream'))({ ...fixture('http-api-v2'), rawPath: '/v1/messages' }, fakeContext()));
      expect(JSON.parse(anthropic.result.body ?? '')).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it('counts the payload as Lambda does: JSON escapes and base64 make a body under the limit too large', async () => {
      const escaped = '\n'.repeat(3.5 * 1024 * 1024); // 3.5 MB of text, 7 MB once escaped
      expect((await quietly(() => createLambdaHandler(answering(escaped, 'text/plain'))(fixture('rest-api-v1'), fakeContext()))).result.statusCode).toBe(502);
      const binary = recordingHandler({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(5 * 1024 * 1024) });
      expect((await quietly(() => createLambdaHandler(binary)(fixture('rest-api-v1'), fakeContext()))).result.statusCode).toBe(502);
      const fits = 'x'.repeat(6 * 1024 * 1024 - 1024);
      expect((await quietly(() => createLambdaHandler(answering(fits, 'text/plain'))(fixture('rest-api-v1'), fakeContext()))).result).toMatchObject({ statusCode: 200, body: fits });
    });

    it("holds an ALB's target to 1 MB", async () => {
      const body = 'x'.repeat(1024 * 1024);
      const { result } = await quietly(() => createLambdaHandler(answering(body, 'text/plain'))(fixture('alb'), fakeContext()));
      expect(result).toMatchObject({ statusCode: 502, statusDescription: '502 Bad Gateway' });
      expect((await quietly(() => createLambdaHandler(answering(body, 'text/plain'))(fixture('http-api-v2'), fakeContext()))).result.statusCode).toBe(200);
    });
  });

  it('hands the handler the request the event describes', async () => {
    const handler = recordingHandler({ status: 204, headers: {}, body: '' });
    await createLambdaHandler(handler)(fixture('function-url'), fakeContext());
    const [request] = handler.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions', query: '', remoteAddress: '203.0.113.9' });
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.signal.aborted).toBe(false);
  });

  it('runs onSettled after the answer is complete and before the invocation returns', async () => {
    const order: string[] = [];
    const upstream = streamingHandler();
    upstream.push(...SSE_CHUNKS);
    upstream.end();
    const onSettled = async (): Promise<void> => {
      order.push(`settled after ${upstream.seen.pulled} chunks`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push('flushed');
    };
    await createLambdaHandler(upstream.handler, { onSettled })(fixture('http-api-v2'), fakeContext());
    order.push('returned');
    expect(order).toEqual(['settled after 3 chunks', 'flushed', 'returned']);
  });

  it("tells onSettled the invocation's remaining time, which its work must fit in: the answer waits for it", async () => {
    vi.useFakeTimers();
    const onSettled = vi.fn(() => Promise.resolve());
    const slow = async (): Promise<HttpResponse> => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { status: 200, headers: {}, body: '' };
    };
    const invocation = createLambdaHandler(slow, { onSettled })(fixture('http-api-v2'), fakeContext(60_000));
    await vi.advanceTimersByTimeAsync(1_000);
    await invocation;
    expect(onSettled).toHaveBeenCalledWith(59_000);
  });

  it('answers a handler that fails with a 500 in the error shape of the path\'s front door, tells onError and runs onSettled', async () => {
    const onSettled = vi.fn(() => Promise.resolve());
    const onError = vi.fn();
    const failing = (): Promise<never> => Promise.reject(new Error('config invalid'));
    const result = await createLambdaHandler(failing, { onSettled, onError })(fixture('http-api-v2'), fakeContext());
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ error: { type: 'server_error' } });
    const anthropic = { ...fixture('http-api-v2'), rawPath: '/v1/messages' };
    const other = await createLambdaHandler(failing, { onSettled, onError })(anthropic, fakeContext());
    expect(JSON.parse(other.body ?? '')).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'config invalid' }));
    expect(onSettled).toHaveBeenCalledTimes(2);
  });

  it('logs a failed handler to stderr by its scrubbed name and message when given no onError', async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      await createLambdaHandler(() => Promise.reject(new Error('cannot read sk-live-4f3c9a1b7e2d8c6a')))(fixture('http-api-v2'), fakeContext());
    } finally {
      write.mockRestore();
    }
    expect(written.map((line) => JSON.parse(line) as unknown)).toEqual([{ level: 'ERROR', message: 'switchyard aws-lambda adapter: Error: cannot read [redacted]' }]);
  });

  it('takes server.base_path off before picking the error shape of a failed handler\'s 500', async () => {
    const failing = (): Promise<never> => Promise.reject(new Error('boom'));
    const lambda = createLambdaHandler(failing, { onError: vi.fn(), basePath: () => '/llm' });
    const result = await lambda({ ...fixture('http-api-v2'), rawPath: '/llm/v1/messages' }, fakeContext());
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('aborts the request shortly before the invocation times out, so usage is settled before Lambda stops', async () => {
    vi.useFakeTimers();
    const upstream = streamingHandler();
    upstream.push(SSE_CHUNKS[0] ?? '');
    const invocation = createLambdaHandler(upstream.handler, { deadlineMarginMs: 500 })(fixture('http-api-v2'), fakeContext(3000));
    await vi.advanceTimersByTimeAsync(2499);
    expect(upstream.seen.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(upstream.seen.aborted).toBe(true);
    expect((await invocation).body).toBe(SSE_CHUNKS[0]);
  });

  it('by default aborts 8 s before the deadline: room for a PostgreSQL flush whose connect times out after 5 s', async () => {
    vi.useFakeTimers();
    const upstream = streamingHandler();
    const invocation = createLambdaHandler(upstream.handler)(fixture('http-api-v2'), fakeContext(60_000));
    await vi.advanceTimersByTimeAsync(51_999);
    expect(upstream.seen.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(upstream.seen.aborted).toBe(true);
    await invocation;
  });

  it("tells onInvocation the invocation's remaining time before the handler runs", async () => {
    vi.useFakeTimers();
    const order: string[] = [];
    const handler = async (request: Parameters<typeof jsonHandler>[0]) => (order.push('handler'), jsonHandler(request));
    await createLambdaHandler(handler, { onInvocation: (ms) => void order.push(`told ${ms}`) })(fixture('http-api-v2'), fakeContext(900_000));
    expect(order).toEqual(['told 900000', 'handler']);
  });

  it('keeps half of a short invocation for the request when the margin would take more', async () => {
    vi.useFakeTimers();
    const upstream = streamingHandler();
    const invocation = createLambdaHandler(upstream.handler)(fixture('http-api-v2'), fakeContext(10_000));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(upstream.seen.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(upstream.seen.aborted).toBe(true);
    await invocation;
  });

  it('answers a request the deadline stopped with a 504 in the front door\'s shape, recorded before onSettled flushes', async () => {
    vi.useFakeTimers();
    const records: AttemptRecord[] = [];
    const order: string[] = [];
    const provider = new FakeProvider('d');
    provider.script = () => 'hang';
    const gateway = createGateway(
      { deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], routing: { deadline_ms: 600_000, attempt_timeout_ms: 600_000 } },
      { observers: [{ onAttempt: (r) => (records.push(r), order.push(`recorded ${r.outcome}`)) }], createProvider: () => provider },
    );
    const onSettled = async (): Promise<void> => void order.push('settled');
    const event = { ...fixture('http-api-v2'), body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }), isBase64Encoded: false };
    const invocation = createLambdaHandler(createHttpHandler(gateway, {}), { onSettled })(event, fakeContext(60_000));
    await vi.advanceTimersByTimeAsync(52_000);
    const result = await invocation;
    expect(result.statusCode).toBe(504);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ error: { type: 'timeout_error' } });
    expect(records).toMatchObject([{ outcome: 'error', usageEstimated: true, error: { kind: 'timeout', code: 'deadline_exceeded' } }]);
    expect(order).toEqual(['recorded error', 'settled']);
  });
});

describe('CORS through the Lambda adapter (the runtime-neutral handler answers it)', () => {
  it("answers a function URL's preflight from an allowed origin with 204 and its CORS headers, no key needed", async () => {
    const gateway = createGateway({ server: { allowed_origins: ['https://app.example.com'] }, deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], api_keys: [{ id: 'k', key: 'sk-lambda-cors' }] });
    const url = fixture('function-url');
    const { authorization: _key, ...headers } = url.headers;
    const event = {
      ...url,
      headers: { ...headers, origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      requestContext: { ...url.requestContext, http: { ...url.requestContext.http, method: 'OPTIONS' } },
      body: undefined,
      isBase64Encoded: false,
    };
    const result = await createLambdaHandler(createHttpHandler(gateway))(event, fakeContext());
    expect(result.statusCode).toBe(204);
    expect(result.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'authorization, content-type' });
    await gateway.close();
  });
});

describe('lazyHandler', () => {
  it('creates the handler on the first request and reuses it on warm invocations', async () => {
    const create = vi.fn(() => Promise.resolve(jsonHandler));
    const handler = createLambdaHandler(lazyHandler(create));
    await handler(fixture('http-api-v2'), fakeContext());
    await handler(fixture('alb'), fakeContext());
    expect(create).toHaveBeenCalledOnce();
  });

  it('does not create anything before the first request', () => {
    const create = vi.fn(() => Promise.resolve(jsonHandler));
    lazyHandler(create);
    expect(create).not.toHaveBeenCalled();
  });

  it('tries again on the next request when creation failed', async () => {
    const create = vi.fn().mockRejectedValueOnce(new Error('SSM unreachable')).mockResolvedValue(jsonHandler);
    const handler = createLambdaHandler(lazyHandler(create), { onError: vi.fn() });
    await expect(handler(fixture('http-api-v2'), fakeContext())).resolves.toMatchObject({ statusCode: 500 });
    await expect(handler(fixture('http-api-v2'), fakeContext())).resolves.toMatchObject({ statusCode: 200 });
    expect(create).toHaveBeenCalledTimes(2);
  });
});
