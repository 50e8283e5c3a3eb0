/**
 * A list-member with the optional whitespace around it: a key (W3C Trace Context level 2: a lowercase
 * letter or digit, then up to 255 of `a-z 0-9 _ - * / @`), `=`, and a value of up to 256 printable
 * ASCII characters but `,` and `=`, not ending in a space (trailing spaces are whitespace, not value).
 */
const MEMBER = /^[ \t]*([a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])[ \t]*$/;
const BLANK = /^[ \t]*$/;
const MAX_MEMBERS = 32;
/** What we forward at most: the 512 characters the spec asks every participant to propagate. */
const MAX_FORWARDED = 512;
/** Entries the spec asks to drop first when a header must be shortened. */
const LONG_MEMBER = 128;
/**
 * Longer than 32 members of 513 characters, their commas and generous whitespace: not a header any
 * tracer writes. Dropped unread, so a hostile client cannot make us split a huge string per request.
 */
const MAX_RECEIVED = 32 * 513 + 31 * 3;

/**
 * The `tracestate` to forward with a `traceparent` we continue (only call it when that parsed), or
 * undefined. Repeated fields are combined in order; blank members and whitespace are dropped. The whole
 * header is dropped when any member breaks the grammar, or past 32 members. A valid header over 512
 * characters loses whole members (those over 128 characters first, then from the right) until it fits.
 * Duplicate keys are passed on as they came (the spec lets a participant that does not own them).
 */
export function parseTracestate(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const combined = typeof header === 'string' ? header : header.join(',');
  if (combined.length === 0 || combined.length > MAX_RECEIVED) return undefined;
  const members: string[] = [];
  let length = -1;
  for (const field of combined.split(',')) {
    const m = MEMBER.exec(field);
    if (m === null) {
      if (BLANK.test(field)) continue;
      return undefined;
    }
    if (members.length === MAX_MEMBERS) return undefined;
    const member = m[1] as string;
    members.push(member);
    length += member.length + 1;
  }
  if (members.length === 0) return undefined;
  return length <= MAX_FORWARDED ? members.join(',') : shorten(members, length);
}

/** Whole members removed until `members` fit in 512 characters, as the spec orders; undefined when none is left. */
function shorten(members: string[], length: number): string | undefined {
  for (let i = members.length - 1; i >= 0 && length > MAX_FORWARDED; i--) {
    const m = members[i] as string;
    if (m.length > LONG_MEMBER) {
      members.splice(i, 1);
      length -= m.length + 1;
    }
  }
  while (length > MAX_FORWARDED) length -= (members.pop() as string).length + 1;
  return members.length === 0 ? undefined : members.join(',');
}
