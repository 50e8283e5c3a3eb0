import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import { DEFAULT_GROUP_CACHE, type GroupCacheConfig } from './config.js';
import { cacheKey, cacheScope, type CacheTarget } from './key.js';
import { RouteFingerprints } from './route-fingerprint.js';
import type { CachedAnswer, ResponseCacheStore } from './store.js';
import { errorMessage } from '../core/error-trace.js';

/** The client's say: `x-switchyard-cache: on|off`, and whether its tool calls have side effects. */
export interface CacheRequestOptions {
  cache?: 'on' | 'off';
  /** The client flags its tools as having side effects: a tool-call follow-up is then never cached. */
  toolSideEffects?: boolean;
}

/** A request that uses the cache: its key and TTL, and the answer found, if any. */
export interface CacheLookup {
  key: string;
  ttlMs: number;
  hit: CachedAnswer | undefined;
}

/**
 * The cache settings a request gets, or undefined when it must not use the cache: not opted in (group
 * setting or header), opted out, sampled (temperature other than 0) where the group caches
 * deterministic requests only, or a tool-call follow-up whose tools the client flagged.
 */
export function cachePolicy(request: ChatRequest, group: GroupCacheConfig | undefined, opts: CacheRequestOptions): GroupCacheConfig | undefined {
  if (opts.cache === 'off') return undefined;
  if (opts.cache !== 'on' && group?.enabled !== true) return undefined;
  const policy = group ?? DEFAULT_GROUP_CACHE;
  if (policy.deterministic_only && request.temperature !== 0) return undefined;
  if (opts.toolSideEffects === true && request.messages.some((m) => m.role === 'tool')) return undefined;
  return policy;
}

/** Exact-match answer cache in front of the upstreams; a store that fails is a miss, never an error. */
export class ResponseCache {
  private warned = false;
  private readonly routes: RouteFingerprints;

  /** `config`: the one the gateway runs, whose routes' fingerprints every key carries (worked out here, once). */
  constructor(
    private readonly store: ResponseCacheStore,
    private readonly logger: Logger,
    config: Pick<GatewayConfig, 'deployments' | 'groups'>,
  ) {
    this.routes = new RouteFingerprints(config);
  }

  /** Looks a request up; undefined (no promise, nothing hashed) when it does not use the cache at all. */
  lookup(request: ChatRequest, target: CacheTarget, tags: Readonly<Record<string, string>>, group: GroupCacheConfig | undefined, opts: CacheRequestOptions): Promise<CacheLookup> | undefined {
    const policy = cachePolicy(request, group, opts);
    if (!policy) return undefined;
    const key = cacheKey(request, target, cacheScope(tags), this.routes.of(target.group, target.deployment));
    return this.store.get(key).then(
      (hit) => ({ key, ttlMs: policy.ttl_ms, hit }),
      (err: unknown) => ({ key, ttlMs: policy.ttl_ms, hit: this.failed(err) }),
    );
  }

  /** Stores a successful answer; filtered answers are not kept (errors never get here). */
  save(lookup: CacheLookup, response: ChatResponse, by: Omit<CachedAnswer, 'response'>): void {
    if (response.finishReason === 'content_filter') return;
    this.store.set(lookup.key, { response, ...by }, lookup.ttlMs).catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): undefined {
    if (!this.warned) this.logger.warn({ err: errorMessage(err) }, 'response cache unavailable; serving without it');
    this.warned = true;
    return undefined;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
