/**
 * Where a configured secret's hex or base64 form is echoed cut apart (`scrub.ts`): hex written a byte or
 * a few bytes at a time, with separators or prefixes between them; base64 cut into lines.
 */

import { Pieces, type EchoView } from './secret-forms.js';

export type Span = [start: number, end: number];

/**
 * What may stand between two bytes of hex written apart: separators (`73:6b`, `73 6b`, `73-6B`, `'73',
 * '6b'`), a dump's line breaks and indents, also escaped in a JSON string (`\n`), none (xxd's groups,
 * `736b 2d70`), then the next byte's prefix (`0x73, 0x6b`, `\x73\x6b`, `\\x73` in JSON). At most 32
 * characters: bytes further apart are no one echo, and a scan never runs on through a long gap.
 */
const GAP = String.raw`(?:[\s:,;'"-]|\\[nrt]){0,32}(?:0[xX]|\\{1,2}x)?`;
const GAP_AT = new RegExp(GAP, 'y');
/** A byte's prefix, read back from where its digits start. */
const PREFIX_BEFORE = /(?:0[xX]|\\{1,2}x)$/;

/** Bytes of a secret's hex that the scan looks for: the rest is read only where they are found. */
const ANCHOR_BYTES = 3;

/** `code` of an ASCII hex digit in lower case, any other code as it is. */
const lowerHex = (code: number): number => (code >= 0x41 && code <= 0x46 ? code + 0x20 : code);

/** A hex digit matched in either case (`[bB]`), a digit as itself. */
const digitPattern = (digit: string): string => (digit >= 'a' ? `[${digit}${digit.toUpperCase()}]` : digit);

/**
 * Finds secrets' hex (lower-case digits, two a byte) written with anything `GAP` allows between bytes,
 * contiguous hex included. One scan for the first bytes of them all (`anchorPattern`): a view joining
 * every run of hex pairs took ~4 ms for a 64 KB dump, this ~60 µs.
 */
export class HexEchoes {
  private readonly byAnchor = new Map<string, string[]>();
  private readonly scan: RegExp | undefined;

  constructor(needles: Iterable<string>) {
    for (const needle of needles) {
      const anchor = needle.slice(0, 2 * ANCHOR_BYTES);
      const known = this.byAnchor.get(anchor);
      if (known) known.push(needle);
      else this.byAnchor.set(anchor, [needle]);
    }
    this.scan = this.byAnchor.size > 0 ? new RegExp(anchorPattern([...this.byAnchor.keys()]), 'g') : undefined;
  }

  /** Where in `text` any needle is written, from its first byte's prefix to its last digit. */
  spans(text: string): Span[] {
    const spans: Span[] = [];
    const scan = this.scan;
    if (scan === undefined) return spans;
    scan.lastIndex = 0;
    for (let found = scan.exec(text); found !== null; found = scan.exec(text)) {
      const at = found.index;
      for (const needle of this.byAnchor.get(anchorAt(text, at)) ?? []) {
        const end = echoEnd(text, at, needle);
        if (end >= 0) spans.push([at - (PREFIX_BEFORE.exec(text.slice(Math.max(0, at - 3), at))?.[0].length ?? 0), end]);
      }
      // Overlapping echoes too, as for every other form.
      scan.lastIndex = at + 1;
    }
    return spans;
  }
}

/** Digits of anchors that start alike, by the digit that comes next. */
type Trie = Map<string, Trie>;

/**
 * A pattern for any of `anchors` (`ANCHOR_BYTES` bytes of hex digits) with `GAP`s between bytes, written
 * as a tree of the digits they share: one alternative per anchor took ~200 ms for 64 KB of hex with
 * 1,024 secrets registered, the tree ~1 ms.
 */
function anchorPattern(anchors: readonly string[]): string {
  const root: Trie = new Map();
  for (const anchor of anchors) {
    let node = root;
    for (const digit of anchor) {
      const next = node.get(digit) ?? new Map<string, Trie>();
      node.set(digit, next);
      node = next;
    }
  }
  const branch = (node: Trie, depth: number): string => {
    const ways = [...node].map(([digit, next]) => digitPattern(digit) + (next.size === 0 ? '' : (depth % 2 === 1 ? GAP : '') + branch(next, depth + 1)));
    return ways.length === 1 ? (ways[0] ?? '') : `(?:${ways.join('|')})`;
  };
  return branch(root, 0);
}

/** Past the `GAP` at `at`. */
function afterGap(text: string, at: number): number {
  GAP_AT.lastIndex = at;
  GAP_AT.test(text);
  return GAP_AT.lastIndex;
}

