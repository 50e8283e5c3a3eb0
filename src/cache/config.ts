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

/** `cache:` in the config: where cached answers live. */
export const cacheSchema = z
  .strictObject({
    /** `memory`: an LRU in this process; `redis`: shared by every replica, at `state.redis_url`. */
    store: z.enum(['memory', 'redis']).default('memory'),
    /** Answers the memory LRU holds before it drops the least recently used. */
    max_entries: z.number().int().positive().default(10_000),
  })
  .default({ store: 'memory', max_entries: 10_000 });

export type CacheConfig = z.infer<typeof cacheSchema>;
