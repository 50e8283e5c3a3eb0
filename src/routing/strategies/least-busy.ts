import type { Candidate, Strategy } from './strategy.js';

/** Fewest requests in flight first; ties are broken at random so equal members share the load. */
export function leastBusyStrategy(): Strategy {
  return {
    name: 'least-busy',
    ranked: false,
    order(candidates, ctx) {
      const keyed = candidates.map((c) => ({ c, busy: ctx.inFlight(c.id), tie: ctx.random() }));
      keyed.sort((a, b) => a.busy - b.busy || a.tie - b.tie);
      return keyed.map((k): Candidate => k.c);
    },
  };
}
