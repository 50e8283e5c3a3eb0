import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse.js';

/** Every event a body gives when read in `reads`, and what `end()` finds left. */
function parse(reads: Array<string | Uint8Array>): { events: SseEvent[]; last: SseEvent | undefined } {
  const parser = new SseParser();
  const events = reads.flatMap((r) => parser.push(typeof r === 'string' ? Buffer.from(r) : r));
  return { events, last: parser.end() };
}

/** `text` as bytes cut every `size` bytes (a character may be cut in two). */
function readsOf(text: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(text);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

describe('SseParser', () => {
  it('gives the same events however the body is cut across reads: CRLF, multi-byte characters and comments split anywhere', () => {
    const body = '\ufeff: ping\r\nevent: delta\r\ndata: {"t":"héllo ✓"}\r\n\r\ndata: one\ndata: two\n\n: keep-alive\n\ndata: {"done":true}\n\n';
    const whole = parse([body]);
    expect(whole.events).toEqual([
      { event: 'delta', data: '{"t":"héllo ✓"}' },
      { event: undefined, data: 'one\ntwo' },
      { event: undefined, data: '{"done":true}' },
    ]);
    for (const size of [1, 2, 3, 5, 7, 13]) expect(parse(readsOf(body, size))).toEqual(whole);
  });

  it('reads a line of megabytes that arrives in 64 KB reads, whole', () => {
    const content = 'é'.repeat(3 * 1024 * 1024);
    const body = `data: {"content":"${content}"}\r\n\r\ndata: [DONE]\n\n`;
    const { events } = parse(readsOf(body, 65536));
    expect(events.map((e) => e.data.length)).toEqual([`{"content":"${content}"}`.length, '[DONE]'.length]);
    expect(JSON.parse(events[0]?.data ?? '')).toEqual({ content });
  });

  it('keeps nothing of an event whose lines did not all arrive when the body ends', () => {
    expect(parse(['data: complete\n', 'data: cut sho']).last).toBeUndefined();
    expect(parse(['data: complete\n']).last).toEqual({ event: undefined, data: 'complete' });
  });

  it('refuses a line longer than 8 M characters as a broken upstream, even while it has no line break yet', () => {
    const parser = new SseParser();
    const piece = Buffer.from('x'.repeat(1024 * 1024));
    parser.push(Buffer.from('data: '));
    for (let i = 0; i < 7; i++) parser.push(piece);
    expect(() => parser.push(piece)).toThrow(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });
});
