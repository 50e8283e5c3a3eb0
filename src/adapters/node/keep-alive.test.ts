import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { createGateway } from '../../gateway/gateway.js';
import { keepAliveGet as get } from '../testing/keep-alive-get.js';
import { startServer, type RunningServer } from './server.js';

const KEY = 'sk-gw-keep-alive';
const SCRAPE_KEY = 'sk-gw-keep-alive-scrape';
const running: { server: RunningServer; sockets: Socket[] }[] = [];

async function start(extra: Partial<ConfigInput> = {}): Promise<{ open: () => Promise<Socket> }> {
  const parsed = parseConfig({ deployments: [{ id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }], ...extra }, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const server = await startServer(createGateway(parsed.config), { port: 0, host: '127.0.0.1' });
  const run = { server, sockets: [] as Socket[] };
  running.push(run);
  return {
    open: async () => {
      const socket = connect(server.port, '127.0.0.1');
      run.sockets.push(socket);
      await new Promise<void>((r) => socket.once('connect', () => r()));
      return socket;
    },
  };
}

afterEach(async () => {
  for (const { server, sockets } of running.splice(0)) {
    for (const s of sockets) s.destroy();
    await server.shutdown(100);
  }
});


/** Resolves true once the server has closed `socket`, false if it is still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.readableEnded || socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

const withKey = `authorization: Bearer ${KEY}\r\n`;

describe('idle keep-alive connections are kept for callers with a key only', () => {
  it.each(['/healthz', '/readyz', '/no/such/route'])(
    'closes a connection whose requests needed no key (%s) once answered: anyone could otherwise fill max_connections with idle sockets',
    async (path) => {
      const { open } = await start({ api_keys: [{ id: 'k', key: KEY }] });
      const socket = await open();
      const head = await get(socket, path);
      expect(head).toMatch(/\r\nconnection: close/i);
      expect(await closedWithin(socket, 1_000)).toBe(true);
    },
  );

  it('keeps a connection that carried a request with a valid key open for reuse, its public requests included', async () => {
    const { open } = await start({ api_keys: [{ id: 'k', key: KEY }] });
    const socket = await open();
    const first = await get(socket, '/v1/models', withKey);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(first).toMatch(/\r\nconnection: keep-alive/i);
    expect(first).toMatch(/\r\nkeep-alive: timeout=65/i);
    expect(await get(socket, '/healthz')).toMatch(/\r\nconnection: keep-alive/i);
    expect(await get(socket, '/v1/models', withKey)).toMatch(/^HTTP\/1\.1 200[^]*\r\nconnection: keep-alive/i);
    expect(await closedWithin(socket, 100)).toBe(false);
  });

  it('closes a connection whose latest key is refused (401: revoked, unknown), whatever key it carried before', async () => {
    const { open } = await start({ api_keys: [{ id: 'k', key: KEY }] });
    const socket = await open();
    expect(await get(socket, '/v1/models', withKey)).toMatch(/\r\nconnection: keep-alive/i);
    const refused = await get(socket, '/v1/models', 'authorization: Bearer sk-gw-revoked\r\n');
    expect(refused).toMatch(/^HTTP\/1\.1 401[^]*\r\nconnection: close/i);
    expect(await closedWithin(socket, 1_000)).toBe(true);
  });

  it('closes a connection on which a role: metrics key is refused off its route (403), though an accepted key came before', async () => {
    const { open } = await start({ api_keys: [{ id: 'k', key: KEY }, { id: 'scrape', key: SCRAPE_KEY, role: 'metrics' }] });
    const socket = await open();
    expect(await get(socket, '/v1/models', withKey)).toMatch(/\r\nconnection: keep-alive/i);
    const refused = await get(socket, '/v1/models', `authorization: Bearer ${SCRAPE_KEY}\r\n`);
    expect(refused).toMatch(/^HTTP\/1\.1 403[^]*\r\nconnection: close/i);
    expect(await closedWithin(socket, 1_000)).toBe(true);
  });

  it("keeps an idle connection for server.keep_alive_timeout_ms, and tells the client so: a load balancer's own idle timeout must end first", async () => {
    const { open } = await start({ server: { keep_alive_timeout_ms: 620_000 } });
    const socket = await open();
    expect(await get(socket, '/healthz')).toMatch(/\r\nkeep-alive: timeout=620(\r\n|$)/i);
  });

  it('counts a key shown under server.base_path, as the client sent it', async () => {
    const { open } = await start({ api_keys: [{ id: 'k', key: KEY }], server: { base_path: '/llm' } });
    const socket = await open();
    expect(await get(socket, '/llm/v1/models', withKey)).toMatch(/^HTTP\/1\.1 200[^]*\r\nconnection: keep-alive/i);
    expect(await get(socket, '/healthz')).toMatch(/\r\nconnection: keep-alive/i);
  });

  it('closes public requests with virtual keys on and no config keys: those are keys too', async () => {
    const { open } = await start({ keys: { hmac_secret: 'x'.repeat(32) }, ledger: { enabled: true, store: 'sqlite', path: ':memory:' } });
    const socket = await open();
    expect(await get(socket, '/healthz')).toMatch(/\r\nconnection: close/i);
  });

  it('keeps every connection alive as before with keys off (loopback, every caller the anonymous admin)', async () => {
    const { open } = await start();
    const socket = await open();
    expect(await get(socket, '/healthz')).toMatch(/\r\nconnection: keep-alive/i);
    expect(await get(socket, '/no/such/route')).toMatch(/^HTTP\/1\.1 404[^]*\r\nconnection: keep-alive/i);
    expect(await get(socket, '/v1/models')).toMatch(/^HTTP\/1\.1 200[^]*\r\nconnection: keep-alive/i);
    expect(await closedWithin(socket, 100)).toBe(false);
  });
});
