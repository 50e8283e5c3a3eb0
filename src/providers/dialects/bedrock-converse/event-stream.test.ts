import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EventStreamCodec, Int64, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { EventStreamParser, type EventStreamMessage } from './event-stream.js';

// The official codec (the AWS SDK's) encodes what the parser must read.
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });

function frame(headers: MessageHeaders, payload: string): Buffer {
  return Buffer.from(codec.encode({ headers, body: fromUtf8(payload) }));
}

/** Every header type the format has, around the string headers ConverseStream sends. */
const EVERY_TYPE: MessageHeaders = {
  yes: { type: 'boolean', value: true },
  no: { type: 'boolean', value: false },
  ':message-type': str('event'),
  b: { type: 'byte', value: -3 },
  s: { type: 'short', value: 1234 },
  i: { type: 'integer', value: 123456 },
  l: { type: 'long', value: Int64.fromNumber(-5) },
  bin: { type: 'binary', value: Uint8Array.from([1, 2, 3, 0, 255]) },
  ':event-type': str('contentBlockDelta'),
  t: { type: 'timestamp', value: new Date(1_700_000_000_000) },
  u: { type: 'uuid', value: '0f8fad5b-d9cb-469f-a165-70867728950e' },
  ':content-type': str('application/json'),
};

function parseAll(reads: Uint8Array[]): EventStreamMessage[] {
  const parser = new EventStreamParser('bedrock');
  const out = reads.flatMap((r) => parser.push(r));
  parser.end();
  return out;
}

describe('EventStreamParser', () => {
  it("reads the string headers and the payload of frames the AWS codec wrote, skipping every other header type", () => {
    const payload = '{"contentBlockIndex":0,"delta":{"text":"héllo ✓"},"p":"abc"}';
    const bytes = frame(EVERY_TYPE, payload);
    expect(codec.decode(bytes).headers[':event-type']).toEqual(str('contentBlockDelta'));
    expect(parseAll([bytes])).toEqual([{ messageType: 'event', eventType: 'contentBlockDelta', exceptionType: undefined, errorCode: undefined, errorMessage: undefined, payload }]);
  });

  it('reads exception and error frames, and event types it has no name for', () => {
    const messages = parseAll([
      frame({ ':message-type': str('exception'), ':exception-type': str('throttlingException'), ':content-type': str('application/json') }, '{"message":"slow"}'),
      frame({ ':message-type': str('error'), ':error-code': str('InternalFailure'), ':error-message': str('ünexpected') }, ''),
      frame({ ':message-type': str('event'), ':event-type': str('somethingNewer') }, '{}'),
    ]);
    expect(messages.map((m) => [m.messageType, m.eventType, m.exceptionType, m.errorCode, m.errorMessage, m.payload])).toEqual([
      ['exception', undefined, 'throttlingException', undefined, undefined, '{"message":"slow"}'],
      ['error', undefined, undefined, 'InternalFailure', 'ünexpected', ''],
      ['event', 'somethingNewer', undefined, undefined, undefined, '{}'],
    ]);
  });

  it('gives the same messages however the frames are cut across reads', () => {
    const frames = [frame(EVERY_TYPE, '{"a":"é"}'), frame({ ':message-type': str('event'), ':event-type': str('messageStop') }, '{"stopReason":"end_turn"}')];
    const all = Buffer.concat(frames);
    const whole = parseAll([all]);
    expect(whole).toHaveLength(2);
    for (let cut = 1; cut < all.length; cut++) expect(parseAll([all.subarray(0, cut), all.subarray(cut)])).toEqual(whole);
    expect(parseAll(Array.from(all, (byte) => Uint8Array.of(byte)))).toEqual(whole);
  });

  it('keeps its own copy of a frame that has not fully arrived: a reused read buffer cannot change it', () => {
    const bytes = frame({ ':message-type': str('event'), ':event-type': str('messageStop') }, '{"stopReason":"end_turn"}');
    const parser = new EventStreamParser('bedrock');
    const read = Buffer.from(bytes.subarray(0, 20));
    expect(parser.push(read)).toEqual([]);
    read.fill(0);
    expect(parser.push(bytes.subarray(20)).map((m) => m.payload)).toEqual(['{"stopReason":"end_turn"}']);
  });

  it('keeps its own copy of every read of a frame that arrives in many: reused read buffers cannot change it', () => {
    const bytes = frame({ ':message-type': str('event'), ':event-type': str('contentBlockDelta') }, JSON.stringify({ delta: { text: 'x'.repeat(300) } }));
    const parser = new EventStreamParser('bedrock');
    const read = Buffer.alloc(7);
    let at = 0;
    // Before its prelude is whole, and after: both kinds of held read.
    for (; at + read.length < bytes.length; at += read.length) {
      bytes.copy(read, 0, at, at + read.length);
      expect(parser.push(read)).toEqual([]);
      read.fill(0);
    }
    expect(parser.push(bytes.subarray(at)).map((m) => m.payload.length)).toEqual([JSON.stringify({ delta: { text: 'x'.repeat(300) } }).length]);
    expect(() => parser.end()).not.toThrow();
  });

  it('reads a frame of megabytes that arrives in 64 KB reads, whole', () => {
    const text = 'é'.repeat(3 * 1024 * 1024);
    const bytes = frame({ ':message-type': str('event'), ':event-type': str('contentBlockDelta') }, JSON.stringify({ delta: { text } }));
    const reads = [];
    for (let at = 0; at < bytes.length; at += 65536) reads.push(bytes.subarray(at, at + 65536));
    const [message] = parseAll(reads);
    expect(JSON.parse(message?.payload ?? '')).toEqual({ delta: { text } });
  });

  it('refuses bad checksums, lengths and headers as a malformed upstream reply, and a cut frame as a network failure', () => {
    const good = frame({ ':message-type': str('event'), ':event-type': str('messageStop') }, '{}');
    const corrupt = (at: number): Buffer => {
      const copy = Buffer.from(good);
      copy[at] = (copy[at] as number) ^ 0x01;
      return copy;
    };
    const malformed = { kind: 'bad_upstream_response' };
    expect(() => parseAll([corrupt(good.length - 1)])).toThrow(expect.objectContaining(malformed)); // message CRC
    expect(() => parseAll([corrupt(9)])).toThrow(expect.objectContaining(malformed)); // prelude CRC
    expect(() => parseAll([corrupt(20)])).toThrow(expect.objectContaining(malformed)); // a header byte
    expect(() => parseAll([Buffer.from('{"message":"not a frame at all"}')])).toThrow(expect.objectContaining(malformed));
    // Headers said to be longer than the frame, with both CRCs right.
    const lying = Buffer.from(good);
    lying.writeUInt32BE(good.length, 4);
    expect(() => parseAll([withCrcs(lying)])).toThrow(expect.objectContaining(malformed));
    // A header type the format does not have.
    const unknown = Buffer.from(good);
    unknown[12 + 1 + (unknown[12] as number)] = 10;
    expect(() => parseAll([withCrcs(unknown)])).toThrow(expect.objectContaining(malformed));
    expect(() => parseAll([good.subarray(0, good.length - 1)])).toThrow(expect.objectContaining({ kind: 'network' }));
  });
});

/** `bytes` with both CRCs recomputed, so only what else is wrong with it shows. */
function withCrcs(bytes: Buffer): Buffer {
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 8)), 8);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
  return bytes;
}
