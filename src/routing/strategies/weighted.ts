import type { Candidate, Strategy, StrategyContext } from './strategy.js';

/** Draws members in proportion to their weights, without replacement, so fallbacks are weighted too. */
export function weightedOrder(candidates: readonly Candidate[], ctx: StrategyContext): Candidate[] {
  const pool = [...candidates];
  const out: Candidate[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((s, c) => s + c.weight, 0);
    let pick = ctx.random() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      pick -= (pool[i] as Candidate).weight;
      if (pick < 0) break;
    }
    out.push(...pool.splice(i, 1));
  }
  return out;
}

export function weightedStrategy(): Strategy {
  return { name: 'weighted', ranked: false, order: weightedOrder };
}
