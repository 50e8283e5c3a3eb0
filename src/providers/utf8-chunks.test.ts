import { describe, expect, it } from 'vitest';
import { Utf8Chunks } from './utf8-chunks.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** `data` fed to a decoder in pieces cut at `cuts`, decoded to the end. */
function decodeCut(data: Uint8Array, cuts: number[]): string {
  const decoder = new Utf8Chunks();
  let out = '';
  let from = 0;
  for (const at of [...cuts, data.length]) {
    out += decoder.write(data.subarray(from, at));
    from = at;
  }
  return out + decoder.end();
}

describe('Utf8Chunks', () => {
  it('decodes a character of any length cut at any byte, as TextDecoder does the whole', () => {
    const text = 'a é € 😀 z';
    const data = bytes(text);
    for (let i = 0; i <= data.length; i++) {
      for (let j = i; j <= data.length; j++) expect(decodeCut(data, [i, j])).toBe(text);
    }
  });

  it('keeps nothing of a chunk that it was given (the transport may reuse that memory), Buffer or not', () => {
    for (const chunk of [Uint8Array.from([0x61, 0xf0, 0x9f]), Buffer.from([0x61, 0xf0, 0x9f])]) {
      const decoder = new Utf8Chunks();
      expect(decoder.write(chunk)).toBe('a');
      chunk.fill(0x41);
      expect(decoder.write(Uint8Array.from([0x98, 0x80]))).toBe('😀');
    }
  });

  it('decodes malformed bytes as U+FFFD, like TextDecoder, a character cut off at the end included', () => {
    const whole = (data: Uint8Array): string => new TextDecoder().decode(data);
    for (const data of [Uint8Array.from([0x61, 0x80, 0x62]), Uint8Array.from([0xff, 0x61]), Uint8Array.from([0x61, 0xe2, 0x82])]) {
      expect(decodeCut(data, [])).toBe(whole(data));
    }
    expect(decodeCut(Uint8Array.from([0x61, 0xe2, 0x82]), [2])).toBe(whole(Uint8Array.from([0x61, 0xe2, 0x82])));
  });
});
