/**
 * A protobuf wire-format writer into one growable buffer: varints, fixed-width numbers, UTF-8 strings
 * and length-delimited messages whose length is written in front when they end. What the OTLP span
 * encoding (`otlp-protobuf.ts`) writes with; no schema, no objects.
 */
// Wire types.
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

export const tag = (field: number, wire: number): number => (field << 3) | wire;

/** A message's length varint is written in front of it when it ends; this many bytes are reserved. */
const RESERVED = 1;

/** A UTF-16 unit is at most 3 UTF-8 bytes, so a string this short has a one-byte length. */
const SHORT_STRING = 42;

const TWO_32 = 0x1_0000_0000;

/** A lowercase hex digit's value (ids are validated or made lowercase before they reach a span). */
const nibble = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57);

/**
 * Writes protobuf into a buffer from `base`, the start of the piece being written (a span in the slab,
 * or a whole body). Positions `begin` hands out are relative to it, so running out of room moves only
 * that piece to a new buffer: what was written before it stays where it is, in use (views of queued spans).
 */
export class ProtoWriter {
  buf: Buffer;
  base = 0;
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.base;
    const moved = Buffer.allocUnsafe(Math.max(this.buf.length, 2 * (used + n)));
    this.buf.copy(moved, 0, this.base, this.pos);
    this.buf = moved;
    this.base = 0;
    this.pos = used;
  }

  /** A non-negative integer up to 2^53 as a varint. */
  varint(v: number): void {
    this.ensure(8);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.pos++] = v;
  }

  /** Any int64 (two's complement, as protobuf writes a negative one: ten bytes). */
  int64(v: number): void {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return this.varint(v);
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** A string's length and UTF-8 bytes; ASCII ones up to 42 units copied in place (most keys and values). */
  string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      this.ensure(1 + 3 * n);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          // Not ASCII: one native write, whose byte count (≤ 126) fits the reserved length byte.
          buf[start] = buf.write(s, start + 1, 'utf8');
          this.pos = start + 1 + (buf[start] as number);
          return;
        }
        buf[p++] = c;
      }
      buf[start] = n;
      this.pos = p;
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Lowercase hex (a trace or span id, as the tracer makes them) as its bytes; decoded here, as a native call costs more than 16 bytes. */
  hexBytes(hex: string): void {
    const n = hex.length >> 1;
    this.ensure(1 + n);
    const buf = this.buf;
    buf[this.pos++] = n;
    for (let i = 0; i < n; i++) buf[this.pos++] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  }

  /** Milliseconds since the epoch as fixed64 nanoseconds, exact to the microsecond (as the JSON encoder). */
  nanos(ms: number): void {
    this.ensure(8);
    const us = Math.round(ms * 1000);
    // us * 1000 passes 2^53: multiplied in two 32-bit halves, each product exact in a double.
    const low = (us % TWO_32) * 1000;
    const high = Math.floor(us / TWO_32) * 1000 + Math.floor(low / TWO_32);
    this.buf.writeUInt32LE(low % TWO_32, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Starts a length-delimited field; `end` with what this returns writes its length in front. */
  begin(field: number): number {
    this.ensure(1 + RESERVED);
    this.buf[this.pos++] = tag(field, LEN);
    this.pos += RESERVED;
    return this.pos - this.base;
  }

  end(begun: number): void {
    const start = this.base + begun;
    const length = this.pos - start;
    if (length < 0x80) {
      this.buf[start - 1] = length;
      return;
    }
    // Longer than the reserved byte holds: move the message up by the extra length bytes.
    let extra = 0;
    for (let v = length >>> 7; v > 0x7f; v = Math.floor(v / 0x80)) extra++;
    extra++;
    this.ensure(extra);
    // ensure() may have moved the piece: `start` again from the base.
    const moved = this.base + begun;
    const buf = this.buf;
    buf.copyWithin(moved + extra, moved, this.pos);
    let p = moved - 1;
    let v = length;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos = moved + extra + length;
  }
}
