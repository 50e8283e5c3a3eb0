/**
 * The texts a configured secret may be echoed as, worked out once when it is registered, and upstream
 * text read folded (look-alikes as the letters they look like), knowing where each of its characters
 * stands in the text it was read from (`scrub.ts`; `secret-echoes.ts` reads encodings cut apart).
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
 * What each UTF-16 code unit folds to once in NFKC form (the ASCII character a look-alike or dash reads
 * as, or itself), learnt the first time it is met; 0 not yet known. One lookup a character: replacing
 * by a `\p{Dash}` pattern took ~30 µs for 4 KB of text, and by a callback a look-alike letter several
 * times that for Russian prose.
 */
const folds = new Uint16Array(0x10000);
/** The same in lower case where that is one code unit (`foldedLower`). */
const lowerFolds = new Uint16Array(0x10000);
for (let code = 0; code < 0x80; code++) {
  folds[code] = code;
  lowerFolds[code] = code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

/** Learns what `code` folds to, in both tables. */
function learn(code: number): void {
  const char = String.fromCharCode(code);
  const folded = CONFUSABLES[char]?.charCodeAt(0) ?? (DASH.test(char) ? HYPHEN : code);
  const lower = String.fromCharCode(folded).toLowerCase();
  folds[code] = folded;
  lowerFolds[code] = lower.length === 1 ? lower.charCodeAt(0) : folded;
}

/**
 * `text` as a reader reads it: its compatibility form (NFKC: full-width and other compatibility letters
 * and digits as ASCII), Cyrillic and Greek look-alikes as the Latin letters they look like
 * (`CONFUSABLES`), every dash a hyphen-minus. A registered secret and the text scanned for it are
 * folded alike.
 */
export function fold(text: string): string {
  const normal = normalized(text);
  return readUnits(normal, folds, 0, normal.length);
}

/**
 * `fold(text)` with each character in lower case where that is one code unit, character for character:
 * what a secret's folded form (`foldedLower(secret)`) is looked for in (`foldedMatches`).
 */
export function foldedLower(text: string): string {
  const normal = normalized(text);
  return readUnits(normal, lowerFolds, 0, normal.length);
}

/** Code units of `fold(text)` read at a time by `foldedMatches`. */
const WINDOW = 4096;

/**
 * Where in `fold(text)` each of `folded` (`foldedLower` of secrets) stands, in any case, overlapping
 * ones too. Text is read folded a window at a time, each window with the longest secret's length less
 * one more, so a secret across two windows is found: folding 64 KB of Russian prose as one string took
 * ~1.5 ms, most of it making and then copying strings of that size.
 */
export function foldedMatches(text: string, folded: readonly string[]): Array<[start: number, end: number]> {
  const found: Array<[number, number]> = [];
  if (folded.length === 0) return found;
  const normal = normalized(text);
  const overlap = Math.max(...folded.map((secret) => secret.length)) - 1;
  for (let start = 0; start < normal.length; start += WINDOW) {
    const window = readUnits(normal, lowerFolds, start, Math.min(normal.length, start + WINDOW + overlap));
    for (const secret of folded) {
      // Only those that start in this window's own part: the overlap is the next window's.
      for (let at = window.indexOf(secret); at >= 0 && at < WINDOW; at = window.indexOf(secret, at + 1)) found.push([start + at, start + at + secret.length]);
    }
  }
  return found;
}

/** `text` in NFKC form with every dash past the BMP (Yezidi's hyphenation mark, two code units) a hyphen-minus. */
function normalized(text: string): string {
  const normal = text.normalize('NFKC');
  return HIGH_SURROGATE.test(normal) ? normal.replace(DASHES, '-') : normal;
}

const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

/** Code units `String.fromCharCode` is given at a time: each is an argument. */
const UNITS = 4096;
const units = new Uint16Array(UNITS);

/**
 * `normal` from `start` to `end` with each code unit mapped by `table`, written as code units and made
 * a string a few thousand at a time: appending each mapped character, or the text between two, took
 * twice as long for Russian prose, where every third letter folds.
 */
function readUnits(normal: string, table: Uint16Array, start: number, end: number): string {
  let same = start;
  for (; same < end; same++) {
    const code = normal.charCodeAt(same);
    if (table[code] === 0) learn(code);
    if (table[code] !== code) break;
  }
  let out = normal.slice(start, same);
  for (let from = same; from < end; from += UNITS) {
    const to = Math.min(end, from + UNITS);
    for (let i = from; i < to; i++) {
      const code = normal.charCodeAt(i);
      if (table[code] === 0) learn(code);
      units[i - from] = table[code] ?? code;
    }
    out += String.fromCharCode.apply(null, units.subarray(0, to - from) as unknown as number[]);
  }
  return out;
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
export class Pieces implements EchoView {
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
