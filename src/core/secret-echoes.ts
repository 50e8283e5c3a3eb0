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

/** Where needles are written whole, and whether any may be written cut apart by a dump's lines. */
export interface HexReading {
  spans: Span[];
  /** True when the first bytes of a needle, or the bytes after them, are written anywhere (`dumpEchoes`). */
  cut: boolean;
}

/**
 * Finds secrets' hex (lower-case digits, two a byte) written with anything `GAP` allows between bytes,
 * contiguous hex included. One scan for the first bytes of them all (`anchorPattern`): a view joining
 * every run of hex pairs took ~4 ms for a 64 KB dump, this ~60 µs. The scan also looks for each
 * needle's next `ANCHOR_BYTES` bytes: where a dump's line break cuts a needle's first bytes apart,
 * they stand whole on the next line, so a needle in a dump is never missed by both.
 */
export class HexEchoes {
  private readonly byAnchor = new Map<string, string[]>();
  private readonly scan: RegExp | undefined;

  constructor(needles: Iterable<string>) {
    for (const needle of needles) {
      this.needlesOf(needle.slice(0, 2 * ANCHOR_BYTES)).push(needle);
      this.needlesOf(needle.slice(2 * ANCHOR_BYTES, 4 * ANCHOR_BYTES));
    }
    this.scan = this.byAnchor.size > 0 ? new RegExp(anchorPattern([...this.byAnchor.keys()]), 'g') : undefined;
  }

  /** Where in `text` any needle is written, from its first byte's prefix to its last digit. */
  read(text: string): HexReading {
    const reading: HexReading = { spans: [], cut: false };
    const scan = this.scan;
    if (scan === undefined) return reading;
    scan.lastIndex = 0;
    for (let found = scan.exec(text); found !== null; found = scan.exec(text)) {
      const at = found.index;
      reading.cut = true;
      for (const needle of this.byAnchor.get(anchorAt(text, at)) ?? []) {
        const end = echoEnd(text, at, needle);
        if (end >= 0) reading.spans.push([at - (PREFIX_BEFORE.exec(text.slice(Math.max(0, at - 3), at))?.[0].length ?? 0), end]);
      }
      // Overlapping echoes too, as for every other form.
      scan.lastIndex = at + 1;
    }
    return reading;
  }

