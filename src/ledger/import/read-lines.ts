import type { UsageEvent } from '../event.js';
import { eventFromLine } from '../journal-line.js';

/** The keys a usage event is logged under: the stdout store's, and a serverless flush's copies. */
const WRAPPERS = ['switchyard_usage', 'switchyard_unstored_usage'] as const;
/** Fields a log platform puts a log line's own text in (Cloud Logging, App Insights, CloudWatch exports). */
const TEXT_FIELDS = ['textPayload', 'message', 'msg'] as const;

const STRINGS = ['id', 'day', 'requestId', 'operation', 'role', 'deployment', 'provider', 'model', 'status'] as const;
const COUNTS = ['ts', 'attempt', 'promptTokens', 'completionTokens', 'cachedReadTokens', 'cachedWriteTokens', 'reasoningTokens', 'totalTokens', 'latencyMs'] as const;

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

/** The usage event value in a parsed line, looked for one text field deep. */
function usageIn(value: unknown, depth: number): unknown {
  if (Array.isArray(value)) return depth === 0 && typeof value[0] === 'string' ? value : undefined;
  if (!isObject(value)) return undefined;
  for (const key of WRAPPERS) if (key in value) return value[key];
  if (isObject(value.jsonPayload)) return usageIn(value.jsonPayload, depth);
  if (depth === 0) {
    for (const key of TEXT_FIELDS) {
      const text = value[key];
      if (typeof text !== 'string' || !text.includes('switchyard_')) continue;
      const read = readUsageLine(text);
      if (read.kind === 'event') return read.event;
    }
    // A spill file's line: the keyed event itself.
    if (typeof value.id === 'string' && typeof value.deployment === 'string') return value;
  }
  return undefined;
}

/** Why an event cannot be a ledger row, or undefined. */
function problemOf(event: UsageEvent): string | undefined {
  const e = event as unknown as Json;
  for (const f of STRINGS) if (typeof e[f] !== 'string' || e[f] === '') return `${f} is not a string`;
  for (const f of COUNTS) {
    const n = e[f];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return `${f} is not a count`;
  }
  if (e.costUsd !== undefined && e.costUsd !== null && (typeof e.costUsd !== 'number' || !Number.isFinite(e.costUsd) || e.costUsd < 0)) return 'costUsd is not an amount';
  if (!isObject(e.tags)) return 'tags is not an object';
  return undefined;
}
