import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '../../core/logger.js';
import { resolveConfig } from '../../config/load.js';
import { createLedger, type Ledger } from '../index.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';
import { admissionRequest, attempt } from '../testing/fixtures.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import type { BudgetGuard } from './guard.js';
import { RedisBudgetState } from './redis-state.js';
import { MemoryBudgetState, type CounterRef } from './state.js';
import { unreachedError, type ReservedPart } from '../../core/held-writes.js';

const REDIS_URL = process.env.REDIS_URL;
const NOW = Date.parse('2025-06-15T12:00:00Z');
// gpt-4o-mini: 1000 x 0.15 + 500 x 0.60 reserved per request; an answer of 1,000 + 100 tokens costs 0.00021.
const ESTIMATE = 0.00045;
const COST = 1000 * 0.15e-6 + 100 * 0.6e-6;

describe('budget counters: a reservation belongs to the counter it was made on', () => {
  const ref: CounterRef = { counter: 'g|2025-06-15|*', budget: 'g', value: '*', hardUsd: 1, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') };

  it('gives a reservation back only to the counter that holds it, and adds a replayed cost only to a counter that existed when it was booked', async () => {
    let t = NOW;
    const state = new MemoryBudgetState(() => t);
    const first = await state.reserve([ref], 0.5);
    expect(first).toEqual({ ok: true, unseeded: [0], since: [NOW] });
    await state.release([ref], { amount: 0.5, since: [NOW - 1] });
    expect(state.peek(ref.counter)).toEqual({ spent: 0, reserved: 0.5 });
    await state.settle([ref], 0.2, { amount: 0.2, since: [NOW] }, NOW - 1);
    expect(state.peek(ref.counter)).toEqual({ spent: 0, reserved: 0.3 });
    t += 1000;
    await state.settle([ref], 0.2, { amount: 0.2, since: [NOW] }, NOW);
    await state.release([ref], { amount: 0.1, since: [NOW] });
    expect(state.peek(ref.counter)).toEqual({ spent: 0.2, reserved: expect.closeTo(0, 12) });
  });
});

describe('a settlement replayed after an outage', () => {
  /** Memory counters whose settlements fail, unsent, while `down` (as Redis known to be down fails them). */
  class FlakyState extends MemoryBudgetState {
    down = false;
    readonly bookedAt: Array<number | undefined> = [];
    override async settle(refs: readonly CounterRef[], cost: number, fromReserved: ReservedPart | undefined, bookedAt?: number): Promise<Array<number | undefined>> {
      if (this.down) throw unreachedError('counters unreachable');
      this.bookedAt.push(bookedAt);
      return super.settle(refs, cost, fromReserved, bookedAt);
    }
  }

  it('says when its attempt started: the time of the ledger row that a counter seeded meanwhile holds it by', async () => {
    let t = NOW;
    const state = new FlakyState(() => t);
    const cfg = resolveConfig({
      deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
      ledger: { path: ':memory:' },
      budgets: { limits: [{ name: 'g', period: 'daily', hard_usd: 1 }] },
    });
    const ledger = await createLedger(cfg, { now: () => t, budgetState: state });
    const admit = (id: string) => Promise.resolve(ledger.admission.admit(admissionRequest(id, { key: 'k1' })));
    const ticket = await admit('r1');
    // The attempt started at NOW and ends 5 s later, while the counters are down: its settlement is held.
    t = NOW + 5_000;
    state.down = true;
    ledger.observer.onAttempt(attempt({ requestId: 'r1', deployment: 'oai', startedAt: NOW, tags: { key: 'k1' } }));
    ticket.release();
    await new Promise((r) => setTimeout(r, 0));
    state.down = false;
    t += 1_000;
    (await admit('r2')).release(); // the next check replays it first
    // The seed sums ledger rows by their `ts`, the attempt's start: a counter created after NOW has it.
    expect(state.bookedAt).toEqual([NOW]);
    await ledger.close();
  });
});

if (REDIS_URL) {
  describe('budgets shared through Redis when Redis loses its data', () => {
    const admin = new Redis(REDIS_URL);
    const prefix = `switchyard-test-loss:${process.pid}:${Math.floor(Math.random() * 1e9)}:`;
    afterAll(async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    });

    it("two replicas: after Redis comes back empty and one re-seeds the counter from the ledger, the other's held settlements and releases neither count spend twice nor take back reservations the new counter never held", async () => {
      const url = new URL(REDIS_URL);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const clock = { t: NOW };
      const now = () => clock.t;
      // One ledger database for both replicas, as PostgreSQL would be.
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const cfg = resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
        ledger: { path: ':memory:' },
        budgets: { limits: [{ name: 'g', period: 'daily', hard_usd: 1 }] },
      });
      const states = [0, 1].map(() => new RedisBudgetState({ url: `redis://127.0.0.1:${proxy.port}`, prefix, logger: silentLogger, now }));
      const [a, b] = (await Promise.all(states.map((budgetState) => createLedger(cfg, { now, store, budgetState })))) as [Ledger, Ledger];
      const [state] = states as [RedisBudgetState];
      const [ref] = (a.admission as BudgetGuard).countersFor({ key: 'k1' }, NOW) as [CounterRef];
      const counter = async () => {
        const f = await state.peek(ref);
        return { spent: Number(f.spent ?? 0), reserved: Number(f.reserved ?? 0), seeded: f.seeded };
      };
      const admit = (l: Ledger, id: string) => Promise.resolve(l.admission.admit(admissionRequest(id, { key: 'k1' })));
      const end = (l: Ledger, id: string, ticket: { release(): void }) => {
        l.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', startedAt: clock.t, tags: { key: 'k1' } }));
        ticket.release();
      };

      // Before the outage: one request ended on A; A holds two more, B one that outlives the outage.
      end(a, 'a0', await admit(a, 'a0'));
      const [a1, a2, b1] = [await admit(a, 'a1'), await admit(a, 'a2'), await admit(b, 'b1')];
      await vi.waitFor(async () => expect(await counter()).toEqual({ spent: expect.closeTo(COST, 12), reserved: expect.closeTo(3 * ESTIMATE, 12), seeded: '1' }));

      await proxy.stop();
      await vi.waitFor(() => Promise.all(states.map((s) => expect(s.spent([ref])).rejects.toThrow(/unreachable/))), { timeout: 5000 });
      clock.t += 1000;
      // a1 and a2 end during the outage: their settlements and releases are held; their rows reach the ledger.
      end(a, 'a1', a1);
      end(a, 'a2', a2);
      await a.flush();
      // Redis restarts empty (this spec's keys only: others may share this Redis).
      await admin.del(...(await admin.keys(`${prefix}*`)));
      clock.t += 1000;
      await proxy.start();
      await vi.waitFor(() => Promise.all(states.map((s) => expect(s.spent([ref])).resolves.toBeDefined())), { timeout: 5000 });

      // B gets there first: the counter is created again and seeded with the ledger's a0, a1 and a2.
      const b2 = await admit(b, 'b2');
      await vi.waitFor(async () => expect(await counter()).toEqual({ spent: expect.closeTo(3 * COST, 12), reserved: expect.closeTo(ESTIMATE, 12), seeded: '1' }));
      // A's next check replays what it held: the spend is in the seed already, the reservations were never here.
      const a3 = await admit(a, 'a3');
      expect(await counter()).toEqual({ spent: expect.closeTo(3 * COST, 12), reserved: expect.closeTo(2 * ESTIMATE, 12), seeded: '1' });

      // b1, reserved before the loss, ends now: its cost is new to the counter, its reservation is not.
      end(b, 'b1', b1);
      end(b, 'b2', b2);
      end(a, 'a3', a3);
      await Promise.all([a.flush(), b.flush()]);
      const ledgerTotal = (await store.summarize({ from: 0, to: clock.t + 1, groupBy: [] }))[0]?.costUsd ?? 0;
      expect(ledgerTotal).toBeCloseTo(6 * COST, 12);
      await vi.waitFor(async () => expect(await counter()).toEqual({ spent: expect.closeTo(ledgerTotal, 12), reserved: expect.closeTo(0, 12), seeded: '1' }));

      for (const l of [a, b]) await l.close();
      for (const s of states) await s.close();
      await store.close();
      await proxy.stop();
    });
  });
} else {
  describe.skip('budgets shared through Redis when Redis loses its data (REDIS_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