  /** The needles that start with `anchor`, none where it only follows their first bytes. */
  private needlesOf(anchor: string): string[] {
    const known = this.byAnchor.get(anchor);
    if (known) return known;
    const needles: string[] = [];
    if (anchor.length === 2 * ANCHOR_BYTES) this.byAnchor.set(anchor, needles);
    return needles;
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

/**
 * A line of a hex dump with its offset: the break before it (none at the text's start or where the
 * dump follows a quote or a label on its first line), the offset,
 * then its bytes, either xxd's (`00000010: 3958 7642  9XvB`: a colon, groups of any size one space
 * apart, two spaces before the text column) or hexdump -C's and od's (`00000010  39 58 76 42  |9XvB|`:
 * bytes one or two spaces apart, the column in bars or `>…<`). The break may be a JSON string's escape.
 */
const DUMP_LINE =
  /(\r?\n|\\r\\n|\\n|(?<![0-9A-Za-z]))[ \t]*([0-9a-fA-F]{4,16})(?:: ((?:[0-9a-fA-F]{2})+(?: (?:[0-9a-fA-F]{2})+)*)(?= {2})| {1,2}([0-9a-fA-F]{2}(?: {1,2}[0-9a-fA-F]{2})*)(?= +[|>]))/g;
/** Where a dump's text column ends, after the last line of a run: a break, real or a JSON escape. */
const COLUMN_REAL = /[^\r\n]*/y;
const COLUMN_ESCAPED = /(?:[^\\\r\n]|\\[^nr])*/y;

/** A line of a hex dump (`DUMP_LINE`) and where its parts stand in the text. */
interface DumpLine {
  offset: number;
  /** Its bytes' hex as written, separators included, and where that starts and ends. */
  hex: string;
  hexStart: number;
  hexEnd: number;
  /** Where the line's break starts, and whether it is a real line break (not a JSON escape, not none). */
  at: number;
  real: boolean;
  /** The text column, from after the spaces that follow the bytes to the next line's break. */
  columnEnd: number;
}

function dumpLine(found: RegExpExecArray): DumpLine {
  const hex = found[3] ?? found[4] ?? '';
  const hexEnd = found.index + found[0].length;
  return { offset: Number.parseInt(found[2] ?? '', 16), hex, hexStart: hexEnd - hex.length, hexEnd, at: found.index, real: found[1] !== undefined && found[1] !== '' && found[1].charCodeAt(0) !== 0x5c, columnEnd: -1 };
}

/**
 * True when `next` is the line after `line`: its offset is as many bytes on as `line`'s hex holds
 * (two digits a byte, at most one separator a byte) and its break stands where `line`'s column can end
 * (the column has a character a byte, two where JSON escapes it, bars and spaces around it).
 */
function follows(line: DumpLine, next: DumpLine): boolean {
  const bytes = next.offset - line.offset;
  return bytes > 0 && 2 * bytes <= line.hex.length && line.hex.length <= 3 * bytes && next.at - line.hexEnd <= line.hex.length + 48;
}

/**
 * Where any of `hex`'s needles is written in a hex dump with offsets and a text column (hexdump -C,
 * xxd, od), where lines cut it apart: each run of lines whose offsets follow on is read as its bytes
 * alone. On each line that holds any of a needle's bytes, those bytes and the whole text column, which
 * shows them as characters, are found. The plain scan misses these: the column and the next offset
 * stand between one line's bytes and the next's, and the column holds the secret cut at each line.
 */
export function dumpEchoes(text: string, hex: HexEchoes): Span[] {
  const spans: Span[] = [];
  let run: DumpLine[] = [];
  DUMP_LINE.lastIndex = 0;
  for (let found = DUMP_LINE.exec(text); found !== null; found = DUMP_LINE.exec(text)) {
    const line = dumpLine(found);
    const last = run[run.length - 1];
    if (last !== undefined && follows(last, line)) {
      last.columnEnd = line.at;
    } else {
      readRun(text, run, hex, spans);
      run = [];
    }
    run.push(line);
  }
  readRun(text, run, hex, spans);
  return spans;
}

/**
 * Adds to `spans` the needles found in `run`'s bytes, read as one: on each line, the bytes and the
 * column. The lines' hex is joined by a space, which `GAP` allows between bytes: removing the spaces
 * took a third of the time on a 64 KB dump.
 */
function readRun(text: string, run: DumpLine[], hex: HexEchoes, spans: Span[]): void {
  const last = run[run.length - 1];
  if (last === undefined) return;
  const joined = run.map((line) => line.hex).join(' ');
  for (const [start, end] of hex.read(joined).spans) {
    if (last.columnEnd < 0) last.columnEnd = lastColumnEnd(text, last);
    let first = 0;
    for (const line of run) {
      const from = Math.max(start, first);
      const to = Math.min(end, first + line.hex.length);
      if (from < to) {
        spans.push([line.hexStart + from - first, line.hexStart + to - first]);
        const column = columnStart(text, line);
        if (column < line.columnEnd) spans.push([column, line.columnEnd]);
      }
      first += line.hex.length + 1;
    }
  }
}

function columnStart(text: string, line: DumpLine): number {
  let at = line.hexEnd;
  while (text.charCodeAt(at) === 0x20) at++;
  return at;
}

/** Where the last line of a run ends: at its break, of the kind the line started with, within its column's room. */
function lastColumnEnd(text: string, line: DumpLine): number {
  const column = line.real ? COLUMN_REAL : COLUMN_ESCAPED;
  const from = columnStart(text, line);
  const room = text.slice(from, line.hexEnd + line.hex.length + 48);
  column.lastIndex = 0;
  column.test(room);
  return from + column.lastIndex;
}
