import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/types.js';

/**
 * Names the shape of what is hashed: the canonical request since the neutral core. Entries stored under
 * keys of an older shape are never looked up again (and expire).
 */
const KEY_VERSION = 'v3';

/**
 * JSON with object keys sorted and absent (undefined) fields left out, so two front doors' spellings of
 * one canonical request (providerOptions, passthrough and reasoning included) hash alike. The canonical
 * request says nothing of delivery, so a streamed request replays a plain answer and back.
 */
export function stable(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(record[k])}`).join(',')}}`;
}

/**
 * What a request was asked of: its group, and its deployment when pinned or direct (no group); and the
 * caller's residency, since an answer made in the US must never be a hit for a caller bound to the EU
 * (the same group and team).
 */
export interface CacheTarget {
  group: string | undefined;
  deployment: string | undefined;
  residency: string | undefined;
}

/**
 * The cache key of a request: a hash of the request after the group's policy was applied (so a policy
 * change misses), the group or deployment it was asked of, the fingerprint of what the config says of
 * that route's answers (`RouteFingerprints`: a reload that changes its deployments misses), and the
 * caller's scope (its team, else its key), so one team never receives another's cached answer.
 */
export function cacheKey(request: ChatRequest, target: CacheTarget, scope: string, fingerprint: string): string {
  // JSON, not separators: names may hold any character (group `a/b` is not group `a` pinned to `b`).
  const about = JSON.stringify([KEY_VERSION, scope, target.group ?? null, target.deployment ?? null, target.residency ?? null, fingerprint]);
  return createHash('sha256').update(about).update('\n').update(stable(request)).digest('base64url');
}

/** The scope a caller's cached answers are shared within: its team, else its API key, else everyone (no keys). */
export function cacheScope(tags: Readonly<Record<string, string>>): string {
  if (tags.team !== undefined) return `team:${tags.team}`;
  return tags.key !== undefined ? `key:${tags.key}` : '*';
}
