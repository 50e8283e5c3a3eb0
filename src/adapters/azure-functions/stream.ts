import { ReadableStream } from 'node:stream/web';
import type { BodyStream } from '../../http/exchange.js';

const encoder = new TextEncoder();

/**
 * The web stream Azure Functions sends a streamed answer from. Pull-based with no read-ahead
 * (highWaterMark 0): the next chunk is asked of the handler only when the platform wants one, so
 * backpressure reaches the upstream. `settle` runs before the stream closes, while the platform still
 * awaits the body and so keeps the instance running. A cancel (the platform gave up on the body)
 * aborts the request and returns the handler's iterator so it closes its upstream and settles usage.
 * `sent` is told of each chunk handed to the platform.
 */
export function toWebStream(body: BodyStream, settle: () => Promise<void>, abort: () => void, sent: () => void = ignore): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<string>;
        try {
          next = await chunks.next();
        } catch (error) {
          await settle();
          controller.error(error);
          return;
        }
        if (next.done === true) {
          await settle();
          controller.close();
        } else {
          sent();
          controller.enqueue(encoder.encode(next.value));
        }
      },
      async cancel() {
        abort();
        try {
          await chunks.return?.();
        } finally {
          await settle();
        }
      },
    },
    { highWaterMark: 0 },
  );
}

function ignore(): void {}
