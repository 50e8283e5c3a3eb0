import { ConfigError } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import { MemoryBudgetState, type BudgetState } from './state.js';

/** The budget counters `budgets.state` asks for: this process's memory, or Redis at `state.redis_url`. */
export async function openBudgetState(config: GatewayConfig, logger: Logger, now: () => number): Promise<BudgetState> {
  if (config.budgets.state === 'memory') return new MemoryBudgetState(now);
  const url = config.state.redis_url;
  if (!url) throw new ConfigError('config', [{ path: 'budgets.state', message: 'budgets.state "redis" needs state.redis_url (e.g. ${REDIS_URL})' }]);
  // ioredis loads only for configs that share budgets through Redis.
  const { RedisBudgetState } = await import('./redis-state.js');
  return new RedisBudgetState({ url: url.reveal(), cluster: config.state.redis_mode === 'cluster', prefix: config.state.key_prefix, logger, now });
}
