import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { Script } from './lua-script.js';

export interface RedisCountersOptions {
  /** redis:// URL; ignored when `client` is given. */
  url?: string;
  /** A connection to use (not closed by `close`). */
  client?: Redis;
  logger: Logger;
}

/**
 * The Redis connection behind shared counters that fail open (rate limits, budgets): one retry per
 * command, and while Redis is known to be down every command fails at once, so an outage costs
 * requests no latency. An outage is logged once, as `<name>: Redis unreachable`, and its end too.
 */
export class RedisCounters {
  readonly redis: Redis;
  private readonly owned: boolean;
  private down = false;

  constructor(
    o: RedisCountersOptions,
    private readonly name: string,
  ) {
    this.owned = o.client === undefined;
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    this.redis.on('error', (err: Error) => {
      if (this.down) return;
      this.down = true;
      o.logger.warn({ err: err.message }, `${name}: Redis unreachable`);
    });
    this.redis.on('ready', () => {
      if (this.down) o.logger.info({}, `${name}: Redis is back`);
      this.down = false;
    });
  }

  /** Throws while Redis is known to be down. */
  check(): void {
    if (this.down) throw new Error(`${this.name}: Redis unreachable`);
  }

  async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    this.check();
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
