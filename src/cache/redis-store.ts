import { FailOpenRedis, type FailOpenRedisOptions } from '../state/redis-client.js';
import { contentChars, isCachedAnswer, type CachedAnswer, type ResponseCacheStore } from './store.js';

/**
 * Cached answers in Redis (shared by every replica), as JSON under `{prefix}cache:{key}` with a TTL. Each
 * command names one key, so on a Redis Cluster the answers spread over every node's slots.
 */
export class RedisResponseCache implements ResponseCacheStore {
  private readonly conn: FailOpenRedis;
  private readonly prefix: string;
  private readonly maxEntryBytes: number;

  /** `maxEntryBytes`: `cache.max_entry_bytes`; a longer answer is not stored (one value read in full on every hit). */
  constructor(o: FailOpenRedisOptions & { prefix?: string; maxEntryBytes?: number }) {
    // A cache that is slow to answer is worse than a miss: while Redis is known to be down, or past the
    // command timeout, every request misses at once (the cache layer logs the outage once).
    this.conn = new FailOpenRedis(o, 'response cache');
    this.prefix = `${o.prefix ?? ''}cache:`;
    this.maxEntryBytes = o.maxEntryBytes ?? Number.POSITIVE_INFINITY;
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const json = await this.conn.call((redis) => redis.get(this.prefix + key));
    if (json === null) return undefined;
    // What another version of Switchyard stored (or anything unreadable) is a miss, not a failure.
    const value: unknown = parseOrUndefined(json);
    return isCachedAnswer(value) ? value : undefined;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    // Its content alone past the bound: not written out only to be thrown away.
    if (key.length + contentChars(answer) > this.maxEntryBytes) return;
    const json = JSON.stringify(answer);
    if (key.length + json.length > this.maxEntryBytes) return;
    await this.conn.call((redis) => redis.set(this.prefix + key, json, 'PX', ttlMs));
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

function parseOrUndefined(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
