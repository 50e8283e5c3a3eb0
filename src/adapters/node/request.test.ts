import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from './server.js';

const LIMIT = 64 * 1024;
/** What a 413 reads and drops past the limit (request.ts's DRAIN_BYTES). */
const DRAIN = 64 * 1024 * 1024;

async function start(): Promise<RunningServer> {
  const parsed = parseConfig(
    {
      server: { body_limit_bytes: LIMIT, body_timeout_ms: 20_000 },
      deployments: [{ id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }],
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
