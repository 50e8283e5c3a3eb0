import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStreamingLambdaHandler, type LambdaAdapterOptions } from './handler.js';
import type { HttpHandler } from '../../http/exchange.js';
import { PRELUDE_CONTENT_TYPE, RecordingResponseStream, fakeAwslambda, fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';
import { JSON_ANSWER, SSE_CHUNKS, jsonHandler, recordingHandler, streamingHandler } from './testing/handlers.js';
import type { ResponseStream } from './runtime.js';

beforeEach(() => {
  vi.stubGlobal('awslambda', fakeAwslambda);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function invoke(handler: HttpHandler, stream: RecordingResponseStream, options?: LambdaAdapterOptions): Promise<void> {
  return Promise.resolve(createStreamingLambdaHandler(handler, options)(fixture('function-url'), stream as unknown as ResponseStream, fakeContext()));
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createStreamingLambdaHandler (Function URL, RESPONSE_STREAM)', () => {
  it('frames the answer as Lambda does: JSON prelude, 8 NUL bytes, then the body', async () => {
    const stream = new RecordingResponseStream();
    await invoke(jsonHandler, stream);
    expect(stream.contentType).toBe(PRELUDE_CONTENT_TYPE);
    const prelude = JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(stream.bytes()).toEqual(Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from(JSON_ANSWER)]));
    expect(stream.writableFinished).toBe(true);
  });

  it('sends the status and headers of an empty body too', async () => {
    const stream = new RecordingResponseStream();
    await invoke(recordingHandler({ status: 204, headers: { 'x-request-id': 'r1' }, body: '' }), stream);
    expect(stream.decode()).toEqual({ prelude: { statusCode: 204, headers: { 'x-request-id': 'r1' } }, body: '' });
  });

  it("answers a HEAD with the GET's status and headers and no body", async () => {
    const stream = new RecordingResponseStream();
    const head = fixture('function-url');
    const event = { ...head, requestContext: { ...head.requestContext, http: { ...head.requestContext.http, method: 'HEAD' } } };
    const answer = { status: 200, headers: { 'content-type': 'application/json', 'content-length': '15' }, body: '{"status":"ok"}' };
    await createStreamingLambdaHandler(recordingHandler(answer))(event, stream as unknown as ResponseStream, fakeContext());
    expect(stream.decode()).toEqual({ prelude: { statusCode: 200, headers: answer.headers }, body: '' });
    expect(stream.writableFinished).toBe(true);
  });

  it('streams a 500 in the front door\'s error shape when the handler fails, rather than failing the invocation', async () => {
    const stream = new RecordingResponseStream();
    const onError = vi.fn();
    await invoke(() => Promise.reject(new Error('boom')), stream, { onError });
    const { prelude, body } = stream.decode();
    expect(prelude).toMatchObject({ statusCode: 500 });
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'server_error' } });
    expect(onError).toHaveBeenCalledOnce();
  });

  it('announces no trailers, which the response stream cannot send', async () => {
    const stream = new RecordingResponseStream();
    const handler = recordingHandler({ status: 200, headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd' }, body: 'data: [DONE]\n\n', trailers: () => ({ 'x-switchyard-cost-usd': '0.1' }) });
    await invoke(handler, stream);
    expect(stream.decode().prelude).toEqual({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
  });

  it('streams SSE chunks as they come, with the prelude on the wire before the first one', async () => {
    const stream = new RecordingResponseStream();
    const upstream = streamingHandler();
    const done = invoke(upstream.handler, stream);
    await tick();
    expect(stream.decode()).toEqual({ prelude: { statusCode: 200, headers: { 'content-type': 'text/event-stream' } }, body: '' });
    upstream.push(SSE_CHUNKS[0] ?? '');
    await tick();
    expect(stream.decode().body).toBe(SSE_CHUNKS[0]);
    upstream.push(...SSE_CHUNKS.slice(1));
    upstream.end();
    await done;
    expect(stream.decode().body).toBe(SSE_CHUNKS.join(''));
    expect(stream.writableFinished).toBe(true);
  });

  it('pulls the next chunk only after the stream took the last one', async () => {
    const stream = new RecordingResponseStream(true);
    const upstream = streamingHandler();
    upstream.push(...SSE_CHUNKS);
    upstream.end();
    let settled = false;
    const done = invoke(upstream.handler, stream, { onSettled: () => Promise.resolve(void (settled = true)) });
    await tick();
    expect(upstream.seen.pulled).toBe(1);
    while (!stream.writableFinished) {
      stream.release();
      await tick();
      expect(settled).toBe(stream.writableFinished);
    }
    await done;
    expect(upstream.seen.pulled).toBe(3);
    expect(stream.decode().body).toBe(SSE_CHUNKS.join(''));
  });

  it('awaits onSettled after the last byte and before the invocation resolves', async () => {
    const order: string[] = [];
    const stream = new RecordingResponseStream();
    stream.on('finish', () => order.push('finished'));
    const onSettled = async (): Promise<void> => {
      order.push('settling');
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push('flushed');
    };
    await invoke(jsonHandler, stream, { onSettled });
    order.push('returned');
    expect(order).toEqual(['finished', 'settling', 'flushed', 'returned']);
  });

  it("tells onSettled the invocation's remaining time once the last byte is out", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const onSettled = vi.fn(() => Promise.resolve());
    await invoke(jsonHandler, new RecordingResponseStream(), { onSettled });
    expect(onSettled).toHaveBeenCalledWith(30_000);
  });

  it('aborts the request and returns the body stream when the response stream closes early', async () => {
    const stream = new RecordingResponseStream();
    const upstream = streamingHandler();
    const onSettled = vi.fn(() => Promise.resolve());
    const done = invoke(upstream.handler, stream, { onSettled });
    upstream.push(SSE_CHUNKS[0] ?? '');
    await tick();
    stream.destroy();
    await done;
    expect(upstream.seen.aborted).toBe(true);
    expect(upstream.seen.returned).toBe(true);
    expect(onSettled).toHaveBeenCalledOnce();
  });

  it('stops pulling and returns the body stream of a handler that ignores the abort once the stream is gone', async () => {
    const stream = new RecordingResponseStream();
    let returned = false;
    const stubborn: HttpHandler = () =>
      Promise.resolve({
        status: 200,
        headers: {},
        body: (async function* () {
          try {
            for (;;) {
              await tick();
              yield 'data: {}\n\n';
            }
          } finally {
            returned = true;
          }
        })(),
      });
    const done = invoke(stubborn, stream);
    await tick();
    stream.destroy();
    await done;
    expect(returned).toBe(true);
  });

  it('aborts the request when the response stream errors, without an unhandled error', async () => {
    const stream = new RecordingResponseStream();
    const upstream = streamingHandler();
    const done = invoke(upstream.handler, stream);
    upstream.push(SSE_CHUNKS[0] ?? '');
    await tick();
    stream.destroy(new Error('socket hang up'));
    await done;
    expect(upstream.seen.aborted).toBe(true);
    expect(upstream.seen.returned).toBe(true);
  });

  it('does not abort the request when the stream closes after the answer was complete', async () => {
    const stream = new RecordingResponseStream();
    const handler = recordingHandler({ status: 200, headers: {}, body: 'ok' });
    await invoke(handler, stream);
    await tick();
    expect(handler.requests[0]?.signal.aborted).toBe(false);
  });

  it('aborts the request before the invocation times out (a short one keeps half its time)', async () => {
    vi.useFakeTimers();
    const stream = new RecordingResponseStream();
    const upstream = streamingHandler();
    const done = Promise.resolve(createStreamingLambdaHandler(upstream.handler)(fixture('function-url'), stream as unknown as ResponseStream, fakeContext(5000)));
    await vi.advanceTimersByTimeAsync(2499);
    expect(upstream.seen.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(upstream.seen.aborted).toBe(true);
    expect(stream.writableFinished).toBe(true);
  });

  it('needs the runtime global, read when the handler is created', () => {
    vi.unstubAllGlobals();
    expect(() => createStreamingLambdaHandler(jsonHandler)).toThrow(/awslambda global is missing/);
  });
});
