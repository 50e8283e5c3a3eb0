import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createHttpHandler } from '../../../http/handler.js';
import type { ConformanceFront } from '../../../providers/conformance.js';
import { registerGcpFunction } from '../index.js';
import { listenFront } from '../../testing/listen.js';

let functions = 0;

/** The gateway registered with functions-framework and served by its own server, as `--target` runs it. */
export const gcpFront: ConformanceFront = {
  name: 'gcp-functions (functions-framework)',
  async serve(gateway) {
    const name = `switchyard-conformance-${++functions}`;
    registerGcpFunction(name, createHttpHandler(gateway));
    const server = getTestServer(name);
    return listenFront(server, gateway);
  },
};
