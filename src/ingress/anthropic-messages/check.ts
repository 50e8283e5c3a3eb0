import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import type { CacheControl } from '../../core/types.js';

/** A 400 invalid_request_error naming the parameter as Anthropic does (`messages.0.content`). */
export function fail(param: string, problem: string): never {
  throw new GatewayError({ kind: 'invalid_request', message: `${param}: ${problem}`, param, code: 'invalid_request' });
}

export function str(v: unknown, param: string): string {
  if (typeof v !== 'string') fail(param, 'must be a string');
  return v;
}

export function num(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(param, `must be a number between ${min} and ${max}`);
  return v;
}

/** A positive integer token count (max_tokens). */
export function checkCount(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000) fail(param, 'must be an integer of at least 1');
  return v;
}

/** An integer of at least `min` (top_k, thinking.budget_tokens). */
export function int(v: unknown, param: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 10_000_000) fail(param, `must be an integer of at least ${min}`);
  return v;
}

/**
 * A block's `cache_control` (or the request's, `param` ''), as the canonical cache hint; undefined
 * when it has none.
 */
export function cacheControlOf(block: Record<string, unknown>, param: string): CacheControl | undefined {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return undefined;
  const at = param === '' ? 'cache_control' : `${param}.cache_control`;
  if (!isObject(cc) || cc.type !== 'ephemeral') fail(`${at}.type`, "must be 'ephemeral'");
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') fail(`${at}.ttl`, "must be '5m' or '1h'");
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}
