import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createHttpHandler } from '../../../http/handler.js';
import type { ConformanceFront } from '../../../providers/conformance.js';
import { registerGcpFunction } from '../index.js';

let functions = 0;

/** The gateway registered with functions-framework and served by its own server, as `--target` runs it. */
export const gcpFront: ConformanceFront = {
  name: 'gcp-functions (functions-framework)',
  async serve(gateway) {
    const name = `switchyard-conformance-${++functions}`;
    registerGcpFunction(name, createHttpHandler(gateway));
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await gateway.close();
      },
    };
  },
};
