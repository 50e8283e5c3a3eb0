import { EventEmitter } from 'node:events';
import { createServer, get, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../http/exchange.js';
import { writeAnswer } from './respond.js';

/** A response that records what reaches the socket; `destroy()` is the client going away. */
function response(): ServerResponse & { out: string[]; head: Record<string, unknown> | undefined; trailers: Record<string, string> | undefined } {
  const res = new EventEmitter() as unknown as ServerResponse & { out: string[]; head: Record<string, unknown> | undefined; trailers: Record<string, string> | undefined; destroyed: boolean };
  Object.assign(res, {
    out: [] as string[],
    head: undefined,
    trailers: undefined,
    destroyed: false,
    writableEnded: false,
    writeHead(status: number, reason: string | Record<string, unknown> | undefined, headers?: Record<string, unknown>) {
      res.head = { status, ...(typeof reason === 'string' ? headers : (headers ?? reason)) };
      return res;
    },
    write(text: string) {
      res.out.push(text);
      return true;
    },
    addTrailers(t: Record<string, string>) {
      res.trailers = t;
    },
    end(text: string) {
      res.out.push(`${text}<end>`);
    },
    destroy() {
      res.destroyed = true;
      res.emit('close');
    },
  });
  return res;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A body stream of endless chunks, one per loop turn (as from a socket), that counts pulls and returns. */
function endless(): AsyncIterableIterator<string> & { pulled: number; returned: number } {
  const s = {
    pulled: 0,
    returned: 0,
    [Symbol.asyncIterator]: () => s,
    next: async (): Promise<IteratorResult<string>> => {
      await tick();
      return { done: false, value: `data: ${++s.pulled}\n\n` };
    },
    return: async (): Promise<IteratorResult<string>> => {
      s.returned += 1;
      return { done: true, value: undefined };
    },
  };
  return s;
}

describe('writing the handler answer to node:http', () => {
  it('sends a JSON body with its content-length in one end', () => {
    const res = response();
    writeAnswer(res, { status: 201, headers: { 'content-type': 'application/json' }, body: '{"é":1}' }, 1_000);
    expect(res.head).toEqual({ status: 201, 'content-type': 'application/json', 'content-length': 8 });
    expect(res.out).toEqual(['{"é":1}<end>']);
  });

  it('sends a 204 (a CORS preflight) without content-length, as RFC 9110 requires', () => {
    const res = response();
    writeAnswer(res, { status: 204, headers: { vary: 'Origin' }, body: '' }, 1_000);
    expect(res.head).toEqual({ status: 204, vary: 'Origin' });
    expect(res.out).toEqual(['<end>']);
  });

  it('stops pulling and returns the stream once the client has gone', async () => {
    const res = response();
    const body = endless();
    writeAnswer(res, { status: 200, headers: {}, body }, 1_000);
    for (let i = 0; i < 5; i++) await tick();
    expect(res.out.length).toBeGreaterThan(0);
    res.destroy();
    await tick();
    await tick();
    const pulled = body.pulled;
    for (let i = 0; i < 5; i++) await tick();
    expect(body.returned).toBe(1);
    expect(body.pulled).toBe(pulled);
  });

  it('returns a stream it never starts when the client left before the answer', async () => {
    const res = response();
    res.destroy();
    const body = endless();
    writeAnswer(res, { status: 200, headers: {}, body }, 1_000);
    await tick();
    expect(body.pulled).toBe(0);
    expect(body.returned).toBe(1);
  });

  it('writes the trailers the answer announced after the last chunk', async () => {
    const res = response();
    async function* two(): AsyncGenerator<string> {
      yield 'data: 1\n\n';
      yield 'data: [DONE]\n\n';
    }
    const answer: HttpResponse = { status: 200, headers: { trailer: 'x-switchyard-cost-usd' }, body: two(), trailers: () => ({ 'x-switchyard-cost-usd': '0.5' }) };
    writeAnswer(res, answer, 1_000);
    await tick();
    expect(res.out).toEqual(['data: 1\n\ndata: [DONE]\n\n<end>']);
    expect(res.trailers).toEqual({ 'x-switchyard-cost-usd': '0.5' });
  });

  it('sends the last read of a stream with its closing frames in one write, when those wait for the journal', async () => {
    const res = response();
    // Frames of one upstream read, then closing frames released a turn later (the journal barrier).
    const frames = ['data: 1\n\n', 'data: 2\n\n'];
    const body = {
      ending: false,
      [Symbol.asyncIterator]: () => body,
      next: async (): Promise<IteratorResult<string>> => {
        const frame = frames.shift();
        if (frame !== undefined) return { done: false, value: frame };
        if (body.ending) return { done: true, value: undefined };
        body.ending = true;
        await tick();
        return { done: false, value: 'data: [DONE]\n\n' };
      },
    };
    writeAnswer(res, { status: 200, headers: {}, body }, 1_000);
    for (let i = 0; i < 4; i++) await tick();
    expect(res.out).toEqual(['data: 1\n\ndata: 2\n\ndata: [DONE]\n\n<end>']);
  });
});

describe('the status line', () => {
  it("gives Anthropic's 529 a reason phrase, not Node's \"unknown\"", async () => {
    const server = createServer((_req, res) => writeAnswer(res, { status: 529, headers: {}, body: '{}' }, 1000));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const line = await new Promise<string>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (res) => {
          res.resume();
          resolve(`${res.statusCode} ${res.statusMessage}`);
        }).on('error', reject);
      });
      expect(line).toBe('529 Overloaded');
    } finally {
      server.close();
    }
  });
});

describe('a stream to a client that cannot take trailers', () => {
  /** Sends a raw request and reads the whole answer until the server closes. */
  async function raw(port: number, request: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(request));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  }

  it('reaches an HTTP/1.0 client (nginx proxies in 1.0 by default) without the trailer announcement', async () => {
    const server = createServer((_req, res) => {
      async function* two(): AsyncGenerator<string> {
        yield 'data: 1\n\n';
        yield 'data: [DONE]\n\n';
      }
      writeAnswer(res, { status: 200, headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd' }, body: two(), trailers: () => ({ 'x-switchyard-cost-usd': '0.5' }) }, 1_000);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await raw(port, 'POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer.toLowerCase()).not.toContain('trailer');
      expect(answer.endsWith('\r\n\r\ndata: 1\n\ndata: [DONE]\n\n')).toBe(true);
    } finally {
      server.close();
    }
  });
});
