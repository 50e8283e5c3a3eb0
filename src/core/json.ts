/** A JSON object (not null, not an array): what a decoder checks before reading fields. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A client's value for an error message: a string cut to `max` characters, a number or boolean as
 * written, anything else by its kind. Never `String(value)`: an object whose `toString` is not a
 * function makes that throw (a 500 where a 400 is due).
 */
export function echoed(value: unknown, max = 40): string {
  if (typeof value === 'string') return value.length > max ? `${value.slice(0, max)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * Nesting deeper than this is refused before parsing: code downstream walks request JSON recursively
 * (JSON.stringify among it). The body reader checks the body, and dialects the JSON a client sent as
 * text inside it (tool-call arguments).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when arrays and objects in a JSON text nest deeper than `limit`. A loop over the bytes, no
 * recursion and no allocation; strings are skipped with `indexOf` (memchr), so brackets inside them
 * do not count and prompt text costs little. Malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: Uint8Array, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === 0x22 /* " */) {
      let end = i;
      for (;;) {
        end = text.indexOf(0x22, end + 1);
        if (end === -1) return false;
        let k = end - 1;
        while (text[k] === 0x5c /* \ */) k--;
        if ((end - 1 - k) % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

const utf8 = new TextEncoder();

/**
 * `nestsDeeperThan` for JSON held in a string (tool-call arguments). Most hold a handful of brackets,
 * so the exact scan (on UTF-8 bytes, where brackets and quotes are the same single characters) runs
 * only for text with more than `limit` opening ones, strings' included (0.07 µs against 0.65 µs).
 */
export function textNestsDeeperThan(text: string, limit: number): boolean {
  let count = 0;
  for (const open of ['{', '[']) {
    for (let i = text.indexOf(open); i !== -1; i = text.indexOf(open, i + 1)) {
      if (++count > limit) return nestsDeeperThan(utf8.encode(text), limit);
    }
  }
  return false;
}
