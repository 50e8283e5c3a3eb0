import { Buffer } from 'node:buffer';

/**
 * UTF-8 text from a body read in chunks, a character cut between two chunks decoded whole, as
 * StringDecoder does. Not StringDecoder: a new one costs ~1 µs (its native buffer), once per stream,
 * where carrying the 1-3 bytes of a cut character ourselves costs nothing in the usual case (a chunk
 * of SSE frames ends in a newline).
 */
export class Utf8Chunks {
  /** The start of a character the last chunk cut off. */
  private carry: Uint8Array | undefined;

  write(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.carry !== undefined) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const end = completeEnd(bytes);
    // A copy (Buffer#slice would be a view): the transport may reuse the chunk's memory once this returns.
    if (end < bytes.length) this.carry = Uint8Array.prototype.slice.call(bytes, end);
    return asBuffer(bytes).toString('utf8', 0, end);
  }

  /** What is left when the body ends: a cut-off character is invalid, U+FFFD as TextDecoder has it. */
  end(): string {
    const carry = this.carry;
    this.carry = undefined;
    return carry === undefined ? '' : asBuffer(carry).toString('utf8');
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Where the last complete character of `bytes` ends: before a lead byte whose continuation bytes
 * have not all arrived. Anything malformed counts as complete (decoding makes it U+FFFD).
 */
function completeEnd(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n === 0 || (bytes[n - 1] as number) < 0x80) return n;
  let lead = n - 1;
  while (lead > n - 4 && lead > 0 && ((bytes[lead] as number) & 0xc0) === 0x80) lead -= 1;
  const b = bytes[lead] as number;
  const length = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf8 ? 4 : 1;
  return n - lead < length ? lead : n;
}
