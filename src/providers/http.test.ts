import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Canceller } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { setFlagsFromString } from 'node:v8';
import { addTraceContext, createAgent, ERROR_BODY_WAIT_MS, header, RELEASE_GRACE_MS, requestBuffered, sendUpstream, upstreamError, withTraceContext, type Upstream } from './http.js';

setFlagsFromString('--allow-natives-syntax');
/** V8's own answer: do two objects share a hidden class (map)? */
const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** An upstream whose deployment is named as its provider type, as messages then name it once. */
const upstreamNamed = (name: string): Upstream => ({ provider: name, deployment: name });

describe('withTraceContext', () => {
  it('copies the headers only with a traceparent, every copy of one hidden class (no per-request shape)', () => {
    const base = { 'content-type': 'application/json', authorization: 'Bearer k' };
    expect(withTraceContext(base, {})).toBe(base);
    const copies = Array.from({ length: 50 }, (_, n) => withTraceContext(base, { traceparent: `00-${n}-01` }));
    expect(copies[49]).toEqual({ ...base, traceparent: '00-49-01' });
    expect(base).not.toHaveProperty('traceparent');
    expect(sameHiddenClass(copies[48] as object, copies[49] as object)).toBe(true);
  });

  it('adds the tracestate beside its traceparent, every copy of one hidden class, and never a tracestate alone', () => {
    const base = { 'content-type': 'application/json', authorization: 'Bearer k' };
    expect(withTraceContext(base, { tracestate: 'rojo=1' })).toBe(base);
    const copies = Array.from({ length: 50 }, (_, n) => withTraceContext(base, { traceparent: `00-${n}-01`, tracestate: `rojo=${n}` }));
    expect(copies[49]).toEqual({ ...base, traceparent: '00-49-01', tracestate: 'rojo=49' });
    expect(base).not.toHaveProperty('tracestate');
    expect(sameHiddenClass(copies[48] as object, copies[49] as object)).toBe(true);
  });
});

describe('addTraceContext', () => {
  it('sets traceparent and tracestate on headers built for one request, and nothing without a traceparent', () => {
    const headers: Record<string, string> = { accept: 'application/json' };
    addTraceContext(headers, { tracestate: 'rojo=1' });
    expect(headers).toEqual({ accept: 'application/json' });
    addTraceContext(headers, { traceparent: '00-1-01', tracestate: 'rojo=1' });
    expect(headers).toEqual({ accept: 'application/json', traceparent: '00-1-01', tracestate: 'rojo=1' });
  });
});

