import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { connect as connectTcp, createServer as createTcpServer, Socket, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentOptions } from './agent.js';
import type { ResponseHeaders } from './response-parser.js';

interface Answer {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

const DEFAULTS: AgentOptions = { connections: 16, keepAliveTimeoutMs: 4_000, connectTimeoutMs: 2_000 };

/** One exchange through the agent, collected; `abortAfterMs` aborts it that long after dispatch. */
function send(agent: Agent, url: URL, { method = 'POST', body = '{}', headers = {}, abortAfterMs }: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string>; abortAfterMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer = { status: 0, headers: {}, body: '' };
    agent.dispatch(
      { url, method, headers, body: method === 'GET' ? undefined : body },
      {
        onConnect(abort) {
          if (abortAfterMs !== undefined) setTimeout(() => abort(new Error('aborted by the test')), abortAfterMs);
        },
        onHeaders(status, headers) {
          answer = { status, headers, body: '' };
          return true;
        },
        onData(chunk) {
          answer.body += chunk.toString();
          return true;
        },
        onComplete: () => resolve(answer),
        onError: reject,
      },
    );
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node:http upstream that counts the connections it was opened and still holds. */
async function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void, keepAliveTimeout = 10_000): Promise<{ url: URL; opened: () => number; open: () => number; server: Server }> {
  const server = createHttpServer({ keepAliveTimeout }, handler);
  let opened = 0;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    opened += 1;
    open += 1;
    socket.once('close', () => (open -= 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`), opened: () => opened, open: () => open, server };
}

/** A raw TCP upstream that answers each request with the given bytes. */
async function rawUpstream(reply: (socket: Socket) => void): Promise<{ url: URL; server: TcpServer; opened: () => number }> {
  let opened = 0;
  const server = createTcpServer((socket) => {
    opened += 1;
    socket.on('data', () => reply(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`), server, opened: () => opened };
}

function agentWith(options: Partial<AgentOptions> = {}): Agent {
  const agent = new Agent({ ...DEFAULTS, ...options });
  cleanups.push(() => agent.close());
  return agent;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Agent', () => {
  it('sends the request as given and reuses one keep-alive connection for calls in sequence', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
    const up = await upstream((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end('{"ok":true}');
      });
    });
    const agent = agentWith();
    const url = new URL(`${up.url.href}?api-version=2024`);
    for (let i = 0; i < 20; i++) {
      const answer = await send(agent, url, { body: `{"n":${i},"text":"héllo"}`, headers: { 'content-type': 'application/json', authorization: 'Bearer k' } });
      expect(answer).toMatchObject({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json', 'x-upstream': 'yes' } });
    }
    expect(up.opened()).toBe(1);
    expect(seen[19]).toMatchObject({ method: 'POST', url: '/v1/chat/completions?api-version=2024', body: '{"n":19,"text":"héllo"}' });
    expect(seen[19]?.headers).toMatchObject({ host: up.url.host, authorization: 'Bearer k', 'content-length': String(Buffer.byteLength('{"n":19,"text":"héllo"}')) });
    const models = await send(agent, up.url, { method: 'GET' });
    expect(models.status).toBe(200);
    expect(seen[20]?.method).toBe('GET');
  });

  it('turns off Nagle’s algorithm on its sockets, so the tail of a request never waits for an ACK', async () => {
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    cleanups.push(async () => noDelay.mockRestore());
    const up = await upstream((req, res) => req.resume().on('end', () => res.end('ok')));
    await send(agentWith(), up.url);
    // The upstream's own server sockets call it too; ours are those whose peer is the upstream's port.
    const ours = noDelay.mock.calls.filter((_, i) => (noDelay.mock.contexts[i] as Socket).remotePort === Number(up.url.port));
    expect(ours).toEqual([[true]]);
  });

