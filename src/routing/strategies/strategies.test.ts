import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../config.js';
import { seeded } from '../testing/fakes.js';
import { createStrategy, type Candidate, type StrategyContext } from './index.js';

const members: Candidate[] = [
  { id: 'a', weight: 1 },
  { id: 'b', weight: 2 },
  { id: 'c', weight: 7 },
];

function context(over: Partial<StrategyContext> = {}): StrategyContext {
  return { random: seeded(7), latency: () => undefined, inFlight: () => 0, price: () => undefined, exploration: 0.1, ...over };
}

/** How often each member goes first over `n` requests. */
function firsts(name: (typeof STRATEGIES)[number], ctx: StrategyContext, n = 10_000): Record<string, number> {
  const s = createStrategy(name);
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < n; i++) counts[(s.order(members, ctx)[0] as Candidate).id] += 1;
  return counts;
}

// The shared suite: every strategy, whatever its policy, must keep these promises.
describe.each(STRATEGIES)('strategy %s (shared suite)', (name) => {
  it('returns every candidate exactly once', () => {
    const s = createStrategy(name);
    const ctx = context();
    for (let i = 0; i < 50; i++) {
      const out = s.order(members, ctx);
      expect(out.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
    }
  });

  it('handles a single candidate and an empty list', () => {
    const s = createStrategy(name);
    expect(s.order([members[0] as Candidate], context())).toEqual([members[0]]);
    expect(s.order([], context())).toEqual([]);
  });

  it('does not mutate the candidate list', () => {
    const input = [...members];
    createStrategy(name).order(input, context());
    expect(input).toEqual(members);
  });
});

describe('strategy distributions', () => {
  it('priority always starts with the first configured member', () => {
    expect(firsts('priority', context(), 100)).toEqual({ a: 100, b: 0, c: 0 });
  });

  it('round-robin rotates evenly', () => {
    expect(firsts('round-robin', context(), 300)).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('weighted follows the weights within 2 percentage points', () => {
    const c = firsts('weighted', context());
    expect(c.a / 10_000).toBeCloseTo(0.1, 1);
    expect(Math.abs(c.b / 10_000 - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(c.c / 10_000 - 0.7)).toBeLessThan(0.02);
  });

  it('random ignores weights: uniform within 2 percentage points', () => {
    const c = firsts('random', context());
    for (const id of ['a', 'b', 'c']) expect(Math.abs((c[id] as number) / 10_000 - 1 / 3)).toBeLessThan(0.02);
  });

  it('least-latency prefers the fastest and explores the others at the configured share', () => {
    const latency = (id: string): number => ({ a: 300, b: 100, c: 200 })[id] as number;
    const c = firsts('least-latency', context({ latency, exploration: 0.1 }));
    // 90% exploit (b) + 10% explore spread over three members.
    expect(Math.abs(c.b / 10_000 - (0.9 + 0.1 / 3))).toBeLessThan(0.02);
    expect(Math.abs(c.a / 10_000 - 0.1 / 3)).toBeLessThan(0.01);
    const order = createStrategy('least-latency').order(members, context({ latency, exploration: 0 }));
    expect(order.map((m) => m.id)).toEqual(['b', 'c', 'a']);
  });

  it('least-latency tries an unmeasured member first', () => {
    const latency = (id: string): number | undefined => (id === 'c' ? undefined : 50);
    expect(createStrategy('least-latency').order(members, context({ latency, exploration: 0 }))[0]?.id).toBe('c');
  });

  it('least-busy prefers the fewest in flight and shares ties evenly', () => {
    const inFlight = (id: string): number => ({ a: 4, b: 0, c: 9 })[id] as number;
    expect(createStrategy('least-busy').order(members, context({ inFlight })).map((m) => m.id)).toEqual(['b', 'a', 'c']);
    const c = firsts('least-busy', context({ inFlight: (id) => (id === 'c' ? 1 : 0) }));
    expect(c.c).toBe(0);
    expect(Math.abs(c.a / 10_000 - 0.5)).toBeLessThan(0.02);
  });

  it('cost-optimized goes cheapest first, unknown prices last in configured order', () => {
    const price = (id: string): number | undefined => ({ a: 5, b: undefined, c: 0.5 })[id];
    const more: Candidate[] = [...members, { id: 'd', weight: 1 }];
    expect(createStrategy('cost-optimized').order(more, context({ price })).map((m) => m.id)).toEqual(['c', 'a', 'b', 'd']);
  });
});
