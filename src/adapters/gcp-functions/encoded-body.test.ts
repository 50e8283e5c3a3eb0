import { createServer } from 'node:http';
import { createHttpHandler } from '../../http/handler.js';
import type { ConformanceFront } from '../../providers/conformance.js';
import { describeEncodedBodies } from '../testing/encoded-body.js';
import { createGcpHandler } from './index.js';
import { gcpFront } from './testing/conformance-front.js';
import { listenFront } from '../testing/listen.js';

/** The function on a plain node:http server: no body parser, so the body reaches the handler as sent. */
const plainFront: ConformanceFront = {
  name: 'gcp-functions (plain node:http, no body parser)',
  async serve(gateway) {
    const server = createServer(createGcpHandler(createHttpHandler(gateway)));
    return listenFront(server, gateway);
  },
};

// functions-framework's body parsers are never shown the coding (framework-refusals.ts): nothing is inflated.
describeEncodedBodies(gcpFront);
describeEncodedBodies(plainFront);
