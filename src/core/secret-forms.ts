/**
 * The texts a configured secret may be echoed as, worked out once when it is registered, and the ways
 * an echo is read back out of upstream text (folded, or with an encoding's separators dropped), each
 * knowing where its characters stand in the text it was read from (`scrub.ts`).
 */

const utf8Encoder = new TextEncoder();

/** The texts a secret may be echoed as (`registerSecret`). */
export function secretForms(value: string): string[] {
  const bytes = utf8Encoder.encode(value);
  const forms = [value, encodeURIComponent(value), fold(value), hex(bytes)];
  for (let shift = 0; shift < 3; shift++) {
    const aligned = base64Inside(bytes, shift);
    forms.push(aligned, aligned.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The base64 characters that `bytes` alone decide when `shift` bytes of something else come before
 * them in the encoded text: the characters that also hold bits of a neighbour are left out.
 */
function base64Inside(bytes: Uint8Array, shift: number): string {
  let binary = '\0'.repeat(shift);
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + bytes.length) * 8) / 6));
}

/**
 * Cyrillic and Greek letters that render as a Latin letter or digit, and what a reader takes them for.
 * Hand-picked from Unicode's confusables.txt (UTS #39): its entries from a letter of the two scripts to
 * one ASCII letter or digit, where NFKC leaves the letter alone (it is a letter of its own script, no
 * compatibility form; Ϲ and ϲ are left out, as NFKC makes them sigmas). Where confusables.txt's
 * prototype for I is l (Greek Ι, Cyrillic І), this says I, the letter a reader reads: matching ignores
 * case, and ASCII is never folded, so l, I and 1 stay apart. Lower-case letters that look like small
 * capitals (к, м, н, т, в) are no lower-case Latin letter's look-alike and are left out.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic capitals
  А: 'A', В: 'B', Е: 'E', З: '3', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X',
  Ѕ: 'S', І: 'I', Ј: 'J', Ь: 'b', Ү: 'Y', Ѵ: 'V', Ԍ: 'G', Ԝ: 'W',
  // Cyrillic small letters
  а: 'a', б: '6', г: 'r', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j', һ: 'h',
  ү: 'y', ѵ: 'v', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  // Greek capitals
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y',
  Χ: 'X', Ϳ: 'J', Ϝ: 'F',
  // Greek small letters
  α: 'a', γ: 'y', ι: 'i', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', υ: 'u', ϳ: 'j',
};

/**
 * Dashes of every kind (Unicode's Dash property: hyphen, non-breaking hyphen, en dash, minus sign, the
 * full-width hyphen-minus...), which render as a secret's `-`.
 */
const DASH = /^\p{Dash}$/u;
const DASHES = /\p{Dash}/gu;
const HYPHEN = 0x2d;

/**
 * What each UTF-16 code unit past ASCII folds to once in NFKC form, learnt the first time it is met:
 * 0 not yet known, `KEEP` itself, otherwise the ASCII character's code. One lookup a character:
 * replacing by a `\p{Dash}` pattern took ~30 µs for 4 KB of text, and by a callback a look-alike
 * letter several times that for Russian prose.
 */
const folds = new Uint8Array(0x10000);
const KEEP = 1;
const ASCII = Array.from({ length: 0x80 }, (_, code) => String.fromCharCode(code));

function foldedCode(code: number): number {
  let known = folds[code] ?? KEEP;
  if (known === 0) {
    const char = String.fromCharCode(code);
    known = CONFUSABLES[char]?.charCodeAt(0) ?? (DASH.test(char) ? HYPHEN : KEEP);
    folds[code] = known;
  }
  return known === KEEP ? code : known;
}

/**
 * `text` as a reader reads it: its compatibility form (NFKC: full-width and other compatibility letters
 * and digits as ASCII), Cyrillic and Greek look-alikes as the Latin letters they look like
 * (`CONFUSABLES`), every dash a hyphen-minus. A registered secret and the text scanned for it are
 * folded alike.
 */
export function fold(text: string): string {
  const normal = text.normalize('NFKC');
  let out = '';
  let from = 0;
  let astral = false;
  for (let i = 0; i < normal.length; i++) {
    const code = normal.charCodeAt(i);
    if (code < 0x80) continue;
    if (code >= 0xd800 && code < 0xdc00) astral = true;
    const folded = foldedCode(code);
    if (folded === code) continue;
    // Two appends of a ready string: ~2x faster than appending a new pair, for Russian prose.
    out += normal.slice(from, i);
    out += ASCII[folded];
    from = i + 1;
  }
  out = from === 0 ? normal : out + normal.slice(from);
  // Dashes past the BMP (Yezidi's hyphenation mark) are two code units.
  return astral ? out.replace(DASHES, '-') : out;
}

/** Text read out of another and where each stretch of it stands there. */
export interface EchoView {
  readonly text: string;
  /** The stretch of the original text that `text`'s characters from `start` to `end` were read from. */
  origin(start: number, end: number): [start: number, end: number];
}

/**
 * An `EchoView` built piece by piece: a piece copied as it is maps character for character, a piece
 * read from a stretch (a folded letter, a ligature) maps to the whole stretch.
 */
