import { Redis } from 'ioredis';
import { unreachedError } from '../core/held-writes.js';
import type { Logger } from '../core/logger.js';
import type { Script } from './lua-script.js';
import { errorMessage } from '../core/error-trace.js';

/** Whether a Redis connection is known to be down, kept by `watchOutages`. */
export interface RedisHealth {
  readonly down: boolean;
}

/**
 * Logs a connection's outages once each, `<name>: Redis unreachable` and `<name>: Redis is back`.
 * The error listener is also what keeps ioredis from printing a raw stack trace per failed reconnect.
 */
export function watchOutages(redis: Redis, logger: Logger | undefined, name: string): RedisHealth {
  const health = { down: false };
  redis.on('error', (err: Error) => {
    if (health.down) return;
    health.down = true;
    logger?.warn({ err: errorMessage(err) }, `${name}: Redis unreachable`);
  });
  redis.on('ready', () => {
    if (health.down) logger?.info({}, `${name}: Redis is back`);
    health.down = false;
  });
  return health;
}

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
  private readonly health: RedisHealth;

  constructor(
    o: RedisCountersOptions,
    private readonly name: string,
  ) {
    this.owned = o.client === undefined;
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    this.health = watchOutages(this.redis, o.logger, name);
  }

  /** Throws while Redis is known to be down: an `unreached` error, the command never sent (`core/held-writes.ts`). */
  check(): void {
    if (this.health.down) throw unreachedError(`${this.name}: Redis unreachable`);
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
