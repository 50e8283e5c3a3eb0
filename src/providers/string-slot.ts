/** Learning gives up after this many chunks that never confirmed a shape (one that changes every chunk). */
const MAX_TRIES = 8;

/**
 * Reads the one string that changes between a stream's otherwise identical JSON chunks (an OpenAI
 * chunk's `delta.content` token after token) without parsing the rest of each chunk again: parsing
 * them was the largest cost of relaying a stream.
 *
 * The decoder parses chunks as usual and tells `learn()` the value a chunk's part carried. A shape is
 * trusted only after two chunks that are the same text before and after that value's JSON string, and
 * whose parsed values differ. The value then comes from that token and nothing else does: all else
 * is text both chunks share, so had the token sat anywhere but where a value starts (inside another
 * string, say), both values would have come from shared text and been equal. From then on `read()`
 * answers for chunks of that shape whose middle is one JSON string; anything else is parsed as usual.
 */
export class StringSlot {
  private prefix: string | undefined;
  private suffix = '';
  private candidate: { prefix: string; suffix: string; value: string } | undefined;
  private tries = 0;

  /** The string in the slot when `data` has the learned shape; undefined: parse `data` as usual. */
  read(data: string): string | undefined {
    const prefix = this.prefix;
    if (prefix === undefined) return undefined;
    const suffix = this.suffix;
    return fits(data, prefix, suffix) ? stringToken(data, prefix.length, data.length - suffix.length) : undefined;
  }

  /** Tells the slot that `data`, parsed the usual way, made one part carrying `value` and nothing else. */
  learn(data: string, value: string): void {
    if (this.tries >= MAX_TRIES) return;
    const seen = this.candidate;
    if (seen !== undefined && fits(data, seen.prefix, seen.suffix)) {
      if (value === seen.value) return; // The same value twice proves nothing: wait for another.
      if (stringToken(data, seen.prefix.length, data.length - seen.suffix.length) === value) {
        this.prefix = seen.prefix;
        this.suffix = seen.suffix;
        this.candidate = undefined;
        this.tries = 0;
        return;
      }
    }
    this.tries += 1;
    const token = JSON.stringify(value);
    const at = data.lastIndexOf(token);
    // Not found: the upstream escapes differently from JSON.stringify (`\u00e9`); the next chunk may not.
    this.candidate = at === -1 ? undefined : { prefix: data.slice(0, at), suffix: data.slice(at + token.length), value };
  }
}

/**
 * Whether `data` is `prefix`, at least a two-character middle, then `suffix`. Not `startsWith`: on
 * Node 20 it compares a string it cannot see at compile time char by char, 5-7 ns a char, where a
 * slice compared with `===` is a memory compare (a 172-char prefix: ~500 ns against ~40).
 */
function fits(data: string, prefix: string, suffix: string): boolean {
  return data.length - prefix.length - suffix.length >= 2 && data.slice(0, prefix.length) === prefix && data.endsWith(suffix);
}

/**
 * The value of `data[start, end)` when that is exactly one JSON string token, quote to quote (no
 * whitespace around it: the proof in `StringSlot` relies on the token starting the slot), else
 * undefined. A string without escapes is sliced out as is.
 */
function stringToken(data: string, start: number, end: number): string | undefined {
  const last = end - 1;
  if (data.charCodeAt(start) !== 34 || data.charCodeAt(last) !== 34 || last === start) return undefined;
  if (isPlainStringBody(data, start + 1, last)) return data.slice(start + 1, last);
  let value: unknown;
  try {
    value = JSON.parse(data.slice(start, end));
  } catch {
    return undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether `data[start, end)` holds no quote, backslash or raw control character: between two quotes it
 * is then one JSON string whose value is that text as is. Anything else is for JSON.parse to decide.
 */
export function isPlainStringBody(data: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = data.charCodeAt(i);
    if (c === 34 || c === 92 || c < 32) return false;
  }
  return true;
}

/** What `StringSlots.read` found: the shape's sample and the string in its slot. */
export interface SlotHit<S> {
  readonly sample: S;
  readonly value: string;
}

/**
 * The shapes one stream learns, a StringSlot each, told apart by a sample of what they decode to (a
 * part kind, a block index): text, reasoning and a tool's arguments cover nearly every chunk, so a
 * handful are kept, the first come.
 */
export class StringSlots<S> {
  private readonly slots: Array<{ readonly sample: S; readonly strings: StringSlot }> = [];
  /** Reused by every read: a hit is consumed at once, so reading allocates nothing. */
  private readonly hit: { sample: S | undefined; value: string } = { sample: undefined, value: '' };

  constructor(
    private readonly max: number,
    private readonly same: (a: S, b: S) => boolean,
  ) {}

  /** The learned shape `data` has and the string in its slot, valid until the next read; undefined: parse `data`. */
  read(data: string): SlotHit<S> | undefined {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as (typeof slots)[number];
      const value = slot.strings.read(data);
      if (value === undefined) continue;
      this.hit.sample = slot.sample;
      this.hit.value = value;
      return this.hit as SlotHit<S>;
    }
    return undefined;
  }

  /** Tells the shape of `sample`'s kind that `data`, parsed the usual way, decoded to `sample` alone, carrying `value`. */
  learn(data: string, sample: S, value: string): void {
    let slot = this.slots.find((s) => this.same(s.sample, sample));
    if (!slot) {
      if (this.slots.length === this.max) return;
      slot = { sample, strings: new StringSlot() };
      this.slots.push(slot);
    }
    slot.strings.learn(data, value);
  }
}

/**
 * `data`, one JSON object's text, without its last member when that member is `member` (`,"name":"`)
 * with a plain string value closing the object; `data` itself otherwise. Providers pad each stream
 * chunk with random characters against length side channels (OpenAI's `obfuscation`, Bedrock's
 * `p`); nothing reads them, and without them a stream's chunks keep one shape for StringSlot. Only a
 * member that closes the object is taken, and only when its value has no quote, backslash or control
 * character: the `"` after the comma then starts a key (a string there could only be followed by
 * `:`), its value is one string, and the last `}` closes the object itself, so the rest parses as the
 * whole would, that member aside.
 */
export function withoutPadding(data: string, member: string): string {
  const end = data.length - 2;
  if (end < member.length || data.charCodeAt(end + 1) !== 125 /* } */ || data.charCodeAt(end) !== 34 /* " */) return data;
  // A plain value holds no quote: the last one before its end opens it. Found from the end, so a chunk
  // without the member costs a few characters' scan, not the whole chunk's (Azure sends none).
  const open = data.lastIndexOf('"', end - 1);
  const at = open + 1 - member.length;
  return at >= 0 && data.slice(at, open + 1) === member && isPlainStringBody(data, open + 1, end) ? `${data.slice(0, at)}}` : data;
}