class Pieces implements EchoView {
  text = '';
  /** Where each piece starts in `text`. */
  private readonly at: number[] = [];
  /** Where each piece starts in the original. */
  private readonly from: number[] = [];
  /** Where each piece read from a stretch ends in the original; -1 for one copied as it is. */
  private readonly to: number[] = [];

  copy(piece: string, from: number): void {
    this.add(piece, from, -1);
  }

  add(piece: string, from: number, to: number): void {
    if (piece === '') return;
    this.at.push(this.text.length);
    this.from.push(from);
    this.to.push(to);
    this.text += piece;
  }

  origin(start: number, end: number): [number, number] {
    const first = this.pieceAt(start);
    const last = this.pieceAt(end - 1);
    const from = this.from[first] ?? 0;
    const to = this.to[last] ?? -1;
    return [
      (this.to[first] ?? -1) < 0 ? from + start - (this.at[first] ?? 0) : from,
      to < 0 ? (this.from[last] ?? 0) + end - (this.at[last] ?? 0) : to,
    ];
  }

  /** The piece holding `text`'s character at `index`. */
  private pieceAt(index: number): number {
    let low = 0;
    let high = this.at.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.at[mid] ?? 0) <= index) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

/**
 * A run of text outside ASCII, with the ASCII character before it: a combining mark at its start
 * composes with that character. NFKC composes nothing across an ASCII character that no mark follows,
 * so folding text run by run folds it as a whole.
 */
const FOLD_RUN = /\p{ASCII}?\P{ASCII}+/gu;
/** One character with the combining marks after it. */
const CLUSTER = /.\p{M}*/gsu;

/**
 * `fold(text)` knowing where each of its characters came from: ASCII maps character for character,
 * each other character (with its marks) to itself, so a secret found folded is replaced where it was
 * written and the text around it is shown as written.
 */
export function foldedView(text: string): EchoView {
  const view = new Pieces();
  let from = 0;
  for (const run of text.matchAll(FOLD_RUN)) {
    view.copy(text.slice(from, run.index), from);
    addFolded(view, run[0], run.index);
    from = run.index + run[0].length;
  }
  view.copy(text.slice(from), from);
  return view;
}

/** A run folded character by character, or as one stretch where that would fold it otherwise. */
function addFolded(view: Pieces, run: string, at: number): void {
  const whole = fold(run);
  const clusters = run.match(CLUSTER) ?? [];
  const folded = clusters.map(fold);
  if (folded.join('') !== whole) {
    view.add(whole, at, at + run.length);
    return;
  }
  let from = at;
  clusters.forEach((cluster, i) => {
    view.add(folded[i] ?? '', from, from + cluster.length);
    from += cluster.length;
  });
}

/**
 * Hex of 8 bytes or more written as pairs apart (`73:6b:2d`, `73 6b 2d`, `73-6B-2D`; a dump's line
 * breaks between pairs too): 8 bytes, as no secret shorter than 8 characters is registered. Letters
 * of both cases spelled out: with an `i` flag the scan took about twice as long.
 */
const SPACED_HEX = /[0-9a-fA-F]{2}(?:[:\s-]+[0-9a-fA-F]{2}){7,}/g;
const HEX_PAIR = /[0-9a-fA-F]{2}/g;

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
/** The fewest base64 characters on the line before the first break: fewer is prose's line end. */
const MIN_BASE64_LINE = 16;

/** True for the code of a standard base64 character (the URL-safe alphabet is not cut into lines). */
function isBase64(code: number): boolean {
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2f;
}

/**
 * The stretches of `text` that hold an encoding cut apart, each joined up: hex pairs with separators,
 * base64 cut into lines. A secret's hex or base64 form is found in the joined text where no single
 * stretch of `text` holds it whole.
 */
export function splitEchoes(text: string): EchoView[] {
  const views: EchoView[] = [];
  for (const run of text.matchAll(SPACED_HEX)) {
    const view = new Pieces();
    for (const pair of run[0].matchAll(HEX_PAIR)) view.copy(pair[0], run.index + pair.index);
    views.push(view);
  }
  BASE64_BREAK.lastIndex = 0;
  for (let found = BASE64_BREAK.exec(text); found !== null; found = BASE64_BREAK.exec(text)) {
    const lineEnd = found.index + 1;
    let start = found.index;
    while (start > 0 && isBase64(text.charCodeAt(start - 1))) start--;
    // A short line (prose's end, a label) is passed over; the block may start at the next break.
    BASE64_BREAK.lastIndex = lineEnd;
    if (lineEnd - start < MIN_BASE64_LINE) continue;
    BASE64_LINES.lastIndex = lineEnd;
    const end = lineEnd + (BASE64_LINES.exec(text)?.[0].length ?? 0);
    views.push(joinedLines(text, start, end));
    // The block's later breaks are in this view.
    BASE64_BREAK.lastIndex = end;
  }
  return views;
}

/** The base64 lines of `text` from `start` to `end` joined, without their breaks and indents. */
function joinedLines(text: string, start: number, end: number): EchoView {
  const block = text.slice(start, end);
  const view = new Pieces();
  let from = 0;
  for (const br of block.matchAll(LINE_BREAK)) {
    view.copy(block.slice(from, br.index), start + from);
    from = br.index + br[0].length;
  }
  view.copy(block.slice(from), start + from);
  return view;
}
