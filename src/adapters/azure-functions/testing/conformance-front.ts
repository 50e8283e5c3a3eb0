import { createServer, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { createHttpHandler } from '../../../http/handler.js';
import type { ConformanceFront } from '../../../providers/conformance.js';
import { createAzureHandler } from '../handler.js';
import { asPlatformResponse, recordingContext, streamingRequest } from './azure.js';
import { listenFront } from '../../testing/listen.js';

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/**
 * The gateway behind `createAzureHandler`, as the Functions host serves it with HTTP streaming on: the
 * request body handed over as a live stream, the answer's body piped to the client as the library
 * produces it, and a client that goes away cancelling that body.
 */
export const azureFront: ConformanceFront = {
  name: 'azure-functions (HTTP streaming)',
  async serve(gateway) {
    const handler = createAzureHandler(createHttpHandler(gateway));
    const server = createServer((req, res) => {
      void (async () => {
        const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
        const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
        const request = streamingRequest(url, req.method ?? 'GET', headersOf(req), hasBody ? (Readable.toWeb(req) as WebStream<Uint8Array>) : null);
        const answer = asPlatformResponse(await handler(request, recordingContext().context));
        res.writeHead(answer.status, Object.fromEntries(answer.headers)).flushHeaders();
        if (answer.body === null) return void res.end();
        await pipeline(Readable.fromWeb(answer.body as WebStream<Uint8Array>), res);
      })().catch(() => res.destroy());
    });
    return listenFront(server, gateway);
  },
};
