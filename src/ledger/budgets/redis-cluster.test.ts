import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { RedisRateLimitState } from '../../limits/redis-state.js';
import { adminCluster, deleteKeys, REDIS_CLUSTER_URL } from '../../state/testing/redis-cluster.js';
import { DATABASE_URL, testSchema } from '../testing/fixtures.js';
import { RedisBudgetState } from './redis-state.js';
import type { CounterRef } from './state.js';
import { startReservingReplica } from './testing/reserving-replica.js';
import { LIMITED_REQUESTS, startRig, type Kind, type StressRig, type StressStores } from './testing/stress.js';

const HARD = 0.002;
/** Requests a wave, half to each replica. */
const CONCURRENCY = 32;
const KINDS: readonly Kind[] = ['plain', 'stream', 'cut', 'stream-cancelled', 'chat-cancelled', 'timeout', 'fallback', 'cached'];
/** The rig's tags: a key with no request limit of its own, and one whose request limit refuses it first. */
const TAGS = { key: 'k1', team: 'racers' };
const LIMITED = { key: 'k2', team: 'racers' };

/** Waves split across the replicas until the budget refuses a whole wave (cache hits aside); each outcome counted. */
async function spendUntilRefused(rigs: readonly StressRig[], maxWaves = 40): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (let wave = 0; wave < maxWaves; wave += 1) {
    const ends = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, i) => {
        const n = wave * CONCURRENCY + i;
        const rig = rigs[i % rigs.length] as StressRig;
        return rig.fire(KINDS[n % KINDS.length] as Kind, `r${n}`, n % 5 === 4 ? LIMITED : TAGS);
      }),
    );
    for (const e of ends) outcomes.set(e, (outcomes.get(e) ?? 0) + 1);
    if (ends.every((e) => e === 'budget_exceeded' || e === 'cache-hit')) break;
  }
  return outcomes;
}

if (REDIS_CLUSTER_URL) {
  const url = REDIS_CLUSTER_URL;
  describe('budgets and rate limits shared by replicas through a Redis Cluster', () => {
    const admin = adminCluster(url);
    const prefix = `cluster-race${process.pid}:`;
    const schemas: string[] = [];
    afterAll(async () => {
      await deleteKeys(admin, `${prefix}*`);
      await admin.quit();
      if (!DATABASE_URL) return;
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await c.end();
    });

    const replica = (name: string): StressStores => {
      const schema = testSchema(`budget_cluster_${name}`);
      schemas.push(schema);
      return {
        budgetState: new RedisBudgetState({ url, cluster: true, prefix, logger: silentLogger }),
        rateLimitState: new RedisRateLimitState({ url, cluster: true, prefix, logger: silentLogger }),
        ledger: DATABASE_URL ? { store: 'postgres', url: DATABASE_URL, schema } : { store: 'sqlite' },
      };
    };

    it(`${CONCURRENCY} concurrent requests a wave of every kind, split across two replicas, pass a hard budget by no more than the documented bound, leave the counters equal to both ledgers, and meet one request limit between them`, async () => {
      const stores = [replica('a'), replica('b')];
      const rigs = [await startRig(stores[0] as StressStores, HARD), await startRig(stores[1] as StressStores, HARD)];
      try {
        const outcomes = await spendUntilRefused(rigs);
        await new Promise((r) => setTimeout(r, 100));
        let ledgerUsd = 0;
        for (const rig of rigs) {
          await rig.ledger.flush();
          ledgerUsd += (await rig.ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: [] }))[0]?.costUsd ?? 0;
        }
        const requests = rigs.flatMap((rig) => [...rig.requests.values()]);
        const largest = Math.max(...requests.map((r) => r.reserved));
        const excess = requests.reduce((a, r) => a + Math.max(0, r.cost - r.reserved), 0);

        expect(outcomes.get('budget_exceeded')).toBeGreaterThan(0);
        expect(outcomes.get('rate_limited')).toBeGreaterThan(0);
        expect(ledgerUsd).toBeCloseTo(requests.reduce((a, r) => a + r.cost, 0), 12);
        expect(ledgerUsd).toBeGreaterThanOrEqual(HARD);
        expect(ledgerUsd).toBeLessThanOrEqual(HARD + largest + excess + 1e-12);

        // One counter for both replicas: its spend is both ledgers', and no reservation is left on it.
        const [ref] = rigs[0]!.budgetRefs();
        const budget = stores[1]!.budgetState as RedisBudgetState;
        expect((await budget.spent([ref!]))[0]).toBeCloseTo(ledgerUsd, 12);
        expect(Number((await budget.peek(ref!)).reserved)).toBeCloseTo(0, 12);

        const [teamDay] = await rigs[1]!.limitFigures(TAGS);
        expect(teamDay).toEqual({ requests: requests.length, tokens: requests.reduce((a, r) => a + r.tokens, 0) });
        // k2's 10 requests a day are 10 between the replicas, not 10 each.
        expect((await rigs[0]!.limitFigures(LIMITED))[1]?.requests).toBe(LIMITED_REQUESTS);
        expect(requests.filter((r) => r.tags.key === 'k2')).toHaveLength(LIMITED_REQUESTS);
      } finally {
        for (const [i, rig] of rigs.entries()) {
          await rig.close();
          await stores[i]!.budgetState.close();
          await stores[i]!.rateLimitState.close();
        }
      }
    }, 90_000);

    it('a replica killed with SIGKILL mid-request gives its reservation back once its lease expires: the daily budget admits a request that fits again, not at midnight', async () => {
      const now = Date.parse('2025-06-15T12:00:00Z');
      // A budget of $0.50: one reservation of $0.60 fills it.
      const ref: CounterRef = { counter: 'daily|2025-06-15|*', budget: 'daily', value: '*', hardUsd: 0.5, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') };
      const p = `${prefix}lease:`;
      const child = await startReservingReplica({ url: url, cluster: true, prefix: p, now: now, ref, amount: 0.6 });
      const other = new RedisBudgetState({ url, cluster: true, prefix: p, logger: silentLogger, now: () => now });
      try {
        expect(child.result.ok).toBe(true);
        // Alive past its lease (its heartbeat keeps it): its reservation holds the budget.
        await new Promise((r) => setTimeout(r, 900));
        expect(await other.reserve([ref], 0.6)).toMatchObject({ ok: false, reserved: 0.6 });

        await child.kill();
        const killedAt = Date.now();
        await vi.waitFor(async () => expect(await other.reserve([ref], 0.6)).toMatchObject({ ok: true }), { timeout: 5_000, interval: 50 });
        expect(Date.now() - killedAt).toBeLessThan(3_000);
        const fields = await other.peek(ref);
        expect(Number(fields.reserved)).toBeCloseTo(0.6, 12);
        expect(Object.keys(fields).filter((f) => f.startsWith('r:'))).toHaveLength(1);
      } finally {
        await child.kill();
        await other.close();
      }
    }, 20_000);
  });
} else {
  describe.skip('budgets and rate limits shared by replicas through a Redis Cluster (REDIS_CLUSTER_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
