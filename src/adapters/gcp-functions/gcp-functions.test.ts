import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BodyStream, HttpHandler, HttpRequest, HttpResponse } from '../../http/exchange.js';
import { createGcpHandler, lazyHandler, registerGcpFunction, type GcpOptions } from './index.js';

const servers: Server[] = [];
let names = 0;

/** Registers a function with functions-framework and serves it on loopback, as `functions-framework --target` would. */
async function serve(source: HttpHandler, options?: GcpOptions): Promise<string> {
  const name = `switchyard-test-${++names}`;
  registerGcpFunction(name, source, options);
  const server = getTestServer(name);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function bodyBytes(req: HttpRequest): Promise<Uint8Array> {
  if (req.body instanceof Uint8Array) return req.body;
  return req.body ? req.body(1 << 20, 10_000) : new Uint8Array();
}

const completion = (model: string, content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

async function* chunks(model: string, words: string[]): BodyStream {
  for (const word of words) {
    const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }] };
    yield `data: ${JSON.stringify(chunk)}\n\n`;
  }
  yield 'data: [DONE]\n\n';
}

/** A fake gateway speaking the OpenAI chat shape: echoes the last message, as JSON or SSE. */
const chat: HttpHandler = async (req) => {
  const body = JSON.parse(Buffer.from(await bodyBytes(req)).toString('utf8')) as { model: string; stream?: boolean; messages: { content: string }[] };
  const text = body.messages.at(-1)?.content ?? '';
  if (body.stream) return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: chunks(body.model, text.split(/(?= )/)) };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(completion(body.model, text)) };
};

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Google Cloud Functions adapter, served by functions-framework', () => {
  it('answers the official OpenAI SDK with a JSON chat completion', async () => {
    const url = await serve(chat);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hello there' }] });
    expect(answer.choices[0]?.message.content).toBe('hello there');
    expect(answer.usage?.total_tokens).toBe(5);
  });

  it('streams SSE chunks the official OpenAI SDK reads one by one', async () => {
    const url = await serve(chat);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta.content ?? '');
    expect(deltas).toEqual(['one', ' two', ' three']);
  });

  it('hands the handler the exact body bytes, path, query, lower-case headers, the https scheme and an unaborted signal', async () => {
    const seen: HttpRequest[] = [];
    let bytes = '';
    const url = await serve(async (req) => {
      seen.push(req);
      bytes = Buffer.from(await bodyBytes(req)).toString('utf8');
      return { status: 204, headers: {}, body: '' };
    });
    const raw = '{ "model" :"fast",\n  "messages": [] }';
    const res = await request(`${url}/v1/chat/completions?api-version=1&x=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Api-Key': 'k' },
      body: raw,
    });
    await res.body.dump();
    expect(res.statusCode).toBe(204);
    const req = seen[0] as HttpRequest;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.query).toBe('api-version=1&x=2');
    // Google's front end ends TLS: the function itself is reached over plain HTTP, as here.
    expect(req.scheme).toBe('https');
    expect(req.headers['x-api-key']).toBe('k');
    expect(req.headers['content-type']).toBe('application/json');
    expect(bytes).toBe(raw);
    expect(req.signal.aborted).toBe(false);
  });

  it('passes the status, headers and trailers the handler chose', async () => {
    async function* once(): BodyStream {
      yield 'data: [DONE]\n\n';
    }
    const url = await serve(async () => ({
      status: 201,
      headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd', 'x-switchyard-deployment': 'a' },
      body: once(),
      trailers: () => ({ 'x-switchyard-cost-usd': '0.000012' }),
    }));
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(await res.body.text()).toBe('data: [DONE]\n\n');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-switchyard-deployment']).toBe('a');
    expect(res.trailers['x-switchyard-cost-usd']).toBe('0.000012');
  });

  it('streams an answer announcing trailers to HEAD and to an HTTP/1.0 client without them, which node:http cannot frame there', async () => {
    async function* once(): BodyStream {
      yield 'data: [DONE]\n\n';
    }
    const onError = vi.fn();
    const url = await serve(
      async () => ({ status: 200, headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd' }, body: once(), trailers: () => ({ 'x-switchyard-cost-usd': '0.000012' }) }),
      { onError },
    );
    const raw = (head: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.end(head));
        let reply = '';
        socket.on('data', (data: Buffer) => (reply += data.toString('latin1')));
        socket.on('close', () => resolve(reply));
      });
    const http10 = await raw('POST /v1/chat/completions HTTP/1.0\r\ncontent-length: 0\r\n\r\n');
    expect(http10).toMatch(/^HTTP\/1\.1 200 /);
    expect(http10).not.toMatch(/^trailer:/im);
    expect(http10.endsWith('data: [DONE]\n\n')).toBe(true);
    const head = await raw('HEAD /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(onError).not.toHaveBeenCalled();
  });
});

describe('streaming backpressure and disconnects', () => {
  const CHUNK = `data: ${'x'.repeat(64 * 1024)}\n\n`;
  const TOTAL = 1000;

  /** Sends a raw POST and returns the socket without reading it. */
  function rawPost(url: string): ReturnType<typeof connect> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
    return socket;
  }

  async function settledCount(read: () => number): Promise<number> {
    let last = -1;
    while (read() !== last) {
      last = read();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return last;
  }

  it('pulls the next chunk only when the client reads, then delivers every byte', async () => {
    let pulled = 0;
    async function* big(): BodyStream {
      for (let i = 0; i < TOTAL; i++) {
        pulled++;
        yield CHUNK;
      }
    }
    const url = await serve(async () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: big() }));
    const socket = rawPost(url);
    // 64 MB of chunks against a client reading nothing: only what the socket buffers may be pulled.
    expect(await settledCount(() => pulled)).toBeLessThan(TOTAL / 4);
    let received = 0;
    const ended = new Promise((resolve) => socket.on('end', resolve));
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (data.subarray(-5).toString() === '0\r\n\r\n') socket.end();
    });
    socket.resume();
    await ended;
    expect(pulled).toBe(TOTAL);
    expect(received).toBeGreaterThan(TOTAL * CHUNK.length);
  });

  it('calls return() on the stream when the client disconnects mid-stream, then settles', async () => {
    const returned = deferred();
    const settled = vi.fn(async () => undefined);
    let pending: ((result: IteratorResult<string>) => void) | undefined;
    // A stream whose next chunk never comes, and which ignores the signal: only return() can end it.
    const stuck: BodyStream = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: () => (sent ? new Promise((resolve) => (pending = resolve)) : ((sent = true), Promise.resolve({ done: false, value: 'data: {}\n\n' }))),
          return: async () => {
            pending?.({ done: true, value: undefined });
            returned.resolve();
            return { done: true, value: undefined };
          },
        };
      },
    };
    const url = await serve(async () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: stuck }), { onSettled: settled });
    const socket = rawPost(url);
    socket.resume();
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    await returned.promise;
    await vi.waitFor(() => expect(settled).toHaveBeenCalledTimes(1));
  });

  it('settles without reporting an error when a stream fails because the client left', async () => {
    const onError = vi.fn();
    const settled = vi.fn(async () => undefined);
    const url = await serve(
      async (req) => ({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: (async function* () {
          yield 'data: {}\n\n';
          // The upstream read the signal cancels.
          await new Promise((_resolve, reject) => req.signal.addEventListener('abort', () => reject(new Error('upstream aborted'))));
        })(),
      }),
      { onError, onSettled: settled },
    );
    const socket = rawPost(url);
    socket.resume();
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    await vi.waitFor(() => expect(settled).toHaveBeenCalledTimes(1));
    expect(onError).not.toHaveBeenCalled();
  });

  it('aborts the request signal when the client leaves before the answer', async () => {
    const aborted = deferred<string>();
    const url = await serve(
      (req) =>
        new Promise<HttpResponse>((resolve) => {
          req.signal.addEventListener('abort', () => {
            aborted.resolve('aborted');
            resolve({ status: 499, headers: {}, body: '' });
          });
        }),
    );
    const socket = rawPost(url);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    expect(await aborted.promise).toBe('aborted');
  });
});

describe('settling before the response ends', () => {
  it('keeps a JSON answer back until onSettled resolved', async () => {
    const flush = deferred();
    const started = deferred();
    const url = await serve(chat, {
      onSettled: () => {
        started.resolve();
        return flush.promise;
      },
    });
    let answered = false;
    const answer = request(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ content: 'hi' }] }) }).then((res) => {
      answered = true;
      return res.body.json();
    });
    await started.promise;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    flush.resolve();
    expect(await answer).toMatchObject({ choices: [{ message: { content: 'hi' } }] });
  });

  it('sends every chunk of a stream but ends it only once onSettled resolved', async () => {
    const flush = deferred();
    const started = deferred();
    const url = await serve(chat, {
      onSettled: () => {
        started.resolve();
        return flush.promise;
      },
    });
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ content: 'a b' }] }) });
    let text = '';
    let ended = false;
    res.body.setEncoding('utf8').on('data', (data: string) => (text += data));
    res.body.on('end', () => (ended = true));
    await started.promise;
    await vi.waitFor(() => expect(text).toContain('data: [DONE]\n\n'));
    expect(ended).toBe(false);
    flush.resolve();
    await vi.waitFor(() => expect(ended).toBe(true));
  });
});

describe('failures', () => {
  it('builds a lazy handler once, on the first invocation, for concurrent requests', async () => {
    const create = vi.fn(async () => chat);
    const url = await serve(lazyHandler(create));
    expect(create).not.toHaveBeenCalled();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    await Promise.all([ask(), ask(), ask()]);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('answers 500 in the OpenAI shape when the handler cannot be built, and builds it again next time', async () => {
    const onError = vi.fn();
    const create = vi.fn<() => Promise<HttpHandler>>().mockRejectedValueOnce(new Error('secret manager unreachable')).mockResolvedValue(chat);
    const url = await serve(lazyHandler(create), { onError });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    await expect(ask()).rejects.toMatchObject({ status: 500, error: { type: 'server_error', code: null } });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'secret manager unreachable' }));
    expect((await ask()).choices[0]?.message.content).toBe('x');
  });

  it('answers a handler that throws in the error shape of the front door the path belongs to', async () => {
    const url = await serve(() => Promise.reject(new Error('boom')), { onError: vi.fn() });
    const res = await request(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.statusCode).toBe(500);
    expect(await res.body.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('takes server.base_path off before picking the error shape, for a handler that throws and for an answer that cannot be written', async () => {
    const thrown = await serve(() => Promise.reject(new Error('boom')), { onError: vi.fn(), basePath: () => '/llm' });
    const res = await request(`${thrown}/llm/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.statusCode).toBe(500);
    expect(await res.body.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    // node:http refuses to write a header value holding a line break: the answer fails before its status.
    const broken = await serve(async () => ({ status: 200, headers: { 'content-type': 'application/json', 'x-broken': 'a\nb' }, body: '{}' }), { onError: vi.fn(), basePath: () => '/llm' });
    const cut = await request(`${broken}/llm/v1/messages`, { method: 'POST', body: '{}' });
    expect(cut.statusCode).toBe(500);
    expect(await cut.body.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('cuts a stream short when it breaks after the status was sent, and still settles', async () => {
    const onError = vi.fn();
    const settled = vi.fn(async () => undefined);
    async function* broken(): BodyStream {
      yield 'data: {}\n\n';
      throw new Error('upstream vanished');
    }
    const url = await serve(async () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: broken() }), { onError, onSettled: settled });
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    await expect(res.body.text()).rejects.toThrow();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'upstream vanished' }));
    expect(settled).toHaveBeenCalledTimes(1);
  });
});

describe('on a plain node:http server', () => {
  it('routes an absolute-form request-target (GET http://host/healthz, RFC 9112 3.2.2) by its path and query', async () => {
    const seen: Array<[string, string]> = [];
    const handler: HttpHandler = async (req) => {
      seen.push([req.path, req.query]);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' };
    };
    const server = createServer(createGcpHandler(handler));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let reply = '';
    socket.on('data', (data: Buffer) => (reply += data.toString('latin1')));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET http://elsewhere.example:8080/healthz?probe=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await closed;
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(seen).toEqual([['/healthz', 'probe=1']]);
  });
});