/** The first `ANCHOR_BYTES` bytes' digits written from `at` (where the scan found them), in lower case. */
function anchorAt(text: string, at: number): string {
  let digits = '';
  for (let i = at, byte = 0; byte < ANCHOR_BYTES; byte++, i += 2) {
    if (byte > 0) i = afterGap(text, i);
    digits += text.slice(i, i + 2);
  }
  return digits.toLowerCase();
}

/** Where `needle` ends when written from `at` with gaps between its bytes, or -1 where it is not. */
function echoEnd(text: string, at: number, needle: string): number {
  let i = at;
  for (let k = 0; k < needle.length; k += 2, i += 2) {
    if (k > 0) i = afterGap(text, i);
    if (lowerHex(text.charCodeAt(i)) !== needle.charCodeAt(k) || lowerHex(text.charCodeAt(i + 1)) !== needle.charCodeAt(k + 1)) return -1;
  }
  return i;
}

/**
 * A line break inside base64 cut into lines (MIME's 76 columns, PEM's 64, any other): a base64
 * character, the break (maybe a JSON escape, `\n`, as a JSON error body quotes a file), the next line's
 * indent and first character. Found by the break, then widened (`BASE64_LINES`, `isBase64`): a pattern
 * that started at each base64 run and ran to its end took ~10x as long on a 4 KB error text.
 */
const BASE64_BREAK = /[A-Za-z0-9+/](?:\r?\n|\\r\\n|\\n)[ \t]*[A-Za-z0-9+/]/g;
/** The lines after a break, each with the break before it. */
const BASE64_LINES = /(?:(?:\r?\n|\\r\\n|\\n)[ \t]*[A-Za-z0-9+/]+)+/y;
const LINE_BREAK = /(?:\r?\n|\\r\\n|\\n)[ \t]*/g;
/**
 * The fewest base64 characters on a line, before or after the first break, that make a block of
 * lines: fewer on both is prose's line end. One full line is enough: a block quoted from its middle
 * starts with a short line.
 */
const MIN_BASE64_LINE = 16;
const FULL_LINE = new RegExp(`[A-Za-z0-9+/]{${MIN_BASE64_LINE}}`, 'y');

/** True for the code of a standard base64 character (the URL-safe alphabet is not cut into lines). */
function isBase64(code: number): boolean {
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2f;
}

/**
 * The blocks of base64 lines in `text`, each joined up: a secret's base64 form is found in a block
 * where a break cuts it, its first line's too when the block was quoted from its middle.
 */
export function lineEchoes(text: string): EchoView[] {
  const views: EchoView[] = [];
  BASE64_BREAK.lastIndex = 0;
  for (let found = BASE64_BREAK.exec(text); found !== null; found = BASE64_BREAK.exec(text)) {
    const lineEnd = found.index + 1;
    let start = found.index;
    while (start > 0 && isBase64(text.charCodeAt(start - 1))) start--;
    FULL_LINE.lastIndex = found.index + found[0].length - 1;
    // Short lines on both sides (prose's end, a label) are passed over; the block may start at the next break.
    BASE64_BREAK.lastIndex = lineEnd;
    if (lineEnd - start < MIN_BASE64_LINE && !FULL_LINE.test(text)) continue;
    BASE64_LINES.lastIndex = lineEnd;
    const end = lineEnd + (BASE64_LINES.exec(text)?.[0].length ?? 0);
    views.push(new JoinedLines(text, start, end));
    // The block's later breaks are in this view.
    BASE64_BREAK.lastIndex = end;
  }
  return views;
}

/**
 * The lines of `source` from `start` to `end` joined, without their breaks and indents. Where each
 * line stands is worked out only when something is found in them.
 */
class JoinedLines implements EchoView {
  readonly text: string;
  private pieces: Pieces | undefined;

  constructor(
    private readonly source: string,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.text = source.slice(start, end).replace(LINE_BREAK, '');
  }

  origin(start: number, end: number): [number, number] {
    this.pieces ??= this.lines();
    return this.pieces.origin(start, end);
  }

  private lines(): Pieces {
    const block = this.source.slice(this.start, this.end);
    const pieces = new Pieces();
    let from = 0;
    for (const br of block.matchAll(LINE_BREAK)) {
      pieces.copy(block.slice(from, br.index), this.start + from);
      from = br.index + br[0].length;
    }
    pieces.copy(block.slice(from), this.start + from);
    return pieces;
  }
}
