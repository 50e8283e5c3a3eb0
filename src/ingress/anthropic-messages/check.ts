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

/**
 * How the door takes an object's member: `read` by its decoder, or checked for its type and dropped (no
 * canonical home); `?` lets null stand for absent, as the API's optional members do.
 */
export type Member = 'read' | 'bool' | 'bool?' | 'str?' | 'list' | 'list?' | 'dict' | 'dict?';

/** The API's (pydantic's) words for a member of the wrong type. */
const WANTED = { bool: 'boolean', str: 'string', list: 'list', dict: 'dictionary' } as const;

function hasType(v: unknown, kind: keyof typeof WANTED): boolean {
  if (kind === 'bool') return typeof v === 'boolean';
  if (kind === 'str') return typeof v === 'string';
  if (kind === 'list') return Array.isArray(v);
  return isObject(v);
}

/**
 * An object's members as the Messages API checks them (its models forbid extras): one it does not know is
 * refused as `<at>.<key>: Extra inputs are not permitted`, one it knows but of the wrong type as
 * `<at>.<key>: Input should be a valid boolean` (list, dictionary, string). `at` is the API's own path,
 * which names a tagged union's member by its tag (`messages.0.content.1.text`, `tools.0.custom`).
 */
export function checkMembers(obj: Record<string, unknown>, members: ReadonlyMap<string, Member>, at: string): void {
  for (const key in obj) {
    const how = members.get(key);
    const param = `${at}.${key.slice(0, 64)}`;
    if (how === undefined) fail(param, 'Extra inputs are not permitted');
    if (how === 'read') continue;
    const value = obj[key];
    const nullable = how.endsWith('?');
    const kind = (nullable ? how.slice(0, -1) : how) as keyof typeof WANTED;
    if (!(value === null && nullable) && !hasType(value, kind)) fail(param, `Input should be a valid ${WANTED[kind]}`);
  }
}

/** The members of an object the decoder reads all of itself. */
export const readAll = (...names: string[]): ReadonlyMap<string, Member> => new Map(names.map((n) => [n, 'read']));

/**
 * The most tokens any count may ask for: far above every model's output limit (Claude's largest is
 * 128,000), low enough that a budget reservation or an estimate stays a sane number.
 */
export const MAX_COUNT = 10_000_000;

/**
 * A positive integer token count (max_tokens), each fault in the API's words. A count no model gives is
 * refused as the API refuses one above its model's limit (`max_tokens: N > M, which is the maximum
 * allowed number of output tokens for …`); the limit of the model the request is routed to is the
 * router's to apply (a deployment's `max_output_tokens`) or the upstream's.
 */
export function checkCount(v: unknown, param: string): number {
  if (v === undefined || v === null) fail(param, 'Field required');
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(param, 'Input should be a valid integer');
  if (!Number.isInteger(v)) fail(param, 'Input should be a valid integer, got a number with a fractional part');
  if (v < 1) fail(param, 'Input should be greater than or equal to 1');
  if (v > MAX_COUNT) fail(param, `${v} > ${MAX_COUNT}, which is the maximum allowed number of output tokens for any model behind Switchyard`);
  return v;
}

/** An integer of at least `min` (top_k, thinking.budget_tokens). */
export function int(v: unknown, param: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(param, `must be an integer of at least ${min}`);
  if (v > MAX_COUNT) fail(param, `must be at most ${MAX_COUNT}`);
  return v;
}

const CACHE_CONTROL = readAll('type', 'ttl');

/**
 * A block's `cache_control` (or the request's, `param` ''), as the canonical cache hint; undefined
 * when it has none.
 */
export function cacheControlOf(block: Record<string, unknown>, param: string): CacheControl | undefined {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return undefined;
  const at = param === '' ? 'cache_control' : `${param}.cache_control`;
  if (!isObject(cc) || cc.type !== 'ephemeral') fail(`${at}.type`, "must be 'ephemeral'");
  // The SDK's CacheControlEphemeral has these two members only: a `scope` (or a misspelt ttl) is refused, not dropped.
  checkMembers(cc, CACHE_CONTROL, at);
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') fail(`${at}.ttl`, "must be '5m' or '1h'");
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}
