import type { UsageEvent } from './event.js';

/**
 * A journal line holds an event's values as one JSON array in this order, not the keyed object: half
 * the bytes, and 0.6 µs less CPU per event on the request path (event, line and write: 2.3 against
 * 2.9 µs, 30k events, same run). `undefined` travels as `null`.
 */
const FIELDS = [
  'id', 'ts', 'day', 'requestId', 'attempt', 'operation', 'role', 'keyId', 'team', 'user', 'tags', 'group', 'deployment', 'provider',
  'model', 'region', 'promptTokens', 'completionTokens', 'cachedReadTokens', 'cachedWriteTokens', 'reasoningTokens', 'totalTokens',
  'costUsd', 'usageEstimated', 'latencyMs', 'ttftMs', 'status', 'errorKind', 'cacheHit', 'savedUsd', 'quotaHeadroom',
] as const satisfies ReadonlyArray<keyof UsageEvent>;

/** Present on an event only when set (see UsageEvent). */
const OPTIONAL = new Set<string>(['cacheHit', 'savedUsd', 'quotaHeadroom']);

/** The journal line of an event, newline included. Written out field by field: a loop over FIELDS costs more. */
export function journalLine(e: UsageEvent): string {
  return `${JSON.stringify([
    e.id, e.ts, e.day, e.requestId, e.attempt, e.operation, e.role, e.keyId, e.team, e.user, e.tags, e.group, e.deployment, e.provider,
    e.model, e.region, e.promptTokens, e.completionTokens, e.cachedReadTokens, e.cachedWriteTokens, e.reasoningTokens, e.totalTokens,
    e.costUsd, e.usageEstimated, e.latencyMs, e.ttftMs, e.status, e.errorKind, e.cacheHit, e.savedUsd, e.quotaHeadroom,
  ])}\n`;
}

/**
 * The event of a parsed journal or spill line: an array written by `journalLine`, or a keyed object
 * (spill files, and journals written before the array lines).
 */
export function eventFromLine(parsed: unknown): UsageEvent {
  if (!Array.isArray(parsed)) return parsed as UsageEvent;
  const event: Record<string, unknown> = {};
  FIELDS.forEach((field, i) => {
    const value: unknown = parsed[i] ?? undefined;
    if (value !== undefined || !OPTIONAL.has(field)) event[field] = value;
  });
  return event as unknown as UsageEvent;
}
