import type { Strategy } from './strategy.js';

/**
 * Cheapest first; members without a known price go last in configured order. Escalation to the next
 * tier (when a quality gate rejects an answer) is the executor's job: the order is the tier list.
 */
export function costOptimizedStrategy(): Strategy {
  return {
    name: 'cost-optimized',
    ranked: true,
    order(candidates, ctx) {
      // Array.prototype.sort is stable, so equal prices keep their configured order.
      return [...candidates].sort((a, b) => (ctx.price(a.id) ?? Number.POSITIVE_INFINITY) - (ctx.price(b.id) ?? Number.POSITIVE_INFINITY));
    },
  };
}
