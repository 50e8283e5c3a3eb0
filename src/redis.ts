/** Redis-backed shared state, a separate entry point (`switchyard/redis`) so the main one never loads ioredis. */
export { RedisStateStore } from './state/redis.js';
export { RedisBudgetState } from './ledger/budgets/redis-state.js';
