import type { Logger } from '../core/logger.js';
import { COMMAND_TIMEOUT_MS, quitWithin } from './redis-client.js';
import { isCluster, openRedis, type RedisClient, type RedisTarget } from './redis-connection.js';
import { watchOutages } from './redis-health.js';
import type { JsonObject, JsonValue } from '../core/types.js';
import type { StateStore } from './store.js';

/** Compare-and-set in one atomic step: replicas' writes may land in any order. */
const SET_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, old = pcall(cjson.decode, current)
  local stored = ok and type(old) == 'table' and tonumber(old[ARGV[2]]) or nil
  local incoming = tonumber(ARGV[3])
  if stored and incoming and stored >= incoming then return 0 end
end
if ARGV[4] == '' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4]) end
return 1
`;

/**
 * How long a state store command may wait for Redis. Off the request path, so longer than the counters'
 * `COMMAND_TIMEOUT_MS`; but bounded: a stalled Redis (a partition, `CLIENT PAUSE`) held the breaker
 * sync's read forever, so its outage was never logged and stopping the app waited on it.
 */
export const STATE_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Shared state in Redis, so replicas see each other's breakers. Keys are namespaced by `prefix`;
 * values are JSON. A command is retried at most once on reconnect; the router never awaits the store
 * on the hot path, so a Redis outage only delays sharing, never requests. On a Redis Cluster the keys
 * carry the `{state}` hash tag: one slot, so the periodic sync still reads every key in one MGET.
 */
export class RedisStateStore implements StateStore {
  private readonly redis: RedisClient;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(options: RedisTarget & { client?: RedisClient; prefix?: string; logger?: Logger } = {}) {
    this.owned = options.client === undefined;
    // Its writes are idempotent (a value, a compare-and-set), so a cut command may be sent again.
    this.redis = options.client ?? openRedis(options, { maxRetriesPerRequest: 1, commandTimeout: STATE_COMMAND_TIMEOUT_MS });
    this.prefix = `${options.prefix ?? ''}${isCluster(this.redis) ? '{state}:' : ''}`;
    // An outage is one warning and its end one line (the commands' own failures are logged by the sync).
    if (this.owned) watchOutages(this.redis, options.logger, 'state store');
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const text = await this.redis.get(this.prefix + key);
    return text === null ? undefined : (JSON.parse(text) as JsonValue);
  }

  async getMany(keys: readonly string[]): Promise<Array<JsonValue | undefined>> {
    if (keys.length === 0) return [];
    const texts = await this.redis.mget(keys.map((k) => this.prefix + k));
    return texts.map((t) => (t === null ? undefined : (JSON.parse(t) as JsonValue)));
  }

  async set(key: string, value: JsonValue, ttlMs?: number): Promise<void> {
    const text = JSON.stringify(value);
    if (ttlMs === undefined) await this.redis.set(this.prefix + key, text);
    else await this.redis.set(this.prefix + key, text, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async setIfNewer(key: string, value: JsonObject, field: string, ttlMs?: number): Promise<boolean> {
    const next = value[field];
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)));
    const stored = await this.redis.eval(SET_IF_NEWER, 1, this.prefix + key, JSON.stringify(value), field, typeof next === 'number' ? String(next) : '', ttl);
    return stored === 1;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  /** Closes the connection it made; a stalled Redis holds shutdown no longer than a command timeout. */
  async close(): Promise<void> {
    if (this.owned) await quitWithin(this.redis, COMMAND_TIMEOUT_MS);
  }
}
