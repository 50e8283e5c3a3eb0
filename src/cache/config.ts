import * as z from '../config/zod.js';

/** A group's `cache`: whether its answers are cached, how long, and whether only deterministic requests. */
export const groupCacheSchema = z.strictObject({
  /** Cache every request of the group (a client may still send `x-switchyard-cache: off`). */
  enabled: z.boolean().default(false),
  ttl_ms: z.number().int().positive().default(300_000),
  /** Only requests with `temperature: 0` are cached; false also caches sampled answers. */
  deterministic_only: z.boolean().default(true),
});

export type GroupCacheConfig = z.infer<typeof groupCacheSchema>;

/** What a request without a group `cache` gets when the client opts in with `x-switchyard-cache: on`. */
export const DEFAULT_GROUP_CACHE: GroupCacheConfig = { enabled: false, ttl_ms: 300_000, deterministic_only: true };

const CACHE_DEFAULTS = { store: 'memory', max_entries: 10_000, max_bytes: 64 * 1024 * 1024, max_entry_bytes: 1024 * 1024 } as const;

/** `cache:` in the config: where cached answers live. */
export const cacheSchema = z
  .strictObject({
    /** `memory`: an LRU in this process; `redis`: shared by every replica, at `state.redis_url`. */
    store: z.enum(['memory', 'redis']).default(CACHE_DEFAULTS.store),
    /** Answers the memory LRU holds before it drops the least recently used. */
    max_entries: z.number().int().positive().default(CACHE_DEFAULTS.max_entries),
    /**
     * About how many bytes the memory LRU holds (its answers' JSON), dropping the least recently used
     * past it: a few hundred long answers would otherwise hold hundreds of MB under the count alone.
     */
    max_bytes: z.number().int().positive().default(CACHE_DEFAULTS.max_bytes),
    /**
     * An answer whose JSON is longer is not kept (in memory it would push out many others; in Redis every
     * hit reads it whole). The memory LRU keeps none longer than `max_bytes` either, whichever is lower.
     */
    max_entry_bytes: z.number().int().positive().default(CACHE_DEFAULTS.max_entry_bytes),
  })
  .default(CACHE_DEFAULTS);

export type CacheConfig = z.infer<typeof cacheSchema>;

/** The memory LRU's bounds, as `cache:` sets them. */
export type MemoryCacheLimits = Pick<CacheConfig, 'max_entries' | 'max_bytes' | 'max_entry_bytes'>;
