import { GatewayError, SERVER_SHUTDOWN_CODE } from '../core/errors.js';
import type { AttemptRecord, AttemptRole, Operation } from '../core/events.js';
import type { CostResult } from './pricing/price-book.js';

/** One ledger row: a single upstream attempt with its tokens and cost. */
export interface UsageEvent {
  /**
   * `<start ms, 12 hex digits>:requestId:attempt` (plus `:shadow` for mirrored calls): replays never
   * double count, and the time prefix makes new keys land at the end of the primary-key index
   * instead of at a random page, so inserts cost the same at 5M rows as at 0.
   */
  id: string;
  /** When the attempt started, epoch ms. */
  ts: number;
  /** UTC day of `ts`, YYYY-MM-DD (a column, so grouping by day is the same SQL everywhere). */
  day: string;
  requestId: string;
  attempt: number;
  operation: Operation;
  role: AttemptRole;
  keyId: string | undefined;
  team: string | undefined;
  user: string | undefined;
  tags: Record<string, string>;
  group: string | undefined;
  deployment: string;
  provider: string;
  model: string;
  region: string | undefined;
  promptTokens: number;
  completionTokens: number;
  cachedReadTokens: number;
  cachedWriteTokens: number;
  /** The part of `cachedWriteTokens` written to a one-hour prompt cache (priced apart); 0 when none or not broken down. */
  cachedWrite1hTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  /** USD; undefined when the model has no known price (unpriced, never silently zero). */
  costUsd: number | undefined;
  usageEstimated: boolean;
  latencyMs: number;
  ttftMs: number | undefined;
  status: AttemptRecord['outcome'];
  /** The error's kind; `server_shutdown` for an attempt the gateway cancelled itself (`storedErrorKind`). */
  errorKind: string | undefined;
  /** Answered from the response cache: `costUsd` is 0 and `savedUsd` what the answer would have cost. */
  cacheHit?: boolean;
  savedUsd?: number | undefined;
  /** The deployment's provider-quota headroom (0..1) after this attempt; undefined without a quota. */
  quotaHeadroom?: number | undefined;
}

const DAY_MS = 86_400_000;
// The last day formatted: nearly every event falls on it, so the string is built once a day.
let dayStart = 0;
let dayText = '1970-01-01';

/** UTC calendar day of an epoch-ms time. */
export function utcDay(ts: number): string {
  if (ts >= dayStart && ts < dayStart + DAY_MS) return dayText;
  const text = new Date(ts).toISOString().slice(0, 10);
  if (Number.isFinite(ts)) {
    dayStart = ts - (((ts % DAY_MS) + DAY_MS) % DAY_MS);
    dayText = text;
  }
  return text;
}

/** The time-ordered event id of an attempt (see `UsageEvent.id`). */
export function eventId(record: Pick<AttemptRecord, 'startedAt' | 'requestId' | 'attempt' | 'role'>): string {
  const start = Math.max(0, Math.floor(record.startedAt)).toString(16).padStart(12, '0');
  return `${start}:${record.requestId}:${record.attempt}${record.role === 'shadow' ? ':shadow' : ''}`;
}

/**
 * What the ledger stores of an attempt's error: its kind, but `server_shutdown` for a cancellation the
 * runtime made itself at a drain's deadline, which would otherwise read `cancelled` as a client's
 * leaving does. That cancellation's cause is the 503 its client is told, marked `SERVER_SHUTDOWN_CODE`.
 */
export function storedErrorKind(error: GatewayError | undefined): string | undefined {
  if (error === undefined) return undefined;
  if (error.kind !== 'cancelled') return error.kind;
  const cause: unknown = error.cause;
  return GatewayError.isInstance(cause) && cause.code === SERVER_SHUTDOWN_CODE ? SERVER_SHUTDOWN_CODE : 'cancelled';
}

/** Builds the ledger event of an attempt record and its cost (for a cache hit: the cost it saved). */
export function toUsageEvent(record: AttemptRecord, cost: CostResult): UsageEvent {
  const u = record.usage;
  const tags = record.tags;
  const event: UsageEvent = {
    id: eventId(record),
    ts: record.startedAt,
    day: utcDay(record.startedAt),
    requestId: record.requestId,
    attempt: record.attempt,
    operation: record.operation,
    role: record.role,
    keyId: tags.key,
    team: tags.team,
    user: tags.user,
    tags: { ...tags },
    group: record.group,
    deployment: record.deployment,
    provider: record.provider,
    model: record.model,
    region: record.region,
    promptTokens: u?.prompt ?? 0,
    completionTokens: u?.completion ?? 0,
    cachedReadTokens: u?.cachedRead ?? 0,
    cachedWriteTokens: u?.cachedWrite ?? 0,
    cachedWrite1hTokens: u?.cachedWrite1h ?? 0,
    reasoningTokens: u?.reasoning ?? 0,
    totalTokens: u?.total ?? 0,
    costUsd: cost.usd,
    usageEstimated: record.usageEstimated,
    latencyMs: Math.max(0, Math.round(record.latencyMs)),
    ttftMs: record.ttftMs === undefined ? undefined : Math.max(0, Math.round(record.ttftMs)),
    status: record.outcome,
    errorKind: storedErrorKind(record.error),
  };
  if (record.quotaHeadroom !== undefined) event.quotaHeadroom = record.quotaHeadroom;
  if (record.cacheHit === true) {
    event.cacheHit = true;
    event.costUsd = 0;
    event.savedUsd = cost.usd;
  }
  return event;
}
