import { Redis } from 'ioredis';
import { isCachedAnswer, type CachedAnswer, type ResponseCacheStore } from './store.js';

/** Cached answers in Redis (shared by every replica), as JSON under `{prefix}cache:{key}` with a TTL. */
export class RedisResponseCache implements ResponseCacheStore {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private down = false;

  constructor(o: { url?: string; client?: Redis; prefix?: string }) {
    this.owned = o.client === undefined;
    // No retries: a cache that is slow to answer is worse than a miss.
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 0 });
    this.prefix = `${o.prefix ?? ''}cache:`;
    // While Redis is known to be down every request misses at once instead of waiting for a reconnect
    // (the cache layer logs the outage once).
    this.redis.on('error', () => (this.down = true));
    this.redis.on('ready', () => (this.down = false));
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    if (this.down) throw new Error('response cache: Redis unreachable');
    const json = await this.redis.get(this.prefix + key);
    if (json === null) return undefined;
    // What another version of Switchyard stored (or anything unreadable) is a miss, not a failure.
    const value: unknown = parseOrUndefined(json);
    return isCachedAnswer(value) ? value : undefined;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    if (this.down) throw new Error('response cache: Redis unreachable');
    await this.redis.set(this.prefix + key, JSON.stringify(answer), 'PX', ttlMs);
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function parseOrUndefined(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
