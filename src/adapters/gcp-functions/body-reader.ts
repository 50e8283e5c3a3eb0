import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { BodyReader } from '../../http/exchange.js';

/**
 * A BodyReader over a request stream nobody has read yet: refuses a declared or actual size above
 * `limit` (413) before buffering it, and a client slower than `timeoutMs` to send it all (408).
 */
export function streamBodyReader(req: IncomingMessage): BodyReader {
  return (limit, timeoutMs) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = (error: GatewayError | undefined): void => {
        clearTimeout(timer);
        req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
        if (error === undefined) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
        else {
          // Discard the rest so the connection can still carry the error answer.
          req.resume();
          reject(error);
        }
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) settle(tooLarge(limit));
        else chunks.push(chunk);
      };
      const onEnd = (): void => settle(undefined);
      const onError = (): void => settle(aborted());
      const onClose = (): void => {
        if (!req.complete) settle(aborted());
      };
      const timer = setTimeout(() => settle(tooSlow(timeoutMs)), timeoutMs);
      req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
    });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 413, code: 'request_too_large', message: `The request body exceeds the limit of ${limit} bytes.` });
}

function tooSlow(timeoutMs: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 408, code: 'request_timeout', message: `The request body was not received within ${timeoutMs} ms.` });
}

function aborted(): GatewayError {
  return new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.' });
}
