import { createServer, IncomingMessage, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpRequest } from '../../http/exchange.js';
import { streamBodyReader } from './body-reader.js';
import { createGcpHandler } from './index.js';

function incoming(headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return req;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reading a body nobody has read yet', () => {
  it('returns every byte the client sent', async () => {
    const req = incoming();
    const read = streamBodyReader(req)(100, 1_000);
    req.push('{"a":');
    req.push('1}');
    req.push(null);
    expect(Buffer.from(await read).toString()).toBe('{"a":1}');
  });

  it('refuses a declared content-length above the limit with 413 before reading', async () => {
    await expect(streamBodyReader(incoming({ 'content-length': '101' }))(100, 1_000)).rejects.toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('refuses a chunked body that grows past the limit with 413', async () => {
    const req = incoming({ 'transfer-encoding': 'chunked' });
    const read = streamBodyReader(req)(4, 1_000);
    req.push('abc');
    req.push('de');
    await expect(read).rejects.toMatchObject({ status: 413 });
  });

  it('refuses a client that takes longer than the timeout to send it with 408', async () => {
    vi.useFakeTimers();
    const req = incoming({ 'content-length': '10' });
    const read = streamBodyReader(req)(100, 5_000);
    const outcome = read.catch((err: unknown) => err);
    req.push('abc');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await outcome).toMatchObject({ status: 408, code: 'request_timeout' });
  });
});

describe('outside functions-framework (no body parser ran)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const open = server;
    if (!open) return;
    open.closeAllConnections();
    await new Promise((resolve) => open.close(resolve));
  });

  it('hands the handler a reader of the request stream', async () => {
    const seen: HttpRequest[] = [];
    server = createServer(
      createGcpHandler(async (req) => {
        seen.push(req);
        const bytes = typeof req.body === 'function' ? await req.body(1_000, 1_000) : undefined;
        return { status: 200, headers: {}, body: bytes ?? 'none' };
      }),
    );
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = await request(`${url}/v1/embeddings`, { method: 'POST', body: '{"input":"x"}' });
    expect(await post.body.text()).toBe('{"input":"x"}');
    expect(typeof seen[0]?.body).toBe('function');
    const get = await request(`${url}/healthz`);
    expect(await get.body.text()).toBe('none');
    expect(seen[1]?.body).toBeUndefined();
  });
});
