import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { RateLimitRule } from './config.js';
import { RateLimiter, type RateLimiterOptions } from './limiter.js';
import { MemoryRateLimitState, type RateLimitState } from './state.js';

/** Every rate limit of a config: the `rate_limits` rules, then each API key's own `rate_limit`. */
export function rateLimitRules(config: GatewayConfig): RateLimitRule[] {
  const rules: RateLimitRule[] = [...config.rate_limits];
  for (const k of config.api_keys) if (k.rate_limit) rules.push({ name: `key:${k.id}`, match: { key: k.id }, ...k.rate_limit });
  return rules;
}

export interface OpenedLimiter {
  limiter: RateLimiter;
  close(): Promise<void>;
}

/**
 * The rate limiter a config asks for, or undefined when it sets no limit and has no run-time keys
 * (`keyRules`: virtual keys' own limits, by key id). Counters live in Redis when
 * `state.store` is `redis` (every replica enforces the same limits), else in this process's memory.
 */
export async function openRateLimiter(
  config: GatewayConfig,
  logger: Logger,
  now: () => number = Date.now,
  state?: RateLimitState,
  keyRules?: RateLimiterOptions['keyRules'],
): Promise<OpenedLimiter | undefined> {
  const rules = rateLimitRules(config);
  if (rules.length === 0 && !keyRules) return undefined;
  let owned: RateLimitState | undefined;
  if (!state) {
    const url = config.state.store === 'redis' ? config.state.redis_url : undefined;
    // ioredis loads only for configs that share limits through Redis.
    owned = url
      ? new (await import('./redis-state.js')).RedisRateLimitState({ url: url.reveal(), cluster: config.state.redis_mode === 'cluster', prefix: config.state.key_prefix, logger, now })
      : new MemoryRateLimitState(now);
  }
  const limiter = new RateLimiter({ rules, keyRules, state: state ?? (owned as RateLimitState), logger, now, defaultCompletionTokens: config.budgets.default_completion_tokens });
  return { limiter, close: async () => owned?.close() };
}
