import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/types.js';

/** Fields that change how an answer is delivered, not what it says: a streamed request may replay a plain answer. */
const DELIVERY = new Set(['stream', 'stream_options']);

/** JSON with object keys sorted, so two clients' spellings of one request hash alike. */
function stable(value: unknown, top: boolean): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => stable(v, false)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && !(top && DELIVERY.has(k)))
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(record[k], false)}`).join(',')}}`;
}

/**
 * The cache key of a request: a hash of the request after the group's policy was applied (so a policy
 * change misses), the group or deployment it was asked of, and the caller's scope (its team, else its
 * key), so one team never receives another's cached answer.
 */
export function cacheKey(request: ChatRequest, target: string, scope: string): string {
  return createHash('sha256').update(`${scope}\n${target}\n`).update(stable(request, true)).digest('base64url');
}

/** The scope a caller's cached answers are shared within: its team, else its API key, else everyone (no keys). */
export function cacheScope(tags: Readonly<Record<string, string>>): string {
  if (tags.team !== undefined) return `team:${tags.team}`;
  return tags.key !== undefined ? `key:${tags.key}` : '*';
}
