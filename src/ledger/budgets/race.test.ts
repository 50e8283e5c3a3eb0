import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { RedisRateLimitState } from '../../limits/redis-state.js';
import { MemoryRateLimitState } from '../../limits/state.js';
import { DATABASE_URL, testSchema } from '../testing/fixtures.js';
import { RedisBudgetState } from './redis-state.js';
import { MemoryBudgetState, type CounterRef } from './state.js';
import { LIMITED_REQUESTS, spendUntilRefused, startRig, type StressStores } from './testing/stress.js';

const REDIS_URL = process.env.REDIS_URL;
const HARD = 0.002;
const CONCURRENCY = 32;

interface Setup {
  stores: () => StressStores;
  reserved: (s: StressStores, ref: CounterRef) => Promise<number>;
  done?: (s: StressStores) => Promise<void>;
}

const memory: Setup = {
  stores: () => ({ budgetState: new MemoryBudgetState(), rateLimitState: new MemoryRateLimitState(), ledger: { store: 'sqlite' } }),
  reserved: async (s, ref) => (s.budgetState as MemoryBudgetState).peek(ref.counter)?.reserved ?? Number.NaN,
};

const prefix = `race${process.pid}:`;
const shared: Setup = {
  stores: () => ({
    budgetState: new RedisBudgetState({ url: REDIS_URL, prefix, logger: silentLogger }),
    rateLimitState: new RedisRateLimitState({ url: REDIS_URL, prefix, logger: silentLogger }),
    ledger: DATABASE_URL ? { store: 'postgres', url: DATABASE_URL, schema: testSchema('budget_race') } : { store: 'sqlite' },
  }),
  reserved: async (s, ref) => Number((await (s.budgetState as RedisBudgetState).peek(ref)).reserved ?? Number.NaN),
  async done(s) {
    await s.budgetState.close();
    await s.rateLimitState.close();
    const redis = new Redis(REDIS_URL ?? '');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    if (s.ledger.store === 'postgres') {
      const c = new pg.Client({ connectionString: s.ledger.url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${s.ledger.schema}" CASCADE`);
      await c.end();
    }
  },
};

const setups: Array<[string, Setup | undefined]> = [
  ['memory counters, SQLite ledger', memory],
  [`Redis counters, ${DATABASE_URL ? 'PostgreSQL' : 'SQLite'} ledger`, REDIS_URL ? shared : undefined],
];

describe.each(setups)('money under concurrency: %s', (_, setup) => {
  it.skipIf(setup === undefined)(
    `${CONCURRENCY} concurrent requests of every kind (plain, streamed, cut, cancelled, timed out, fallbacks, cache hits) pass a hard budget by no more than the documented bound, and leave counters equal to the ledger`,
    async () => {
      const s = (setup as Setup).stores();
      const rig = await startRig(s, HARD);
      try {
        const outcomes = await spendUntilRefused(rig, CONCURRENCY);
        // Settlements land asynchronously after each request's end.
        await new Promise((r) => setTimeout(r, 100));
        await rig.ledger.flush();
        const [total] = await rig.ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: [] });
        const ledgerUsd = total?.costUsd ?? 0;
        const requests = [...rig.requests.values()];
        const recorded = requests.reduce((a, r) => a + r.cost, 0);
        const largest = Math.max(...requests.map((r) => r.reserved));
        const excess = requests.reduce((a, r) => a + Math.max(0, r.cost - r.reserved), 0);

        expect(outcomes.get('budget_exceeded')).toBeGreaterThan(0);
        expect(outcomes.get('rate_limited')).toBeGreaterThan(0);
        expect(outcomes.get('cancelled')).toBeGreaterThan(0);
        expect(ledgerUsd).toBeCloseTo(recorded, 12);
        // Waves went on until nothing was admitted: the budget was spent, by at most the documented bound.
        expect(ledgerUsd).toBeGreaterThanOrEqual(HARD);
        expect(ledgerUsd).toBeLessThanOrEqual(HARD + largest + excess + 1e-12);

        const [ref] = rig.budgetRefs();
        const [spent] = await s.budgetState.spent([ref!]);
        expect(spent).toBeCloseTo(ledgerUsd, 12);
        expect(await (setup as Setup).reserved(s, ref!)).toBeCloseTo(0, 12);

        const team = requests.filter((r) => r.tags.team === 'racers');
        const [teamDay] = await rig.limitFigures({ key: 'k1', team: 'racers' });
        expect(teamDay).toEqual({ requests: team.length, tokens: team.reduce((a, r) => a + r.tokens, 0) });
        const limited = await rig.limitFigures({ key: 'k2', team: 'racers' });
        expect(limited[1]?.requests).toBe(LIMITED_REQUESTS);
      } finally {
        await rig.close();
        await (setup as Setup).done?.(s);
      }
    },
    60_000,
  );
});
