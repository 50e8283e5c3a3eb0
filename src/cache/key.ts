import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/types.js';

/**
 * Names the shape of what is hashed: the canonical request since the neutral core. Entries stored under
 * keys of an older shape are never looked up again (and expire).
 */
const KEY_VERSION = 'v2';

/**
 * JSON with object keys sorted and absent (undefined) fields left out, so two front doors' spellings of
 * one canonical request (providerOptions, passthrough and reasoning included) hash alike. The canonical
 * request says nothing of delivery, so a streamed request replays a plain answer and back.
 */
function stable(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(record[k])}`).join(',')}}`;
}

/**
 * The cache key of a request: a hash of the request after the group's policy was applied (so a policy
 * change misses), the group or deployment it was asked of, and the caller's scope (its team, else its
 * key), so one team never receives another's cached answer.
 */
export function cacheKey(request: ChatRequest, target: string, scope: string): string {
  return createHash('sha256').update(`${KEY_VERSION}\n${scope}\n${target}\n`).update(stable(request)).digest('base64url');
}

/** The scope a caller's cached answers are shared within: its team, else its API key, else everyone (no keys). */
export function cacheScope(tags: Readonly<Record<string, string>>): string {
  if (tags.team !== undefined) return `team:${tags.team}`;
  return tags.key !== undefined ? `key:${tags.key}` : '*';
}