describe('upstream connection pool', () => {
  // An upstream that accepts connections and never answers; it counts the sockets it holds.
  let upstream: Server;
  let url: URL;
  let open = 0;
  beforeAll(async () => {
    upstream = createServer(() => undefined);
    upstream.on('connection', (socket) => {
      open += 1;
      socket.once('close', () => (open -= 1));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    url = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/chat/completions`);
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  for (const [name, send] of [
    ['buffered', requestBuffered],
    ['streamed', sendUpstream],
  ] as const) {
    it(`leaves no socket open at a hung upstream after ${name} requests are aborted in flight`, async () => {
      const agent = createAgent();
      const controllers = Array.from({ length: 20 }, () => new AbortController());
      const calls = controllers.map((c) => send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: c.signal }, upstreamNamed('hung')).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 200));
      expect(open).toBe(20);
      // Clients go away one by one, as they do.
      for (const c of controllers) {
        c.abort(new Error('client went away'));
        await new Promise((r) => setTimeout(r, 5));
      }
      await Promise.all(calls);
      // Long enough for any replacement connection to be opened (it takes a few ms), far below keep-alive.
      await new Promise((r) => setTimeout(r, 500));
      expect(open).toBe(0);
      await agent.close();
    });

    // The request path cancels with a Canceller, not an AbortSignal: the call must honour it all the same.
    it(`rejects a ${name} request in flight with a Canceller's reason and closes its socket`, async () => {
      const agent = createAgent();
      const canceller = new Canceller();
      const call = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: canceller }, upstreamNamed('hung'));
      await new Promise((r) => setTimeout(r, 100));
      expect(open).toBe(1);
      const reason = new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' });
      canceller.abort(reason);
      await expect(call).rejects.toBe(reason);
      await new Promise((r) => setTimeout(r, 200));
      expect(open).toBe(0);
      await agent.close();
    });

    it(`never sends a ${name} request whose Canceller already aborted`, async () => {
      const agent = createAgent();
      const canceller = new Canceller();
      canceller.abort();
      const call = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: canceller }, upstreamNamed('hung'));
      await expect(call).rejects.toMatchObject({ kind: 'cancelled' });
      await new Promise((r) => setTimeout(r, 100));
      expect(open).toBe(0);
      await agent.close();
    });

    it(`marks a ${name} request whose client left while it waited for the pool's only connection unsent, and one left after it was written not`, async () => {
      const agent = createAgent({ connections: 1 });
      const written = new Canceller();
      const waiting = new Canceller();
      const first = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: written }, upstreamNamed('hung'));
      const second = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: waiting }, upstreamNamed('hung'));
      await new Promise((r) => setTimeout(r, 100));
      expect(open).toBe(1);
      const reason = new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' });
      waiting.abort(reason);
      await expect(second).rejects.toMatchObject({ kind: 'cancelled', unsent: true });
      written.abort(reason);
      await expect(first).rejects.toMatchObject({ kind: 'cancelled', unsent: false });
      // The client's own reason is left as it was: other attempts of its request may still need it billed.
      expect(reason.unsent).toBe(false);
      await agent.close();
    });

    it(`marks a ${name} request whose connection was refused unsent: no upstream had it, so no row, charge or quota`, async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const agent = createAgent();
      const call = send(agent, { url: new URL(`http://127.0.0.1:${closedPort}/v1/chat/completions`), headers: {}, body: '{}', signal: new Canceller() }, upstreamNamed('gone'));
      await expect(call).rejects.toMatchObject({ kind: 'network', unsent: true });
      await agent.close();
    });

    it(`marks a ${name} request whose client had already gone unsent`, async () => {
      const agent = createAgent();
      const canceller = new Canceller();
      canceller.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      await expect(send(agent, { url, headers: {}, body: '{}', signal: canceller }, upstreamNamed('hung'))).rejects.toMatchObject({ kind: 'cancelled', unsent: true });
      await agent.close();
    });

    it(`refuses a ${name} request whose credential carries a line break as this deployment's authentication fault, sending nothing`, async () => {
      const agent = createAgent();
      const call = send(agent, { url, headers: { authorization: 'Bearer sk-from-a-file\n' }, body: '{}', signal: new Canceller() }, upstreamNamed('hung'));
      const error = await call.catch((err: unknown) => err);
      expect(error).toMatchObject({ kind: 'authentication', retryable: false });
      expect(String((error as Error).message)).not.toContain('sk-from-a-file');
      expect(open).toBe(0);
      await agent.close();
    });
  }
});

