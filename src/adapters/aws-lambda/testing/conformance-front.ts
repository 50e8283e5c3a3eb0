import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHttpHandler } from '../../../http/handler.js';
import type { ConformanceFront } from '../../../providers/conformance.js';
import { createStreamingLambdaHandler } from '../handler.js';
import type { ResponseStream } from '../runtime.js';
import { RecordingResponseStream, fakeAwslambda, fakeContext } from './fake-runtime.js';
import { fixture } from './fixtures.js';
import { listenFront } from '../../testing/listen.js';

const DELIMITER = Buffer.alloc(8);

/**
 * What the Lambda service does with a streaming function's bytes: reads the JSON prelude up to the 8
 * NUL bytes, sends its status and headers to the client, then relays the body as it comes. A client
 * that goes away destroys the stream, as the runtime does when the connection breaks.
 */
class RelayResponseStream extends RecordingResponseStream {
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(private readonly res: ServerResponse) {
    super();
    res.on('close', () => {
      if (!res.writableFinished) this.destroy();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.head === undefined) {
      if (this.res.write(chunk)) callback();
      else this.res.once('drain', () => callback());
      return;
    }
    const bytes = Buffer.concat([this.head, chunk]);
    const at = bytes.indexOf(DELIMITER);
    if (at < 0) {
      this.head = bytes;
      return callback();
    }
    this.head = undefined;
    const prelude = JSON.parse(bytes.subarray(0, at).toString('utf8')) as { statusCode: number; headers: Record<string, string> };
    this.res.writeHead(prelude.statusCode, prelude.headers).flushHeaders();
    const rest = bytes.subarray(at + DELIMITER.length);
    if (rest.length > 0) this.res.write(rest);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.res.end(callback);
  }
}

/** A Function URL event (payload 2.0) for one loopback request: the body base64-encoded, as for binary bodies. */
function toEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const event = fixture('function-url');
  const url = new URL(req.url ?? '/', 'http://loopback');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const method = req.method ?? 'GET';
  return {
    ...event,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: undefined,
    headers,
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method, path: url.pathname } },
    body: body.length > 0 ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The gateway behind `createStreamingLambdaHandler`, as a Function URL in RESPONSE_STREAM mode serves it. */
export const lambdaFront: ConformanceFront = {
  name: 'aws-lambda (Function URL, response streaming)',
  async serve(gateway) {
    const previous = (globalThis as { awslambda?: unknown }).awslambda;
    (globalThis as { awslambda?: unknown }).awslambda = fakeAwslambda;
    const invoke = createStreamingLambdaHandler(createHttpHandler(gateway));
    const server = createServer((req, res) => {
      void (async () => {
        const event = toEvent(req, await readAll(req));
        const stream = new RelayResponseStream(res);
        // A failed invocation ends the client's response wherever it was, as Lambda does.
        await Promise.resolve(invoke(event, stream as unknown as ResponseStream, fakeContext(300_000))).catch(() => res.destroy());
      })();
    });
    return listenFront(server, gateway, () => ((globalThis as { awslambda?: unknown }).awslambda = previous));
  },
};
