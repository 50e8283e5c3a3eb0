import type { Strategy } from './strategy.js';

/** Active-passive: always the configured order. */
export function priorityStrategy(): Strategy {
  return { name: 'priority', ranked: true, order: (candidates) => [...candidates] };
}
