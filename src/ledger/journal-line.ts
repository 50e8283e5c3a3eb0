import { isObject } from '../core/json.js';
import type { UsageEvent } from './event.js';

/**
 * An event's ledger row: its values in column order (`LEDGER_FIELDS`), ready for SQL: unset values are
 * null, tags JSON text, flags 0 or 1. The SQL stores insert it as is, and a journal line is this row as
 * JSON, so a batch goes to the SQLite writer as the journal's own text, parsed there, off the event loop.
 */
export function ledgerRow(e: UsageEvent): unknown[] {
  return [
    e.id, e.ts, e.day, e.requestId, e.attempt, e.operation, e.role, e.keyId ?? null, e.team ?? null, e.user ?? null,
    JSON.stringify(e.tags), e.group ?? null, e.deployment, e.provider, e.model, e.region ?? null, e.promptTokens,
    e.completionTokens, e.cachedReadTokens, e.cachedWriteTokens, e.reasoningTokens, e.totalTokens, e.costUsd ?? null,
    e.usageEstimated ? 1 : 0, e.latencyMs, e.ttftMs ?? null, e.status, e.errorKind ?? null, e.cacheHit === true ? 1 : 0, e.savedUsd ?? null,
    // An event built by hand without the one-hour count (bench/ledger-growth.mjs) stores 0, as the column's default would.
    e.quotaHeadroom ?? null, e.cachedWrite1hTokens ?? 0,
  ];
}

/** The event fields of a row, in its order; the SQL stores' columns follow the same order. */
export const LEDGER_FIELDS = [
  'id', 'ts', 'day', 'requestId', 'attempt', 'operation', 'role', 'keyId', 'team', 'user', 'tags', 'group', 'deployment', 'provider',
  'model', 'region', 'promptTokens', 'completionTokens', 'cachedReadTokens', 'cachedWriteTokens', 'reasoningTokens', 'totalTokens',
  'costUsd', 'usageEstimated', 'latencyMs', 'ttftMs', 'status', 'errorKind', 'cacheHit', 'savedUsd', 'quotaHeadroom',
  // Fields added later go last: a row written before them is a prefix, read with their defaults.
  'cachedWrite1hTokens',
] as const satisfies ReadonlyArray<keyof UsageEvent>;

/** Present on an event only when set (see UsageEvent). */
const OPTIONAL = new Set<string>(['cacheHit', 'savedUsd', 'quotaHeadroom']);

/** The journal line of an event, newline included: its row as one JSON array, half the bytes of the keyed object. */
export function journalLine(e: UsageEvent): string {
  return `${JSON.stringify(ledgerRow(e))}\n`;
}

/**
 * The event of a parsed journal or spill line: a row written by `journalLine`, a row of the earlier
 * array lines (tags as an object, flags as booleans; before the one-hour cache-write count, one value
 * shorter), or a keyed object (spill files, older journals, log copies). Written before the one-hour
 * count existed, a line has none: 0, as the column's default gives the rows stored then.
 */
export function eventFromLine(parsed: unknown): UsageEvent {
  if (!Array.isArray(parsed)) {
    if (isObject(parsed) && parsed.cachedWrite1hTokens === undefined) return { ...parsed, cachedWrite1hTokens: 0 } as unknown as UsageEvent;
    return parsed as UsageEvent;
  }
  const event: Record<string, unknown> = {};
  LEDGER_FIELDS.forEach((field, i) => {
    let value: unknown = parsed[i] ?? undefined;
    if (field === 'tags' && typeof value === 'string') value = JSON.parse(value) as unknown;
    else if (field === 'usageEstimated') value = value === true || value === 1;
    else if (field === 'cacheHit') value = value === true || value === 1 ? true : undefined;
    else if (field === 'cachedWrite1hTokens') value ??= 0;
    if (value !== undefined || !OPTIONAL.has(field)) event[field] = value;
  });
  return event as unknown as UsageEvent;
}
