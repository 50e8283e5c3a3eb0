import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { startServer, type RunningServer } from './server.js';

const LIMIT = 64 * 1024;
/** What a 413 reads and drops past the limit (request.ts's DRAIN_BYTES). */
const DRAIN = 64 * 1024 * 1024;

async function start(endpoint = 'http://127.0.0.1:9/v1'): Promise<RunningServer> {
  const parsed = parseConfig(
    {
      server: { body_limit_bytes: LIMIT, body_timeout_ms: 20_000 },
      deployments: [{ id: 'd', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint }],
      groups: [{ name: 'chat', deployments: ['d'] }],
    },
    {},
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return startServer(createGateway(parsed.config), { port: 0, host: '127.0.0.1' });
}

function open(port: number): Promise<{ socket: Socket; reply: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    // The server may reset a connection it stops reading; the spec looks at what arrived.
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, reply: () => text, closed }));
  });
}

/** Resolves once `socket` takes more writes, or has closed. */
function writable(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/** Resolves true when `p` settles within `ms`. */
const within = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

describe('a chunked body no route reads', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await start();
  });

  afterAll(async () => {
    await server.shutdown(100);
  });

  it('is read only up to what a 413 drains, then the connection is closed, rather than until body_timeout_ms', async () => {
    const { socket, reply, closed } = await open(server.port);
    socket.write('POST /v1/nothing HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    const chunk = Buffer.concat([Buffer.from(`${(1024 * 1024).toString(16)}\r\n`), Buffer.alloc(1024 * 1024, 0x20), Buffer.from('\r\n')]);
    // A client that keeps sending: 16 MB past the cap, then it waits without ending the body.
    let sent = 0;
    while (!socket.destroyed && sent < LIMIT + DRAIN + 16 * 1024 * 1024) {
      if (!socket.write(chunk)) await writable(socket);
      sent += chunk.length;
    }
    expect(await within(closed, 3_000)).toBe(true);
    expect(reply()).toMatch(/^HTTP\/1\.1 404 /);
    socket.destroy();
  });

  it('of a few bytes keeps its connection for the next request', async () => {
    const { socket, reply } = await open(server.port);
    socket.write('POST /v1/nothing HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n');
    await new Promise((r) => setTimeout(r, 50));
    socket.write('0\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    await expect.poll(reply, { timeout: 2_000 }).toMatch(/^HTTP\/1\.1 404 [\s\S]*HTTP\/1\.1 200 /);
    expect(reply()).not.toMatch(/connection: close/i);
    socket.destroy();
  });
});

/** Sends `request` (which asks for `connection: close`) and resolves with all the server wrote back. */
async function exchange(port: number, request: string): Promise<string> {
  const { socket, reply, closed } = await open(port);
  // Not end(): node:http aborts a request whose client half-closes before its answer.
  socket.write(request);
  await closed;
  return reply();
}

describe('an absolute-form request-target (RFC 9112 3.2.2: a server must accept it)', () => {
  let sim: SimServer;
  let server: RunningServer;
  let trap: Server;
  let trapped = 0;
  let trapAuthority = '';

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(`${sim.url}/v1`);
    // Where the request-targets point: the gateway must never connect there.
    trap = createServer((s) => {
      trapped += 1;
      s.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
    trapAuthority = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
    await new Promise((r) => trap.close(r));
  });

  it('is routed by its path', async () => {
    const text = await exchange(server.port, `GET http://${trapAuthority}/healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('{"status":"ok"}');
  });

  it('keeps its query, and an empty path is /', async () => {
    const models = await exchange(server.port, `GET HTTP://${trapAuthority}/v1/models?limit=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(models).toMatch(/^HTTP\/1\.1 200 /);
    const root = await exchange(server.port, `GET http://${trapAuthority}?x=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(root).toMatch(/^HTTP\/1\.1 404 /);
    expect(root).toContain('Unknown route /.');
  });

  it('goes to the configured upstream whatever authority it names', async () => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
    const before = sim.stats.total;
    const text = await exchange(
      server.port,
      `POST http://${trapAuthority}/v1/chat/completions HTTP/1.1\r\nhost: ${trapAuthority}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('You said: Hi.');
    expect(sim.stats.total).toBe(before + 1);
    expect(trapped).toBe(0);
  });
});
