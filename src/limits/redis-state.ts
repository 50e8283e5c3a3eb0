import { Redis } from 'ioredis';
import type { Script } from '../ledger/budgets/redis-scripts.js';
import type { Logger } from '../core/logger.js';
import type { LimitRef } from './counters.js';
import { ADJUST, TAKE } from './redis-scripts.js';
import type { CounterFigures, RateLimitState, TakeResult } from './state.js';

/** Counters outlive their window by this much, so answers that finish just after a reset still settle. */
const GRACE_MS = 120_000;

export interface RedisRateLimitStateOptions {
  /** redis:// URL; ignored when `client` is given. */
  url?: string;
  /** A connection to use (not closed by `close`). */
  client?: Redis;
  /** Key namespace, e.g. `switchyard:`. */
  prefix?: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Rate-limit counters shared by every replica through Redis: each check is one Lua script, atomic
 * over all the counters of a request. Keys carry the `{ratelimit}` hash tag so the multi-key scripts
 * also run on Redis Cluster.
 */
export class RedisRateLimitState implements RateLimitState {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly now: () => number;
  private down = false;

  constructor(o: RedisRateLimitStateOptions) {
    this.owned = o.client === undefined;
    // One retry per command: limits fail open quickly rather than hold requests during an outage.
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    this.prefix = o.prefix ?? '';
    this.now = o.now ?? Date.now;
    this.redis.on('error', (err: Error) => {
      if (this.down) return;
      this.down = true;
      o.logger.warn({ err: err.message }, 'rate-limit state: Redis unreachable');
    });
    this.redis.on('ready', () => {
      if (this.down) o.logger.info({}, 'rate-limit state: Redis is back');
      this.down = false;
    });
  }

  private keys(refs: readonly LimitRef[]): string[] {
    return refs.map((r) => `${this.prefix}{ratelimit}:${r.counter}`);
  }

  private async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    // Fails fast while Redis is known to be down, so an outage costs requests no latency.
    if (this.down) throw new Error('rate-limit state: Redis unreachable');
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  async take(refs: readonly LimitRef[], tokens: number, requests: 0 | 1 = 1): Promise<TakeResult> {
    const now = this.now();
    const args = [String(tokens), String(requests)];
    for (const r of refs) args.push(r.requestLimit === undefined ? '' : String(r.requestLimit), r.tokenLimit === undefined ? '' : String(r.tokenLimit), String(Math.max(1, r.resetAt + GRACE_MS - now)));
    const reply = (await this.run(TAKE, this.keys(refs), args)) as string[];
    if (reply[0] === '1') return { ok: true, figures: pairs(reply, 1) };
    return { ok: false, refused: Number(reply[1]), by: reply[2] === 'tokens' ? 'tokens' : 'requests', figures: pairs(reply, 3) };
  }

  async release(refs: readonly LimitRef[], tokens: number): Promise<void> {
    await this.run(ADJUST, this.keys(refs), [String(-tokens)]);
  }

  async settle(refs: readonly LimitRef[], used: number, fromReserved: number): Promise<void> {
    await this.run(ADJUST, this.keys(refs), [String(used - fromReserved)]);
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function pairs(reply: readonly string[], from: number): CounterFigures[] {
  const out: CounterFigures[] = [];
  for (let i = from; i + 1 < reply.length; i += 2) out.push({ requests: Number(reply[i]), tokens: Number(reply[i + 1]) });
  return out;
}
