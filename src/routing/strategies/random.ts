import type { Strategy } from './strategy.js';
import { weightedOrder } from './weighted.js';

/** Uniformly random order, ignoring weights. */
export function randomStrategy(): Strategy {
  return {
    name: 'random',
    ranked: false,
    order: (candidates, ctx) => weightedOrder(candidates.map((c) => ({ ...c, weight: 1 })), ctx),
  };
}
