import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function str(value: string): { type: 'string'; value: string } {
  return { type: 'string', value };
}

const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
let padded = 0;

/**
 * `payload` with Bedrock's `p` member last: a prefix of the alphabet whose length changes from event
 * to event, against length side channels (messageStart and contentBlockDelta carry it; seen in
 * aws/aws-sdk-js-v3#6919). Clients ignore it.
 */
export function withPadding(payload: Record<string, unknown>): Record<string, unknown> {
  padded = (padded + 17) % PADDING.length;
  return { ...payload, p: PADDING.slice(0, padded + 1) };
}

/** One `:message-type: event` frame with a JSON payload, as ConverseStream sends it. */
export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  const headers: MessageHeaders = { ':event-type': str(eventType), ':content-type': str('application/json'), ':message-type': str('event') };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** One `:message-type: exception` frame (modelStreamErrorException, throttlingException, ...). */
export function exceptionFrame(exceptionType: string, payload: unknown): Uint8Array {
  const headers: MessageHeaders = { ':exception-type': str(exceptionType), ':content-type': str('application/json'), ':message-type': str('exception') };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** A frame whose message CRC is wrong, for the `malformed` fault. */
export function corruptFrame(eventType: string, payload: unknown): Uint8Array {
  const frame = Uint8Array.from(eventFrame(eventType, payload));
  const last = frame.length - 1;
  frame[last] = (frame[last] as number) ^ 0xff;
  return frame;
}
