import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

/*
 * A stand-in for the pieces of the Lambda Node.js runtime that streaming handlers touch, mirroring
 * aws/aws-lambda-nodejs-runtime-interface-client:
 * - src/stream/http-response-stream.ts (HttpResponseStream.from): sets the content type
 *   `application/vnd.awslambda.http-integration-response`, then installs `_onBeforeFirstWrite`,
 *   which writes JSON.stringify(prelude) and `new Uint8Array(8)` (8 NUL bytes) ahead of the body.
 * - src/stream/response-stream.ts: the hook runs inside write() on the first call only (end(chunk)
 *   goes straight to the socket and would skip it); setContentType throws once writing began.
 * - src/utils/globals.ts: streamifyResponse marks the handler and returns it unchanged.
 */
export const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = new Uint8Array(8);

type RawWrite = (chunk: string | Uint8Array) => void;

/** Records every byte as the runtime would send it to Lambda. `hold` keeps writes pending until `release()`. */
export class RecordingResponseStream extends Writable {
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite: ((write: RawWrite) => void) | undefined;
  private readonly received: Buffer[] = [];
  private started = false;
  private held: (() => void)[] = [];

  constructor(private readonly hold = false) {
    super({ highWaterMark: hold ? 1 : 16_384 });
  }

  setContentType(contentType: string): void {
    if (this.started) throw new Error('Cannot set content-type, too late.');
    this.contentType = contentType;
  }

  override write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
    if (!this.started && this._onBeforeFirstWrite !== undefined) this._onBeforeFirstWrite((c) => super.write(c));
    this.started = true;
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding ?? 'utf8', callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.received.push(chunk);
    if (this.hold) this.held.push(() => callback());
    else callback();
  }

  /** Completes the writes held so far. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  /** The prelude's JSON and the body after the 8 NUL bytes. */
  decode(): { prelude: unknown; body: string } {
    const bytes = this.bytes();
    const at = bytes.indexOf(DELIMITER);
    if (at < 0) throw new Error('no prelude delimiter in the response stream');
    return { prelude: JSON.parse(bytes.subarray(0, at).toString('utf8')), body: bytes.subarray(at + DELIMITER.length).toString('utf8') };
  }
}

export const fakeAwslambda = {
  streamifyResponse<H>(handler: H): H {
    return handler;
  },
  HttpResponseStream: {
    from(stream: RecordingResponseStream, prelude: Record<string, unknown>): RecordingResponseStream {
      stream.setContentType(PRELUDE_CONTENT_TYPE);
      const json = JSON.stringify(prelude);
      stream._onBeforeFirstWrite = (write) => {
        write(json);
        write(DELIMITER);
      };
      return stream;
    },
  },
};

/** A Lambda context whose deadline is `remainingMs` from now (by the possibly fake clock). */
export function fakeContext(remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'switchyard',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:switchyard',
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/switchyard',
    logStreamName: '2024/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
