import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Canceller } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { createAgent, requestBuffered, sendUpstream } from './http.js';

// The request path cancels with a Canceller, not an AbortSignal: undici must honour it all the same.
describe('upstream calls cancelled by a Canceller', () => {
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
    it(`rejects a ${name} request in flight with the abort's reason and closes its socket`, async () => {
      const agent = createAgent();
      const canceller = new Canceller();
      const call = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: canceller }, 'hung');
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
      const call = send(agent, { url, headers: { 'content-type': 'application/json' }, body: '{}', signal: canceller }, 'hung');
      await expect(call).rejects.toMatchObject({ kind: 'cancelled' });
      await new Promise((r) => setTimeout(r, 100));
      expect(open).toBe(0);
      await agent.close();
    });
  }
});
