import { Redis } from 'ioredis';
import type { JsonValue } from '../core/types.js';
import type { StateStore } from './store.js';

/**
 * Shared state in Redis, so replicas see each other's breakers. Keys are namespaced by `prefix`;
 * values are JSON. A command is retried at most once on reconnect; the router never awaits the store
 * on the hot path, so a Redis outage only delays sharing, never requests.
 */
export class RedisStateStore implements StateStore {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(options: { url?: string; client?: Redis; prefix?: string } = {}) {
    this.owned = options.client === undefined;
    this.redis = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    this.prefix = options.prefix ?? '';
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const text = await this.redis.get(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as JsonValue);
  }

  async set(key: string, value: JsonValue, ttlMs?: number): Promise<void> {
    const text = JSON.stringify(value);
    if (ttlMs === undefined) await this.redis.set(this.prefix + key, text);
    else await this.redis.set(this.prefix + key, text, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit();
  }
}
