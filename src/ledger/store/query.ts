/** What usage can be grouped by. `tag:NAME` groups by a free-form caller tag. */
export const DIMENSIONS = ['provider', 'model', 'deployment', 'region', 'key', 'team', 'user', 'group', 'day', 'status', 'operation', 'role'] as const;
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

/** Parses YYYY-MM-DD (UTC midnight) or an ISO time; `endOfDay` makes a bare date inclusive of that day. */
export function parseTime(text: string, endOfDay = false): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const t = Date.parse(`${text}T00:00:00Z`);
    if (!Number.isNaN(t)) return endOfDay ? t + 86_400_000 : t;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new QueryTextError(`invalid date "${text}"; expected YYYY-MM-DD or an ISO 8601 time`, 'not a date; expected YYYY-MM-DD or an ISO 8601 time');
  return t;
}

export function tagOf(d: Dimension): string | undefined {
  return TAG.exec(d)?.[1];
}
