import { Redis } from 'ioredis';
import type { CachedAnswer, ResponseCacheStore } from './store.js';

/** Cached answers in Redis (shared by every replica), as JSON under `{prefix}cache:{key}` with a TTL. */
export class RedisResponseCache implements ResponseCacheStore {
  private readonly redis: Redis;
  private readonly owned: boolean;

  constructor(o: { url?: string; client?: Redis; prefix?: string }) {
    this.owned = o.client === undefined;
    // No retries: a cache that is slow to answer is worse than a miss.
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 0 });
    this.prefix = `${o.prefix ?? ''}cache:`;
    // Errors surface on the commands (and are a miss there); the connection's own events are not news.
    this.redis.on('error', () => undefined);
  }

  private readonly prefix: string;

  async get(key: string): Promise<CachedAnswer | undefined> {
    const json = await this.redis.get(this.prefix + key);
    return json === null ? undefined : (JSON.parse(json) as CachedAnswer);
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(answer), 'PX', ttlMs);
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
