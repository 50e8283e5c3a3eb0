import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpHandler } from '../../http/handler.js';
import type { ConformanceFront } from '../../providers/conformance.js';
import { describeEncodedBodies } from '../testing/encoded-body.js';
import { createGcpHandler } from './index.js';
import { gcpFront } from './testing/conformance-front.js';

/** The function on a plain node:http server: no body parser, so the body reaches the handler as sent. */
const plainFront: ConformanceFront = {
  name: 'gcp-functions (plain node:http, no body parser)',
  async serve(gateway) {
    const server = createServer(createGcpHandler(createHttpHandler(gateway)));
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

// functions-framework's body parser decodes gzip, deflate and br (and answers 415 itself for other codings).
describeEncodedBodies(gcpFront, { platformDecodes: true });
describeEncodedBodies(plainFront);
