import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../../core/errors.js';

export type { Message as EventStreamMessage } from '@smithy/eventstream-codec';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PRELUDE = 12;
const MIN_FRAME = 16;
// Bedrock frames are small; a huge length means we lost frame alignment.
const MAX_FRAME = 16 * 1024 * 1024;

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed event stream: ${what}.`, provider });
}

/**
 * Splits an `application/vnd.amazon.eventstream` body into messages as they complete. A frame can be
 * split across reads or share one with others: bytes are buffered up to the prelude's total length,
 * then the codec checks both CRCs. A body that stops inside a frame is a cut connection.
 */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>, provider: string): AsyncGenerator<Message> {
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    buffer = buffer.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([buffer, chunk]);
    while (buffer.length >= PRELUDE) {
      const total = buffer.readUInt32BE(0);
      if (total < MIN_FRAME || total > MAX_FRAME) throw malformed(provider, `frame length ${total}`);
      if (buffer.length < total) break;
      const frame = buffer.subarray(0, total);
      buffer = buffer.subarray(total);
      let message: Message;
      try {
        message = codec.decode(frame);
      } catch {
        throw malformed(provider, 'bad frame checksum or headers');
      }
      yield message;
    }
  }
  if (buffer.length > 0) {
    throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream was cut inside a frame.`, provider });
  }
}

/** One header's string value, or undefined. */
export function headerValue(message: Message, name: string): string | undefined {
  const h = message.headers[name];
  return h && h.type === 'string' ? h.value : undefined;
}
