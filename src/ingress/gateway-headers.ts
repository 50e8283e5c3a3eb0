import { GatewayError } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import type { CacheStatus, RequestOptions, ServedBy } from '../gateway/gateway.js';
import type { RouteContext } from '../http/route.js';
import { NO_HINTS, type BodyHints } from './body-hints.js';

/** The front doors, as the `ingress` tag every attempt carries into the ledger, metrics and budgets. */
export type IngressName = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

type Tags = Readonly<Record<string, string>>;

/** A caller's tags with the door added, made once per caller and door (callers' tag objects live as long as their keys). */
const tagged: Record<IngressName, WeakMap<Tags, Tags>> = { 'openai-chat': new WeakMap(), 'openai-responses': new WeakMap(), 'anthropic-messages': new WeakMap() };

function tagsWithIngress(tags: Tags, ingress: IngressName): Tags {
  const cache = tagged[ingress];
  let out = cache.get(tags);
  if (out === undefined) {
    out = Object.freeze({ ...tags, ingress });
    cache.set(tags, out);
  }
  return out;
}

/**
 * Reads the routing hints a client may give, in headers or (`hints`) the body's `switchyard` field; a
 * header wins over the body, and a key's residency is never loosened by a header. The door's name goes
 * into the tags, so the ledger records which door each request used.
 */
export function requestOptions(ctx: RouteContext, ingress: IngressName, hints: BodyHints = NO_HINTS): RequestOptions {
  const h = ctx.request.headers;
  const opts: RequestOptions = { signal: ctx.request.signal, requestId: ctx.requestId, tags: tagsWithIngress(ctx.caller.tags, ingress), access: ctx.caller.access };
  const residency = ctx.caller.residency ?? h['x-switchyard-residency'];
  if (residency) opts.residency = residency;
  const header = h['x-switchyard-deployment'];
  if (header !== undefined) opts.override = header;
  else if (hints.deployment !== undefined) {
    opts.override = hints.deployment;
    opts.overrideParam = 'switchyard.deployment';
  }
  const task = h['x-switchyard-task'] ?? hints.task;
  if (task !== undefined) opts.task = task;
  // The response cache: the client may opt in or out, and flag tools whose follow-ups must never be cached.
  const cache = oneOf(h, 'x-switchyard-cache', CACHE_VALUES);
  if (cache !== undefined) opts.cache = cache;
  if (oneOf(h, 'x-switchyard-tool-side-effects', BOOLEANS) === 'true') opts.toolSideEffects = true;
  return opts;
}

const CACHE_VALUES = ['on', 'off'] as const;
const BOOLEANS = ['true', 'false'] as const;

/**
 * A header that takes one of a few words, in any case. Another value is refused: ignored, a misspelt
 * `x-switchyard-tool-side-effects` would let a side effect's follow-up be answered from the cache.
 */
function oneOf<T extends string>(headers: Readonly<Record<string, string | undefined>>, name: string, values: readonly T[]): T | undefined {
  const raw = headers[name];
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new GatewayError({ kind: 'invalid_request', message: `'${name}' must be ${values.map((v) => `'${v}'`).join(' or ')}.`, param: name, code: 'invalid_request' });
}

/**
 * The headers naming who served an answer, on every front door, after admission's (`x-ratelimit-*`) when
 * there are some, `x-switchyard-cache: hit|miss` when the request used the response cache, and
 * `x-switchyard-warnings` naming the settings the serving provider could not honour (dropped or changed).
 */
export function servedHeaders(s: ServedBy, admission?: Readonly<Record<string, string>>, cache?: CacheStatus, warnings?: readonly Warning[]): Record<string, string> {
  // Not `{ ...admission, ... }`: on Node 20 keys added after a spread give each map a hidden class of its own.
  const h: Record<string, string> = admission === undefined ? {} : Object.assign({}, admission);
  h['x-switchyard-deployment'] = s.deployment;
  h['x-switchyard-provider'] = s.provider;
  h['x-switchyard-attempts'] = String(s.attempts);
  h['x-request-id'] = s.requestId;
  if (s.region) h['x-switchyard-region'] = s.region;
  if (cache) h['x-switchyard-cache'] = cache;
  if (warnings !== undefined && warnings.length > 0) h['x-switchyard-warnings'] = warningsHeader(warnings);
  return h;
}

/**
 * Marks `headers` as a stream's (SSE, not sniffed as anything else, not cached), announcing its trailers (`streamTrailers`): the cost
 * when answers are priced, and whether the usage was the gateway's own count; returns them. The content
 * type is the one api.openai.com (chat completions and responses) and api.anthropic.com send with their
 * streams, charset included (as recorded from both).
 */
export function asStreamHeaders(headers: Record<string, string>, priced: boolean): Record<string, string> {
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['x-content-type-options'] = 'nosniff';
  headers['cache-control'] = 'no-cache';
  headers.trailer = priced ? 'x-switchyard-cost-usd, x-switchyard-usage-estimated' : 'x-switchyard-usage-estimated';
  return headers;
}

/**
 * A stream's trailers once it has ended: `x-switchyard-cost-usd` (when priced), and
 * `x-switchyard-usage-estimated: true` when the upstream reported no usage and the gateway counted it,
 * as the header of a whole answer says. Undefined when there is neither.
 */
export function streamTrailers(cost: string | undefined, estimated: boolean): Record<string, string> | undefined {
  if (!estimated) return cost === undefined ? undefined : { 'x-switchyard-cost-usd': cost };
  return cost === undefined ? { 'x-switchyard-usage-estimated': 'true' } : { 'x-switchyard-cost-usd': cost, 'x-switchyard-usage-estimated': 'true' };
}

/** The settings a provider could not honour, once each, in the order they were reported (`topK, reasoning`). */
function warningsHeader(warnings: readonly Warning[]): string {
  return [...new Set(warnings.map((w) => w.setting ?? w.type))].join(', ');
}

/** `x-switchyard-cost-usd`: at most ten decimals, trailing zeros dropped but one kept after the point (`0.5`, `2.0`). */
export function formatUsd(usd: number): string {
  const s = usd.toFixed(10);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end -= 1;
  return s.charCodeAt(end - 1) === 46 /* . */ ? `${s.slice(0, end)}0` : s.slice(0, end);
}
