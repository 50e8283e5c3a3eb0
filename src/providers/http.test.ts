import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, requestBuffered, sendUpstream } from './http.js';

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
      const calls = controllers.map((c) => send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: c.signal }, 'hung').catch(() => undefined));
      await new Promise((r) => setTimeout(r, 200));
      expect(open).toBe(20);
      // Clients go away one by one, as they do (all in one turn happens to let undici drop the replacements).
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
  }
});
