/**
 * What usage can be grouped by. `tag:NAME` groups by a free-form caller tag; `hour` by UTC hour
 * (`2026-12-06T02:00Z`); `error` by the failed attempts' error kind, `ok` for the others.
 */
export const DIMENSIONS = ['provider', 'model', 'deployment', 'region', 'key', 'team', 'user', 'group', 'day', 'hour', 'status', 'error', 'operation', 'role'] as const;
export type BaseDimension = (typeof DIMENSIONS)[number];
export type Dimension = BaseDimension | `tag:${string}`;

/** Equality filters on the same dimensions. */
export type UsageFilter = Partial<Record<BaseDimension, string>>;

export interface UsageQuery {
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  groupBy: readonly Dimension[];
  filter?: UsageFilter;
  /** Leave out cache hits' rows: only what upstreams served (what a provisioned deployment's capacity carried). */
  upstreamOnly?: boolean;
  /**
   * Read at most this many groups (which ones is unspecified): a caller that refuses answers wider than
   * N asks for N + 1, so the database hands over no more than that.
   */
  limit?: number;
  /** `request`: a request waits for this summary (budget seeding), so it is read apart from reports (`ReadOptions`). */
  lane?: 'request' | 'report';
}

/** One group of a usage summary. */
export interface UsageRow {
  keys: Record<string, string | null>;
  requests: number;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  cachedReadTokens: number;
  cachedWriteTokens: number;
  /** The part of `cachedWriteTokens` written to a one-hour prompt cache (priced above the five-minute one). */
  cachedWrite1hTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  /** Sum over priced attempts. */
  costUsd: number;
  /** Requests answered from the response cache, and what those answers would have cost. */
  cacheHits: number;
  savedUsd: number;
  /** Attempts with usage but no known price: their cost is missing from `costUsd`. */
  unpricedAttempts: number;
  estimatedAttempts: number;
  errors: number;
  /** The lowest provider-quota headroom (0..1) any attempt saw; absent when none went to a deployment with a quota. */
  minQuotaHeadroom?: number;
}

const TAG = /^tag:([A-Za-z0-9_.-]+)$/;

/**
 * The most dimensions one query groups by: every base dimension and a few tags. Each is a column of the
 * SQL statement, and GET /v1/switchyard/usage takes the list from any key's query string, so without a
 * bound a long list is a statement past the database's column limit (an internal error) or a costly one.
 */
export const MAX_DIMENSIONS = 16;

/**
 * A date or group-by the parsers refuse. `message` quotes the text for a person at a terminal (the
 * CLI); `unquoted` says the same without it, for an HTTP answer: a key pasted into a query string
 * must not come back in an error that client and proxy logs keep.
 */
export class QueryTextError extends Error {
  constructor(
    message: string,
    readonly unquoted: string,
  ) {
    super(message);
  }
}

/**
 * Parses a comma-separated group-by list, rejecting unknown dimensions with the list of valid ones, a
 * dimension named twice (a row's `keys` holds one value per name) and more than `MAX_DIMENSIONS`.
 */
export function parseDimensions(text: string | undefined): Dimension[] {
  if (!text) return [];
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length > MAX_DIMENSIONS) {
    const message = `group by at most ${MAX_DIMENSIONS} dimensions; ${names.length} were given`;
    throw new QueryTextError(message, message);
  }
  const seen = new Set<string>();
  return names.map((s) => {
    if (seen.has(s)) throw new QueryTextError(`group-by "${s}" is named twice`, 'a group-by is named twice');
    seen.add(s);
    if ((DIMENSIONS as readonly string[]).includes(s)) return s as BaseDimension;
    if (s === 'tag') throw new QueryTextError('group by tag needs a tag name: tag:NAME (e.g. tag:project)', 'group by tag needs a tag name: tag:NAME (e.g. tag:project)');
    if (TAG.test(s)) return s as `tag:${string}`;
    const expected = `expected ${DIMENSIONS.join(', ')} or tag:NAME`;
    throw new QueryTextError(`unknown group-by "${s}"; ${expected}`, `a group-by is none of these; ${expected}`);
  });
}

/** A calendar date, optionally with a time of day and its offset (Z or ±HH:MM): the forms `parseTime` takes. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
const EXPECTED_TIME = 'expected YYYY-MM-DD or an ISO 8601 time with Z or an offset (2025-06-01T12:00:00Z)';

/**
 * Parses YYYY-MM-DD (UTC midnight) or an ISO 8601 time with Z or an offset; `endOfDay` makes a bare
 * date inclusive of that day. Nothing else: Date.parse took "5" as 2001-05-01, "June 1" as a local
 * time and 2025-02-30 as March 2, so a typo reported the wrong days as if they were asked for.
 */
export function parseTime(text: string, endOfDay = false): number {
  const m = ISO_TIME.exec(text);
  if (!m) throw new QueryTextError(`invalid date "${text}"; ${EXPECTED_TIME}`, `not a date; ${EXPECTED_TIME}`);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  // Not Date.UTC: it reads years 0-99 as 1900-1999, so 0001-01-01 came back as 1901 and was called no such day.
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  // Date.UTC rolls an impossible day or time over (Feb 30 → Mar 2): only one that comes back whole exists.
  const whole = utc.getUTCFullYear() === year && utc.getUTCMonth() + 1 === month && utc.getUTCDate() === day && utc.getUTCHours() === hour && utc.getUTCMinutes() === minute && utc.getUTCSeconds() === second;
  const offset = m[8] === undefined ? 0 : offsetMs(m[8]);
  if (!whole || offset === undefined) throw new QueryTextError(`invalid date "${text}": no such day or time; ${EXPECTED_TIME}`, `no such day or time; ${EXPECTED_TIME}`);
  if (m[4] === undefined) return endOfDay ? utc.getTime() + 86_400_000 : utc.getTime();
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  return utc.getTime() + fraction - offset;
}

/** A `Z`, `+02:00` or `-0530` offset in ms east of UTC; undefined past ±23:59. */
function offsetMs(text: string): number | undefined {
  if (text.toUpperCase() === 'Z') return 0;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return undefined;
  return (text.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

export function tagOf(d: Dimension): string | undefined {
  return TAG.exec(d)?.[1];
}