  it('opens no more connections than allowed, and serves waiting calls in order as connections free up', async () => {
    let inFlight = 0;
    let peak = 0;
    const up = await upstream((req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight -= 1;
        res.end(req.headers['x-n']);
      }, 20);
    });
    const agent = agentWith({ connections: 2 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => send(agent, up.url, { headers: { 'x-n': String(n) } })));
    expect(answers.map((a) => a.body)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(peak).toBe(2);
    expect(up.opened()).toBe(2);
  });

  it('closes an idle connection after its keep-alive, and opens a fresh one for the next call', async () => {
    const up = await upstream((req, res) => res.end('ok'));
    const agent = agentWith({ keepAliveTimeoutMs: 100 });
    await send(agent, up.url);
    expect(up.open()).toBe(1);
    await sleep(400);
    expect(up.open()).toBe(0);
    await send(agent, up.url);
    expect(up.opened()).toBe(2);
  });

  it('keeps a connection a second less than the upstream’s Keep-Alive hint, when that is shorter than its own', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 2\r\n\r\nok'));
    const agent = agentWith({ keepAliveTimeoutMs: 60_000 });
    await send(agent, up.url);
    await send(agent, up.url);
    expect(up.opened()).toBe(1);
    // The upstream would keep it 2 s; at 1.2 s it is past our 1 s and must not be reused.
    await sleep(1_200);
    await send(agent, up.url);
    expect(up.opened()).toBe(2);
  });

  it('opens a new connection after the upstream closed an idle one, without failing the next call', async () => {
    const up = await upstream((req, res) => res.end('ok'), 50);
    const agent = agentWith();
    await send(agent, up.url);
    await sleep(300);
    expect(up.open()).toBe(0);
    await expect(send(agent, up.url)).resolves.toMatchObject({ body: 'ok' });
    expect(up.opened()).toBe(2);
  });

  it('does not reuse a connection answered with Connection: close, or one read to its close', async () => {
    const closing = await upstream((req, res) => res.writeHead(200, { connection: 'close' }).end('bye'));
    const agent = agentWith();
    await send(agent, closing.url);
    await send(agent, closing.url);
    expect(closing.opened()).toBe(2);
    const toClose = await rawUpstream((s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    expect((await send(agent, toClose.url)).body).toBe('until the end');
    expect((await send(agent, toClose.url)).body).toBe('until the end');
    expect(toClose.opened()).toBe(2);
  });

  it('fails a call whose reply is not HTTP, and serves the next on a new connection', async () => {
    let n = 0;
    const up = await rawUpstream((s) => s.write(n++ === 0 ? 'SSH-2.0-OpenSSH\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const agent = agentWith();
    await expect(send(agent, up.url)).rejects.toMatchObject({ code: 'UPSTREAM_HTTP_PARSE' });
    await expect(send(agent, up.url)).resolves.toMatchObject({ body: 'ok' });
    expect(up.opened()).toBe(2);
  });

  it('fails a call cut short by the upstream with SOCKET_CLOSED', async () => {
    const up = await rawUpstream((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    await expect(send(agentWith(), up.url)).rejects.toMatchObject({ code: 'SOCKET_CLOSED' });
  });

  it('refuses a request header that could split the request, before any connection opens', async () => {
    const up = await upstream((req, res) => res.end('ok'));
    await expect(send(agentWith(), up.url, { headers: { 'x-a': 'v\r\nx-injected: 1' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST_HEADER' });
    expect(up.opened()).toBe(0);
  });

  it('aborts a waiting call without touching the busy connection, and an in-flight one by closing its socket', async () => {
    const up = await upstream((req, res) => {
      req.resume();
      if (req.headers['x-hang'] !== '1') setTimeout(() => res.end('ok'), 150);
    });
    const agent = agentWith({ connections: 1 });
    const first = send(agent, up.url);
    const waiting = send(agent, up.url, { abortAfterMs: 20 });
    await expect(waiting).rejects.toThrow('aborted by the test');
    await expect(first).resolves.toMatchObject({ body: 'ok' });
    expect(up.opened()).toBe(1);
    await expect(send(agent, up.url, { headers: { 'x-hang': '1' }, abortAfterMs: 50 })).rejects.toThrow('aborted by the test');
    await sleep(50);
    expect(up.open()).toBe(0);
  });

  it('tells the handler that a call aborted while it waited for a connection was never written, and one aborted in flight was', async () => {
    const up = await upstream((req) => req.resume());
    const agent = agentWith({ connections: 1 });
    const unsent = (abortAfterMs: number): Promise<boolean> =>
      new Promise((resolve) =>
        agent.dispatch(
          { url: up.url, method: 'POST', headers: {}, body: '{}' },
          {
            onConnect: (abort) => void setTimeout(() => abort(new Error('aborted by the test')), abortAfterMs),
            onHeaders: () => true,
            onData: () => true,
            onComplete: () => resolve(false),
            onError: (_err, never) => resolve(never),
          },
        ),
      );
    const inFlight = unsent(100);
    const waiting = unsent(20);
    expect(await waiting).toBe(true);
    expect(await inFlight).toBe(false);
  });

  it('writes a request at the end of the turn it got a connection: one aborted in that turn was never written', async () => {
    let requests = 0;
    const up = await upstream((req, res) => {
      requests += 1;
      req.resume();
      res.end('ok');
    });
    const agent = agentWith({ connections: 1 });
    await expect(send(agent, up.url)).resolves.toMatchObject({ body: 'ok' });
    await sleep(20); // the connection is idle again
    const told: boolean[] = [];
    let abort: (reason: Error) => void = () => undefined;
    agent.dispatch(
      { url: up.url, method: 'POST', headers: {}, body: '{}' },
      { onConnect: (a) => void (abort = a), onHeaders: () => true, onData: () => true, onComplete: () => told.push(false), onError: (_err, unsent) => told.push(unsent) },
    );
    abort(new Error('aborted by the test')); // the same turn: the idle connection took it, nothing is written yet
    await sleep(50);
    expect(told).toEqual([true]);
    expect(requests).toBe(1);
    await expect(send(agent, up.url)).resolves.toMatchObject({ body: 'ok' });
  });

  it('writes a request that waited for a connection in the check phase that hands the connection back, with no further poll first', async () => {
    const up = await upstream((req, res) => {
      req.resume();
      res.end('ok');
    });
    const agent = agentWith({ connections: 1 });
    await expect(send(agent, up.url)).resolves.toMatchObject({ body: 'ok' }); // the connection is open
    const writes = vi.spyOn(Socket.prototype, 'write');
    // The agent's writes: the upstream here is in this process, and its sockets (which have a server) write too.
    const toUpstream = (): number => writes.mock.contexts.filter((socket) => (socket as Socket & { server?: unknown }).server == null).length;
    const writtenBy = new Promise<number>((resolve, reject) =>
      agent.dispatch(
        { url: up.url, method: 'POST', headers: {}, body: '{}' },
        {
          onConnect: () => undefined,
          onHeaders: () => true,
          onData: () => true,
          // The answer's turn, then the check phase after it and the one after the next poll (where the
          // pool reuses the connection): by the check phase after that, the waiting request is written.
          onComplete: () => setImmediate(() => setImmediate(() => setImmediate(() => resolve(toUpstream())))),
          onError: reject,
        },
      ),
    );
    const waiting = send(agent, up.url);
    const afterFirst = await writtenBy;
    writes.mockRestore();
    expect(afterFirst).toBe(2);
    await expect(waiting).resolves.toMatchObject({ body: 'ok' });
  });

  it('pauses the socket while the reader asks it to, and resumes on request', async () => {
    const size = 4 * 1024 * 1024;
    const up = await upstream((req, res) => res.end(Buffer.alloc(size, 97)));
    const agent = agentWith();
    let received = 0;
    let resume: (() => void) | undefined;
    const done = new Promise<void>((resolve, reject) => {
      agent.dispatch(
        { url: up.url, method: 'GET', headers: {} },
        {
          onConnect: () => undefined,
          onHeaders(_status, _headers, resumeSocket) {
            resume = resumeSocket;
            return true;
          },
          onData(chunk) {
            received += chunk.length;
            return false;
          },
          onComplete: () => resolve(),
          onError: reject,
        },
      );
    });
    await sleep(200);
    const whilePaused = received;
    expect(whilePaused).toBeLessThan(size);
    await sleep(100);
    expect(received).toBe(whilePaused);
    while (received < size) {
      resume?.();
      await sleep(1);
    }
    await done;
  });

  it('gives up on a connection that does not open in time (a TLS handshake that never comes)', async () => {
    const silent = createTcpServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      silent.close();
    });
    const url = new URL(`https://127.0.0.1:${(silent.address() as AddressInfo).port}/x`);
    const started = Date.now();
    await expect(send(agentWith({ connectTimeoutMs: 150 }), url)).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('fails a call to a port nobody listens on with the socket’s code', async () => {
    const up = await upstream((req, res) => res.end());
    const url = up.url;
    await new Promise((r) => up.server.close(r));
    await expect(send(agentWith(), url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('closes idle connections on close(), lets busy ones finish, and refuses calls after', async () => {
    const up = await upstream((req, res) => setTimeout(() => res.end('late'), 100));
    const agent = new Agent(DEFAULTS);
    const busy = send(agent, up.url);
    await sleep(20);
    const closed = agent.close();
    await expect(busy).resolves.toMatchObject({ body: 'late' });
    await closed;
    await sleep(50);
    expect(up.open()).toBe(0);
    await expect(send(agent, up.url)).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  describe('over TLS', () => {
    let dir: string;
    let cert: string;
    let key: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
      return () => rmSync(dir, { recursive: true, force: true });
    });

    /** `resetNext`: the first request on a resumed session is answered with a TCP reset. */
    async function httpsUpstream(): Promise<{ port: number; sessions: { new: number; resumed: number }; resetNext: boolean }> {
      const up = { port: 0, sessions: { new: 0, resumed: 0 }, resetNext: false };
      const server = createHttpsServer({ cert, key, keepAliveTimeout: 10_000 }, (req, res) => {
        if (up.resetNext && (req.socket as TLSSocket).isSessionReused()) {
          up.resetNext = false;
          return (req.socket as TLSSocket & { _parent?: Socket })._parent?.resetAndDestroy();
        }
        res.end(`tls ${req.headers.host}`);
      });
      const sessions = up.sessions;
      server.on('secureConnection', (socket) => (socket.isSessionReused() ? (sessions.resumed += 1) : (sessions.new += 1)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      cleanups.push(() => {
        server.closeAllConnections();
        return new Promise((r) => server.close(() => r()));
      });
      up.port = (server.address() as AddressInfo).port;
      return up;
    }

    it('verifies the upstream’s certificate against the host name, and resumes TLS sessions', async () => {
      const up = await httpsUpstream();
      const agent = agentWith({ ca: cert, keepAliveTimeoutMs: 50 });
      const url = new URL(`https://localhost:${up.port}/v1`);
      expect((await send(agent, url)).body).toBe(`tls localhost:${up.port}`);
      await sleep(200);
      expect((await send(agent, url)).body).toBe(`tls localhost:${up.port}`);
      expect(up.sessions).toEqual({ new: 1, resumed: 1 });
    });

    it('forgets a TLS session once a connection that used it fails', async () => {
      const up = await httpsUpstream();
      up.resetNext = true;
      const agent = agentWith({ ca: cert, keepAliveTimeoutMs: 50 });
      const url = new URL(`https://localhost:${up.port}/v1`);
      expect((await send(agent, url)).body).toBe(`tls localhost:${up.port}`);
      await sleep(200);
      await expect(send(agent, url)).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect((await send(agent, url)).body).toBe(`tls localhost:${up.port}`);
      expect(up.sessions).toEqual({ new: 2, resumed: 1 });
    });

    it('gives up on a TLS handshake that trickles in past the connect timeout, though bytes keep coming', async () => {
      const up = await httpsUpstream();
      // A relay that passes the upstream's handshake on a byte every 20 ms: never idle, never done in time.
      const relay = createTcpServer((client) => {
        client.on('error', () => undefined);
        const upstreamSocket = connectTcp(up.port, '127.0.0.1');
        upstreamSocket.on('error', () => undefined);
        client.on('data', (d: Buffer) => upstreamSocket.write(d));
        const bytes: number[] = [];
        upstreamSocket.on('data', (d: Buffer) => bytes.push(...d));
        const drip = setInterval(() => {
          if (client.destroyed) {
            clearInterval(drip);
            upstreamSocket.destroy();
          } else if (bytes.length > 0) client.write(Buffer.from([bytes.shift() as number]));
        }, 20);
        client.on('close', () => {
          clearInterval(drip);
          upstreamSocket.destroy();
        });
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
      cleanups.push(() => {
        relay.close();
      });
      const started = Date.now();
      const url = new URL(`https://localhost:${(relay.address() as AddressInfo).port}/v1`);
      await expect(send(agentWith({ ca: cert, connectTimeoutMs: 300 }), url)).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('turns off Nagle’s algorithm on TLS sockets too', async () => {
      const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
      cleanups.push(async () => noDelay.mockRestore());
      const up = await httpsUpstream();
      await send(agentWith({ ca: cert }), new URL(`https://localhost:${up.port}/v1`));
      const ours = noDelay.mock.calls.filter((_, i) => (noDelay.mock.contexts[i] as Socket).remotePort === up.port);
      expect(ours).toEqual([[true]]);
      expect(noDelay.mock.contexts.some((s) => s instanceof TLSSocket && s.remotePort === up.port)).toBe(true);
    });

    it('refuses a certificate that names another host, and one nobody trusts', async () => {
      const up = await httpsUpstream();
      await expect(send(agentWith({ ca: cert }), new URL(`https://127.0.0.1:${up.port}/v1`))).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      await expect(send(agentWith(), new URL(`https://localhost:${up.port}/v1`))).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    });
  });
});
