import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../gateway/gateway.js';

/**
 * A runtime's front on a loopback port, as the conformance and adapter specs serve it: listening, and
 * closed with its open connections and then the gateway (`after`: whatever the front installed).
 */
export async function listenFront(server: Server, gateway: Gateway, after?: () => void): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.close();
      after?.();
    },
  };
}
