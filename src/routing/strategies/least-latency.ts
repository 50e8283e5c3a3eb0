import type { Candidate, Strategy } from './strategy.js';

/**
 * Fastest first by EWMA latency; never-measured members count as fastest so they get measured. With
 * probability `exploration` a random member goes first, so a once-slow deployment that recovered is
 * measured again instead of being starved forever.
 */
export function leastLatencyStrategy(): Strategy {
  return {
    name: 'least-latency',
    ranked: false,
    order(candidates, ctx) {
      const sorted = [...candidates].sort((a, b) => (ctx.latency(a.id) ?? 0) - (ctx.latency(b.id) ?? 0));
      if (sorted.length > 1 && ctx.random() < ctx.exploration) {
        const i = Math.floor(ctx.random() * sorted.length);
        const [picked] = sorted.splice(i, 1);
        sorted.unshift(picked as Candidate);
      }
      return sorted;
    },
  };
}


