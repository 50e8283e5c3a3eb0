/**
 * The configured secrets `scrub.ts` removes, each with the forms it may be echoed in, and where in a
 * text any of them is written: as a form, cut apart (`secret-echoes.ts`) or in look-alikes
 * (`secret-forms.ts`).
 */

import { HexEchoes, dumpEchoes, lineEchoes, type Span } from './secret-echoes.js';
import { foldedLower, foldedMatches, foldedView, secretForms } from './secret-forms.js';

export const REDACTED = '[redacted]';

/** Values shorter than this are too likely to be ordinary words to be replaced everywhere. */
const MIN_SECRET_LENGTH = 8;
/** Configs are loaded a few times per process at most; the bound only keeps reloads from growing it. */
const MAX_SECRETS = 1024;

/** Each registered secret (as written) and its forms, so the bound drops a secret with all of them. */
const registered = new Map<string, readonly string[]>();
/**
 * Every form of every registered secret, lower case, with the pattern that finds it in any case
 * (upstreams fold case) and how many secrets have that form; the hex forms are found by `HexEchoes`.
 */
const secrets = new Map<string, { pattern: RegExp; owners: number }>();

/** What finds registered secrets' forms, cut apart or in look-alikes too (`echoes`). */
interface Echoes {
  /** The forms (`secrets` keys) looked for as they are: all but hex. */
  plain: string[];
  /** Each form that is hex, written whole or with separators or prefixes between its bytes. */
  hex: HexEchoes;
  /** The forms that lines of base64 (or hex, cut mid-byte) can hold: only base64 characters. */
  lines: string[];
  /** Each secret folded (`foldedLower`), looked for in text outside ASCII folded alike. */
  folded: string[];
}

/** Worked out from `registered` when a scrub first needs it after a change. */
let echoIndex: Echoes | undefined;

const HEX_DIGITS = /^(?:[0-9a-f]{2})+$/;
const BASE64_TEXT = /^[a-z0-9+/]+$/;

function echoes(): Echoes {
  if (echoIndex) return echoIndex;
  const plain = new Set<string>();
  const hex = new Set<string>();
  const lines = new Set<string>();
  const folded = new Set<string>();
  for (const [value, forms] of registered) {
    for (const form of forms) {
      if (HEX_DIGITS.test(form)) hex.add(form);
      else plain.add(form);
      if (BASE64_TEXT.test(form)) lines.add(form);
    }
    const reads = foldedLower(value);
    if (reads.length >= MIN_SECRET_LENGTH) folded.add(reads);
  }
  echoIndex = { plain: [...plain], hex: new HexEchoes(hex), lines: [...lines], folded: [...folded] };
  return echoIndex;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Adds a configured secret value to what `scrub` removes, in any letter case, with the forms an
 * upstream or a proxy may echo it in, all worked out here once: URL-encoded; hex of its UTF-8 bytes;
 * base64 of them (standard and URL-safe) at each of the three byte alignments, so it is found inside
 * the base64 of a longer text (`user:secret`, `token=secret`), less the characters its neighbours
 * share; and its folded form (`fold`) for text written with look-alikes (full-width, Cyrillic, Greek).
 * The hex and base64 forms are also found cut apart (`secret-echoes.ts`: bytes with separators or
 * prefixes between them, lines).
 */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  forget(value);
  const forms = new Map<string, string>();
  for (const form of secretForms(value)) if (form.length >= MIN_SECRET_LENGTH) forms.set(form.toLowerCase(), form);
  registered.set(value, [...forms.keys()]);
  for (const [lower, form] of forms) {
    const known = secrets.get(lower);
    if (known) known.owners += 1;
    else secrets.set(lower, { pattern: new RegExp(escapeRegExp(form), 'gi'), owners: 1 });
  }
  echoIndex = undefined;
  while (registered.size > MAX_SECRETS) forget(registered.keys().next().value as string);
}

/** Drops a registered secret and the forms no other secret has. */
function forget(value: string): void {
  const forms = registered.get(value);
  if (forms === undefined) return;
  registered.delete(value);
  echoIndex = undefined;
  for (const form of forms) {
    const known = secrets.get(form);
    if (known && --known.owners === 0) secrets.delete(form);
  }
}

/** True when `value` is a configured secret `scrub` removes (registered, long enough), or one of its forms. */
export function isRegisteredSecret(value: string): boolean {
  return secrets.has(value.toLowerCase());
}

/** True when any secret is registered. */
export function hasSecrets(): boolean {
  return secrets.size > 0;
}

const NOT_ASCII = /[\u0080-\uFFFF]/;

/**
 * `text` with every stretch that any registered secret covers replaced once: where a form of it is
 * written, and where reading the text back reveals one: hex with separators or prefixes between its
 * bytes (`HexEchoes`), base64 cut into lines (`lineEchoes`) and, for text outside ASCII, the text
 * folded (`foldedLower`: look-alike letters, dashes). What a reading finds is replaced where it stands
 * in `text`, so the text around it is shown as written.
 */
export function withoutSecrets(text: string): string {
  const found = echoes();
  const spans = secretSpans(text, found.plain);
  const hex = found.hex.read(text);
  for (const span of hex.spans) spans.push(span);
  if (hex.cut) for (const span of dumpEchoes(text, found.hex)) spans.push(span);
  for (const view of lineEchoes(text)) for (const [start, end] of secretSpans(view.text, found.lines)) spans.push(view.origin(start, end));
  if (NOT_ASCII.test(text)) foldedSpans(text, found.folded, spans);
  return redacted(text, spans);
}

/**
 * Adds to `spans` where each secret in `folded` is written in look-alikes. The view of where each
 * folded character came from is built only for text that holds one.
 */
function foldedSpans(text: string, folded: readonly string[], spans: Span[]): void {
  const found = foldedMatches(text, folded);
  if (found.length === 0) return;
  const view = foldedView(text);
  for (const [start, end] of found) spans.push(view.origin(start, end));
}

/**
 * Where in `text` any of the forms `keys` names (lower case, registered) is written, overlapping
 * occurrences too. All are found before any is replaced: replacing one secret at a time let a secret
 * that is the start of another (`key-a` and `key-azure`) or overlaps it cut the other's match short,
 * and the rest of it (`zure`) went out.
 */
function secretSpans(text: string, keys: Iterable<string>): Span[] {
  const lower = text.toLowerCase();
  const spans: Span[] = [];
  for (const secret of keys) {
    const pattern = lower.includes(secret) ? secrets.get(secret)?.pattern : undefined;
    if (pattern === undefined) continue;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      spans.push([m.index, m.index + m[0].length]);
      // Overlapping occurrences too (`abab` in `ababab`).
      pattern.lastIndex = m.index + 1;
    }
  }
  return spans;
}

/** `text` with each stretch that `spans` cover, joined where they touch or overlap, replaced once. */
function redacted(text: string, spans: Span[]): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let from = 0;
  for (let i = 0; i < spans.length; ) {
    const start = (spans[i] as Span)[0];
    let end = (spans[i++] as Span)[1];
    while (i < spans.length && (spans[i] as Span)[0] <= end) end = Math.max(end, (spans[i++] as Span)[1]);
    out += text.slice(from, start) + REDACTED;
    from = end;
  }
  return out + text.slice(from);
}
