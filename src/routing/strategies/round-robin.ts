import type { Strategy } from './strategy.js';

/** Rotates the starting member on every request; the others follow in configured order. */
export function roundRobinStrategy(): Strategy {
  let cursor = 0;
  return {
    name: 'round-robin',
    ranked: false,
    order(candidates) {
      if (candidates.length === 0) return [];
      const start = cursor++ % candidates.length;
      return [...candidates.slice(start), ...candidates.slice(0, start)];
    },
  };
}
