import { tokenCount } from '../../core/types.js';
import { utcDay, type UsageEvent } from '../event.js';
import { eventFromLine } from '../journal-line.js';

/** The keys a usage event is logged under: the stdout store's, and a serverless flush's copies. */
const WRAPPERS = ['switchyard_usage', 'switchyard_unstored_usage'] as const;
/** Fields a log platform puts a log line's own text in (Cloud Logging, App Insights, CloudWatch exports). */
const TEXT_FIELDS = ['textPayload', 'message', 'msg'] as const;

const STRINGS = ['id', 'day', 'requestId', 'operation', 'role', 'deployment', 'provider', 'model', 'status'] as const;
const OPTIONAL_STRINGS = ['keyId', 'team', 'user', 'group', 'region', 'errorKind'] as const;
const TOKENS = ['promptTokens', 'completionTokens', 'cachedReadTokens', 'cachedWriteTokens', 'cachedWrite1hTokens', 'reasoningTokens', 'totalTokens'] as const;
/** No single attempt costs this much: a larger figure is a corrupt line, not spend to bill. */
const MAX_USD = 1_000_000;

export type ReadLine = { kind: 'event'; event: UsageEvent } | { kind: 'other' } | { kind: 'malformed'; reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One line of a log export, spill file or journal segment: the usage event it carries, `other` for a
 * line that carries none (the rest of a function log), `malformed` for one that claims to and does not.
 * Accepted: `{"switchyard_usage": e}` / `{"switchyard_unstored_usage": e}`, with any prefix before the
 * JSON (CloudWatch's timestamp), under `jsonPayload` (Cloud Logging) or as the text of `textPayload`
 * / `message`; and the ledger's own lines (spill files: the keyed event; journals: its row array).
 */
export function readUsageLine(line: string): ReadLine {
  const start = line.search(/[[{]/);
  if (start === -1) return { kind: 'other' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(start));
  } catch {
    return line.includes('switchyard_') ? { kind: 'malformed', reason: 'not JSON' } : { kind: 'other' };
  }
  const found = usageIn(parsed, 0);
  if (found === undefined) return { kind: 'other' };
  let event: UsageEvent;
  try {
    event = eventFromLine(found);
  } catch {
    return { kind: 'malformed', reason: 'not a ledger row' };
  }
  const problem = problemOf(event);
  return problem ? { kind: 'malformed', reason: problem } : { kind: 'event', event };
}

/** The usage event value in a parsed line: at its top, under `jsonPayload`, or in one text field. */
function usageIn(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return depth === 0 && typeof value[0] === 'string' ? value : undefined;
  if (!isObject(value)) return undefined;
  for (const key of WRAPPERS) if (key in value) return value[key];
  const payload = value.jsonPayload;
  if (isObject(payload)) for (const key of WRAPPERS) if (key in payload) return payload[key];
  if (depth === 0) {
    for (const key of TEXT_FIELDS) {
      const text = value[key];
      if (typeof text !== 'string' || !text.includes('switchyard_')) continue;
      const read = readUsageLine(text);
      if (read.kind === 'event') return read.event;
    }
    // A spill file's line: the keyed event itself (not any log line that happens to carry an id).
    if (typeof value.id === 'string' && typeof value.requestId === 'string' && typeof value.ts === 'number' && typeof value.deployment === 'string') return value;
  }
  return undefined;
}

const MAX_INT = 2 ** 31 - 1;
const isWhole = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isAmount = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max;
const isOptionalAmount = (v: unknown, max: number): boolean => v === undefined || v === null || isAmount(v, max);

/** Why an event cannot be a ledger row (as the gateway would have written it), or undefined. */
function problemOf(event: UsageEvent): string | undefined {
  const e = event as unknown as Json;
  if (!isObject(e)) return 'not an event';
  for (const f of STRINGS) if (typeof e[f] !== 'string' || e[f] === '') return `${f} is not a string`;
  for (const f of OPTIONAL_STRINGS) if (e[f] !== undefined && e[f] !== null && typeof e[f] !== 'string') return `${f} is not a string`;
  for (const f of TOKENS) if (tokenCount(e[f]) === undefined) return `${f} is not a count`;
  // A part of the cache writes: more would price writes that never happened at the one-hour rate.
  if ((e.cachedWrite1hTokens as number) > (e.cachedWriteTokens as number)) return 'cachedWrite1hTokens is more than cachedWriteTokens';
  if (typeof e.ts !== 'number' || !Number.isSafeInteger(e.ts) || e.ts < 0) return 'ts is not a time';
  if (e.day !== utcDay(e.ts)) return `day is not the UTC day of ts (${utcDay(e.ts)})`;
  // Within the columns' SQL types (attempt INTEGER, durations BIGINT): PostgreSQL refuses the rest.
  if (!isWhole(e.attempt, MAX_INT)) return 'attempt is not a count';
  if (!isWhole(e.latencyMs, Number.MAX_SAFE_INTEGER)) return 'latencyMs is not a duration';
  if (e.ttftMs !== undefined && e.ttftMs !== null && !isWhole(e.ttftMs, Number.MAX_SAFE_INTEGER)) return 'ttftMs is not a duration';
  if (!isOptionalAmount(e.costUsd, MAX_USD)) return 'costUsd is not an amount';
  if (!isOptionalAmount(e.savedUsd, MAX_USD)) return 'savedUsd is not an amount';
  if (!isOptionalAmount(e.quotaHeadroom, 1)) return 'quotaHeadroom is not a share';
  if (typeof e.usageEstimated !== 'boolean') return 'usageEstimated is not a boolean';
  if (e.cacheHit !== undefined && typeof e.cacheHit !== 'boolean') return 'cacheHit is not a boolean';
  if (!isObject(e.tags) || !Object.values(e.tags).every((v) => typeof v === 'string')) return 'tags is not an object of strings';
  return undefined;
}