describe('a streamed upstream body', () => {
  // An upstream whose handler each test sets: it writes what and when the test says.
  let upstream: Server;
  let url: URL;
  let respond: (res: ServerResponse) => void = () => undefined;
  let closed = 0;
  beforeAll(async () => {
    upstream = createServer((_req, res) => respond(res));
    upstream.on('connection', (socket) => socket.once('close', () => (closed += 1)));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    url = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/chat/completions`);
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });
  const send = (agent: ReturnType<typeof createAgent>, signal = new AbortController().signal) =>
    sendUpstream(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal }, upstreamNamed('sim'));
  const readAll = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
    return text;
  };

  it('yields every chunk in order and ends, leaving the connection to the pool', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 20);
    };
    const agent = createAgent();
    const before = closed;
    const res = await send(agent);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(await readAll(res.body)).toBe('data: 1\n\ndata: 2\n\n');
    expect(closed).toBe(before);
    await agent.close();
  });

  it('pauses the socket while the reader lags, and resumes it: a large body arrives whole', async () => {
    const piece = 'x'.repeat(16 * 1024);
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < 64; i++) res.write(piece);
      res.end();
    };
    const agent = createAgent();
    const res = await send(agent);
    // Let the whole megabyte try to arrive before reading a byte: only the high-water mark may be held.
    await new Promise((r) => setTimeout(r, 100));
    expect((await readAll(res.body)).length).toBe(64 * piece.length);
    await agent.close();
  });

  it('raises a connection lost mid-body as a network error naming the status it broke under, after the chunks that came before it', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n', () => setTimeout(() => res.destroy(), 20));
    };
    const agent = createAgent();
    const res = await send(agent);
    const it = res.body[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('data: 1\n\n');
    // The connection worked: what broke is the answer, after the bytes it had sent.
    await expect(it.next()).rejects.toMatchObject({
      kind: 'network',
      provider: 'sim',
      upstreamStatus: 200,
      message: expect.stringMatching(/^Upstream sim's stream ended before it finished: the upstream (closed|reset) the connection after 9 bytes of its body\.$/) as unknown,
    });
    await agent.close();
  });

  it('raises a whole answer cut mid-body as a network error naming the status it broke under (buffered)', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '40' });
      res.write('{"choices":', () => setTimeout(() => res.destroy(), 20));
    };
    const agent = createAgent();
    const read = requestBuffered(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal }, upstreamNamed('sim'));
    await expect(read).rejects.toMatchObject({
      kind: 'network',
      provider: 'sim',
      upstreamStatus: 200,
      message: expect.stringMatching(/^Upstream sim's answer ended before it finished: the upstream (closed|reset) the connection after 11 bytes of its body\.$/) as unknown,
    });
    await agent.close();
  });

  /** Answers with one event and holds the response open; resolves when the upstream sees its socket close. */
  const holdOpen = (): Promise<void> =>
    new Promise<void>((closedSocket) => {
      respond = (res) => {
        res.socket?.once('close', () => closedSocket());
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
      };
    });

  it('aborts the upstream exchange when the client goes away mid-body, with the client\'s reason', async () => {
    const socketClosed = holdOpen();
    const agent = createAgent();
    const client = new AbortController();
    const res = await send(agent, client.signal);
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    client.abort(new Error('client left'));
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
    await socketClosed;
    await agent.close();
  });

  it('closes the upstream connection when the reader stops early', async () => {
    const socketClosed = holdOpen();
    const agent = createAgent();
    const res = await send(agent);
    for await (const chunk of res.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await socketClosed;
    await agent.close();
  });

  it('keeps the connection of a released body that ends within the grace, dropping what still came', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: [DONE]\n\n');
      setTimeout(() => res.end('data: late\n\n'), 20);
    };
    const agent = createAgent();
    const before = closed;
    const res = await send(agent);
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    res.body.release();
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(before);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await agent.close();
  });

  it(`closes the connection of a released body the upstream still holds open ${RELEASE_GRACE_MS} ms later`, async () => {
    const socketClosed = holdOpen();
    const agent = createAgent();
    const res = await send(agent);
    await res.body[Symbol.asyncIterator]().next();
    const released = Date.now();
    res.body.release();
    await socketClosed;
    expect(Date.now() - released).toBeGreaterThanOrEqual(RELEASE_GRACE_MS - 50);
    await agent.close();
  });

  it('refuses at once, without a connection, when the client has already gone', async () => {
    const agent = createAgent();
    const client = new AbortController();
    client.abort(new Error('gone'));
    await expect(send(agent, client.signal)).rejects.toMatchObject({ kind: 'cancelled' });
    await agent.close();
  });

  describe('a redirect or Not Modified answer', () => {
    // Where a redirect points: a host that must never get the deployment's credentials, with a secret in the URL.
    const LOCATION = 'https://elsewhere.example/steal?key=sk-PLANTED-0123456789abcdef';
    for (const status of [301, 302, 303, 307, 308, 304]) {
      for (const [name, call] of [
        ['buffered', requestBuffered],
        ['streamed', sendUpstream],
      ] as const) {
        it(`refuses a ${status} (${name}) as the upstream's bad response, naming no Location, never followed`, async () => {
          let requests = 0;
          respond = (res) => {
            requests += 1;
            res.writeHead(status, status === 304 ? { location: LOCATION } : { location: LOCATION, 'content-type': 'text/html' });
            res.end(status === 304 ? undefined : `<a href="${LOCATION}">moved</a>`);
          };
          const agent = createAgent();
          const error = await call(agent, { url, headers: { authorization: 'Bearer sk-deployment-credential' }, body: '{}', signal: new AbortController().signal }, upstreamNamed('sim')).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(GatewayError.isInstance(error)).toBe(true);
          expect(error).toMatchObject({ kind: 'bad_upstream_response', status: 502, retryable: false, fallbackable: true, upstreamStatus: status, provider: 'sim', upstreamText: undefined });
          expect(JSON.stringify({ message: (error as GatewayError).message, client: (error as GatewayError).clientMessage(true) })).not.toMatch(/PLANTED|elsewhere/);
          expect(requests).toBe(1);
          await agent.close();
        });
      }
    }
  });

  describe('an error answer whose body stalls after its status', () => {
    // A 429 with its retry-after, then half a JSON body, then nothing: the status must still decide.
    const stallingRateLimit = (res: ServerResponse): void => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.write('{"error":');
      res.on('error', () => undefined);
    };

    it('keeps its status and headers, not read on past the wait (buffered)', async () => {
      respond = stallingRateLimit;
      const agent = createAgent();
      const started = Date.now();
      const res = await requestBuffered(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal }, upstreamNamed('sim'));
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('7');
      expect(Date.now() - started).toBeLessThan(ERROR_BODY_WAIT_MS + 1_000);
      await agent.close();
    });

    it('keeps its status and headers when the attempt ends before the wait does, closing the connection (buffered)', async () => {
      respond = stallingRateLimit;
      const agent = createAgent();
      const before = closed;
      const attempt = new Canceller();
      const read = requestBuffered(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: attempt.signal }, upstreamNamed('sim'));
      setTimeout(() => attempt.abort(new GatewayError({ kind: 'timeout', message: 'The attempt timed out.' })), 50);
      const res = await read;
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('7');
      await expect.poll(() => closed).toBe(before + 1);
      await agent.close();
    });

    it('maps it by its status once the wait is over (streamed)', async () => {
      respond = stallingRateLimit;
      const agent = createAgent();
      const res = await send(agent);
      const error = await upstreamError(res, upstreamNamed('sim'), new AbortController().signal, (status, headers, body) =>
        new GatewayError({ kind: status === 429 ? 'rate_limited' : 'upstream_error', message: `HTTP ${status}`, retryAfterMs: Number(header(headers, 'retry-after')) * 1000, upstreamText: body === undefined ? undefined : 'read' }),
      );
      expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000 });
      await agent.close();
    });
  });

  describe('an error answer with a huge body', () => {
    // 80 MB of error page, written as the reader takes it: more than any answer may be.
    let sentMb = 0;
    const hugeError = (res: ServerResponse): void => {
      sentMb = 0;
      res.writeHead(500, { 'content-type': 'text/html' });
      const piece = Buffer.alloc(1024 * 1024, 'x');
      let left = 80;
      const pump = (): void => {
        while (left > 0) {
          left -= 1;
          sentMb += 1;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    };

    it('keeps its status and reads no more than a megabyte of it, closing the connection (buffered)', async () => {
      respond = hugeError;
      const agent = createAgent();
      const before = closed;
      const res = await requestBuffered(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: new AbortController().signal }, upstreamNamed('sim'));
      expect(res.status).toBe(500);
      expect(res.body.length).toBeLessThanOrEqual(1024 * 1024);
      expect(sentMb).toBeLessThan(16);
      await expect.poll(() => closed).toBeGreaterThan(before);
      await agent.close();
    });

    it('maps it by its status after reading no more than a megabyte of it (streamed)', async () => {
      respond = hugeError;
      const agent = createAgent();
      const res = await send(agent);
      let seen: unknown = 'unset';
      const error = await upstreamError(res, upstreamNamed('sim'), new AbortController().signal, (status, _headers, body) => {
        seen = body;
        return new GatewayError({ kind: status >= 500 ? 'upstream_error' : 'invalid_request', message: `HTTP ${status}` });
      });
      expect(error).toMatchObject({ kind: 'upstream_error' });
      expect(seen).toBeUndefined();
      // Socket buffers hold a few megabytes; reading on to the 64 MB answer limit would need them all.
      expect(sentMb).toBeLessThan(16);
      await agent.close();
    });
  });
});
