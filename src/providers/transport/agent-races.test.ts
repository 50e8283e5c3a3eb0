import type { Socket } from 'node:net';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent } from './agent.js';
import type { ExchangeHandler } from './connection.js';

// The agent's client sockets, captured as it opens them, so a spec can act at the exact moment an
// event reaches one.
const clientSockets: Socket[] = [];
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  return {
    ...net,
    connect: (...args: Parameters<typeof net.connect>) => {
      const socket = net.connect(...args);
      clientSockets.push(socket);
      return socket;
    },
  };
});

/** An upstream answering each request with 200 "ok"; `serverSockets` lets a spec close one. */
async function upstream(): Promise<{ url: URL; serverSockets: Socket[]; close: () => Promise<void> }> {
  const serverSockets: Socket[] = [];
  const server = createServer((socket) => {
    serverSockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`), serverSockets, close: () => new Promise((r) => server.close(() => r())) };
}

function collect(onDone: (result: string) => void, overrides: Partial<ExchangeHandler> = {}): ExchangeHandler {
  let body = '';
  return {
    onConnect: () => undefined,
    onHeaders: () => true,
    onData: (chunk) => ((body += chunk.toString()), true),
    onComplete: () => onDone(body),
    onError: (err) => onDone(`error ${(err as { code?: string }).code ?? err.message}`),
    ...overrides,
  };
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  clientSockets.length = 0;
});

describe('Agent at the edges of a connection’s life', () => {
  it('never hands out an idle connection the upstream has just closed, even before the socket’s close event', async () => {
    const up = await upstream();
    const agent = new Agent({ connections: 4, keepAliveTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    agents.push(agent);
    const send = (): Promise<string> => new Promise((resolve) => agent.dispatch({ url: up.url, method: 'POST', headers: {}, body: '{}' }, collect(resolve)));
    expect(await send()).toBe('ok');
    const idle = clientSockets[0] as Socket;
    // Dispatched from the idle socket's own 'end' listener: the agent has seen the close, 'close' has not fired yet.
    const second = new Promise<string>((resolve) => idle.once('end', () => void send().then(resolve)));
    (up.serverSockets[0] as Socket).end();
    expect(await second).toBe('ok');
    expect(clientSockets).toHaveLength(2);
    await up.close();
  });

  it('lets a handler that throws on completion fail nobody else’s exchange on that connection', async () => {
    const up = await upstream();
    const agent = new Agent({ connections: 1, keepAliveTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    agents.push(agent);
    const results: string[] = [];
    const thrown: unknown[] = [];
    const second = new Promise<string>((resolve) => {
      agent.dispatch(
        { url: up.url, method: 'POST', headers: {}, body: '{}' },
        collect(() => undefined, {
          onComplete: () => {
            // Queued behind this one on the only connection, when this handler throws.
            agent.dispatch({ url: up.url, method: 'POST', headers: {}, body: '{}' }, collect(resolve));
            try {
              throw new Error('handler A threw');
            } catch (err) {
              thrown.push(err);
              throw err;
            }
          },
        }),
      );
    });
    results.push(await second);
    expect(results).toEqual(['ok']);
    expect(thrown).toHaveLength(1);
    await up.close();
  });

  it('never writes a request onto a connection its upstream closed right after answering, queued or in sequence', async () => {
    // Keep-alive by default (no Connection: close), then the close: a misbehaving upstream, or one
    // timing out its idle connections at that moment. The FIN arrives a turn after the answer.
    let accepted = 0;
    const server = createServer((socket) => {
      accepted += 1;
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nc${accepted}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    const agent = new Agent({ connections: 1, keepAliveTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    agents.push(agent);
    const send = (): Promise<string> => new Promise((resolve) => agent.dispatch({ url, method: 'POST', headers: {}, body: '{}' }, collect(resolve)));
    expect(await Promise.all([send(), send()])).toEqual(['c1', 'c2']);
    expect(await send()).toBe('c3');
    expect(await send()).toBe('c4');
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('lets a call made as the last answer completes wait for that connection rather than open another', async () => {
    const up = await upstream();
    const agent = new Agent({ connections: 4, keepAliveTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    agents.push(agent);
    const send = (): Promise<string> => new Promise((resolve) => agent.dispatch({ url: up.url, method: 'POST', headers: {}, body: '{}' }, collect(resolve)));
    for (let i = 0; i < 5; i++) expect(await send()).toBe('ok');
    expect(up.serverSockets).toHaveLength(1);
    await up.close();
  });

  it('resolves every close() call, not only the last', async () => {
    const up = await upstream();
    const agent = new Agent({ connections: 1, keepAliveTimeoutMs: 10_000, connectTimeoutMs: 1_000 });
    const busy = new Promise<string>((resolve) => agent.dispatch({ url: up.url, method: 'POST', headers: {}, body: '{}' }, collect(resolve)));
    const first = agent.close();
    const again = agent.close();
    await expect(busy).resolves.toBe('ok');
    await expect(Promise.all([first, again])).resolves.toEqual([undefined, undefined]);
    await up.close();
  });
});
