import type { ReadableStream } from 'node:stream/web';
import { GatewayError } from '../../core/errors.js';
import type { BodyReader } from '../../http/exchange.js';

/**
 * A BodyReader over the platform's request stream (HTTP streaming mode): bytes are taken as they
 * arrive, a declared or actual size over `limit` is refused with 413 and a client slower than
 * `timeoutMs` with 408; either way the rest of the upload is cancelled, never buffered. The library
 * types the stream's chunks `any`: one that is not bytes is a 400, never counted or joined as if it were.
 * `used`: the platform's request had its body read before the handler ran (its `bodyUsed`).
 */
export function webBodyReader(body: ReadableStream<unknown>, contentLength: string | undefined, used = false): BodyReader {
  return async (limit, timeoutMs) => {
    // A preInvocation hook or other middleware read it (the stream locked, or drained): the deployment's fault, not the client's.
    if (used || body.locked) throw alreadyRead();
    if (Number(contentLength) > limit) {
      body.cancel().catch(ignore);
      throw tooLarge(limit);
    }
    const reader = body.getReader();
    let expired = false;
    // Cancelling settles the pending read with `done`, so the loop needs no race per chunk.
    const timer = setTimeout(() => {
      expired = true;
      reader.cancel().catch(ignore);
    }, timeoutMs);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          reader.cancel().catch(ignore);
          throw notBytes();
        }
        size += value.byteLength;
        if (size > limit) {
          reader.cancel().catch(ignore);
          throw tooLarge(limit);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (GatewayError.isInstance(error)) throw error;
      throw new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.', cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (expired) {
      throw new GatewayError({ kind: 'invalid_request', status: 408, code: 'request_timeout', message: `The request body did not arrive within ${timeoutMs} ms.` });
    }
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
  };
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 413, code: 'request_too_large', message: `The request body exceeds the limit of ${limit} bytes.` });
}

function notBytes(): GatewayError {
  return new GatewayError({ kind: 'invalid_request', code: 'invalid_body', message: 'The request body could not be read: the platform handed over a part of it that is not bytes.' });
}

/** An internal error, so the handler logs it once and answers 500 in the door's shape with these words. */
function alreadyRead(): GatewayError {
  return new GatewayError({ kind: 'internal', message: "The request body was already read before Switchyard's handler ran." });
}

function ignore(): void {}
