import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { GatewayError } from '../../core/errors.js';
import type { AdmissionRequest } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
import { makeUsage } from '../../core/types.js';
import { ConfigError, resolveConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { toUsageEvent } from '../event.js';
import { createLedger, type Ledger, type SoftLimitNotice } from '../index.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';
import { admissionRequest, attempt } from '../testing/fixtures.js';
import type { BudgetGuard } from './guard.js';
import { RedisBudgetState } from './redis-state.js';
import { TcpProxy } from '../testing/tcp-proxy.js';
import { StallingProxy } from '../../state/testing/stalling-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const NOW = Date.parse('2025-06-15T12:00:00Z');
// gpt-4o-mini: 1000 x 0.15 + 500 x 0.60 = 450 micro-dollars reserved per request.
const ESTIMATE = 0.00045;

const request = (id: string, tags: Record<string, string> = { key: 'k1' }): AdmissionRequest => admissionRequest(id, tags);

function config(prefix: string, budgets: ConfigInput['budgets']) {
  return resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    state: { redis_url: REDIS_URL, key_prefix: prefix },
    ledger: { path: ':memory:' },
    budgets,
  });
}

/** One request through a replica: admitted or refused, and when admitted it uses every token allowed. */
async function run(ledger: Ledger, id: string, delayMs: number): Promise<'admitted' | 'refused'> {
  let ticket;
  try {
    ticket = await ledger.admission.admit(request(id));
  } catch (err) {
    expect(GatewayError.isInstance(err) && err.kind).toBe('budget_exceeded');
    return 'refused';
  }
  await new Promise((r) => setTimeout(r, delayMs));
  ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', startedAt: NOW, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
  ticket.release();
  return 'admitted';
}

/** Waves of 50 concurrent requests, split across the replicas, until they refuse everything; total recorded spend. */
async function spendUntilRefused(replicas: Ledger[]): Promise<{ total: number; admitted: number; refused: number }> {
  let admitted = 0;
  let refused = 0;
  for (let wave = 0; wave < 10; wave += 1) {
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => run(replicas[i % replicas.length] as Ledger, `w${wave}-${i}`, (i * 7) % 5)));
    admitted += outcomes.filter((o) => o === 'admitted').length;
    refused += outcomes.filter((o) => o === 'refused').length;
  }
  let total = 0;
  for (const r of replicas) {
    await r.flush();
    total += (await r.store!.summarize({ from: 0, to: NOW + 1, groupBy: [] }))[0]?.costUsd ?? 0;
  }
  return { total, admitted, refused };
}

if (REDIS_URL) {
  describe('budgets shared through Redis', () => {
    const admin = new Redis(REDIS_URL);
    const prefixes: string[] = [];
    const prefix = () => {
      const p = `switchyard-test:${process.pid}:${Math.floor(Math.random() * 1e9)}:`;
      prefixes.push(p);
      return p;
    };
    afterAll(async () => {
      for (const p of prefixes) {
        const keys = await admin.keys(`${p}*`);
        if (keys.length > 0) await admin.del(...keys);
      }
      await admin.quit();
    });

    it('two replicas sharing one Redis: 50 concurrent requests split across them overshoot by at most one estimate', async () => {
      const cfg = config(prefix(), { state: 'redis', limits: [{ name: 'global-daily', period: 'daily', hard_usd: 0.01 }] });
      const replicas = [await createLedger(cfg, { now: () => NOW }), await createLedger(cfg, { now: () => NOW })];
      const { total, admitted, refused } = await spendUntilRefused(replicas);
      expect(refused).toBeGreaterThan(0);
      expect(admitted).toBeGreaterThan(0);
      expect(total).toBeGreaterThanOrEqual(0.01 - ESTIMATE);
      expect(total).toBeLessThanOrEqual(0.01 + ESTIMATE + 1e-12);
      for (const r of replicas) await r.close();
    });

    it('the same two replicas with memory counters drift: each spends the whole budget (why Redis is needed)', async () => {
      const cfg = config(prefix(), { state: 'memory', limits: [{ name: 'global-daily', period: 'daily', hard_usd: 0.01 }] });
      const replicas = [await createLedger(cfg, { now: () => NOW }), await createLedger(cfg, { now: () => NOW })];
      const { total } = await spendUntilRefused(replicas);
      expect(total).toBeGreaterThan(0.01 + ESTIMATE);
      for (const r of replicas) await r.close();
    });

    it('sends a soft-limit notice once overall, not once per replica', async () => {
      const cfg = config(prefix(), { state: 'redis', limits: [{ name: 'key-daily', period: 'daily', per: 'key', soft_usd: 0.0002 }] });
      const notices: SoftLimitNotice[] = [];
      const replicas = [
        await createLedger(cfg, { now: () => NOW, onSoftLimit: (n) => notices.push(n) }),
        await createLedger(cfg, { now: () => NOW, onSoftLimit: (n) => notices.push(n) }),
      ];
      // Each attempt costs 0.00021 (1000 in, 100 out): every settle from the first on is over the soft limit.
      for (let i = 0; i < 6; i += 1) {
        const r = replicas[i % 2] as Ledger;
        const t = await r.admission.admit(request(`s${i}`));
        r.observer.onAttempt(attempt({ requestId: `s${i}`, deployment: 'oai', startedAt: NOW }));
        t.release();
      }
      await vi.waitFor(() => expect(notices.length).toBeGreaterThan(0));
      await new Promise((r) => setTimeout(r, 50)); // a second notice, if any, would arrive by now
      expect(notices).toEqual([{ budget: 'key-daily', period: 'daily', scope: 'key=k1', softUsd: 0.0002, spentUsd: expect.any(Number), resetsAt: '2025-06-16T00:00:00.000Z' }]);
      for (const r of replicas) await r.close();
    });

    it('seeds a fresh shared counter once from the ledger, whichever replica gets there first', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      // Spent earlier today, before any replica started: 0.0004 for key k1.
      await store.insert([toUsageEvent(attempt({ requestId: 'old', startedAt: NOW - 3_600_000, tags: { key: 'k1' } }), { usd: 0.0004, priced: true })]);
      const p = prefix();
      const cfg = config(p, { state: 'redis', limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.001 }] });
      const states = [0, 1].map(() => new RedisBudgetState({ url: REDIS_URL, prefix: p, logger: silentLogger, now: () => NOW }));
      const replicas = await Promise.all(states.map((budgetState) => createLedger(cfg, { now: () => NOW, store, budgetState })));
      // 0.0004 seeded + one reservation of 0.00045 < 0.001, two reach it: exactly two of ten are admitted.
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (replicas[i % 2] as Ledger).admission.admit(request(`q${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const ref = { counter: 'k|2025-06-15|k1', budget: 'k', value: 'k1', hardUsd: 0.001, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') };
      const fields = await (states[0] as RedisBudgetState).peek(ref);
      expect(Number(fields.spent)).toBeCloseTo(0.0004, 12);
      expect(Number(fields.reserved)).toBeCloseTo(2 * ESTIMATE, 12);
      expect(fields.seeded).toBe('1');
      // The key expires an hour after the day ends.
      const ttl = await admin.pttl(`${p}{budget}:${ref.counter}`);
      expect(ttl).toBeGreaterThan(Date.parse('2025-06-16') - NOW);
      expect(ttl).toBeLessThanOrEqual(Date.parse('2025-06-16') + 3_600_000 - NOW);
      for (const r of replicas) await r.close();
      for (const s of states) await s.close();
      await store.close();
    });

    it('every replica reports the shared spend of a counter (the budget metrics read it at scrape time)', async () => {
      const cfg = config(prefix(), { state: 'redis', limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.01 }] });
      const replicas = [await createLedger(cfg, { now: () => NOW }), await createLedger(cfg, { now: () => NOW })];
      for (let i = 0; i < 4; i += 1) await run(replicas[i % 2] as Ledger, `m${i}`, 0);
      for (const r of replicas) {
        await vi.waitFor(async () => expect(await (r.admission as BudgetGuard).spending()).toEqual([{ budget: 'k', period: 'daily', scope: 'key=k1', spentUsd: expect.closeTo(4 * ESTIMATE, 12), limitUsd: 0.01, refusals: 0 }]));
      }
      for (const r of replicas) await r.close();
    });

    it('lists counters by looking at a bounded number of keys per read, and says when it stopped before the end (a store shared with a large cache)', async () => {
      const p = prefix();
      // Unrelated keys in the same slot (a cache sharing the store), then the counters themselves.
      const pipeline = admin.pipeline();
      for (let i = 0; i < 5_000; i += 1) pipeline.set(`${p}{budget}:other|${i}`, '1');
      for (const team of ['a', 'b']) pipeline.hset(`${p}{budget}:team-daily|2025-06-15|${team}`, 'spent', '0.5', 'reserved', '0');
      await pipeline.exec();
      const state = new RedisBudgetState({ url: REDIS_URL, prefix: p, logger: silentLogger, now: () => NOW });
      try {
        expect(await state.counterIds('team-daily|2025-06-15|', 10)).toEqual({ ids: expect.arrayContaining(['team-daily|2025-06-15|a', 'team-daily|2025-06-15|b']), complete: true });
        expect(await state.counterIds('team-daily|2025-06-15|', 1)).toEqual({ ids: [expect.stringMatching(/^team-daily\|2025-06-15\|[ab]$/)], complete: false });
        // One step of a thousand keys cannot have looked at all 5,002.
        expect((await state.counterIds('team-daily|2025-06-15|', 10, 1)).complete).toBe(false);
      } finally {
        await state.close();
      }
    });

    it('admits without budget checks while Redis is unreachable, rather than failing requests', async () => {
      const cfg = resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
        state: { redis_url: 'redis://127.0.0.1:9' },
        ledger: { enabled: false },
        budgets: { state: 'redis', limits: [{ name: 'g', period: 'daily', hard_usd: 0.0001 }] },
      });
      const ledger = await createLedger(cfg, { now: () => NOW });
      // Counted, not timed: a command sent to a Redis that is down waits for a reconnection attempt.
      const sent = vi.spyOn(Redis.prototype, 'sendCommand');
      await expect(Promise.resolve(ledger.admission.admit(request('down')))).resolves.toBeDefined();
      expect(sent).toHaveBeenCalled();
      // Once the outage is known, requests no longer wait for Redis to fail: nothing is sent.
      sent.mockClear();
      await expect(Promise.resolve(ledger.admission.admit(request('down-2')))).resolves.toBeDefined();
      expect(sent).not.toHaveBeenCalled();
      sent.mockRestore();
      await ledger.close();
    });

    it('a Redis blip neither leaks the reservations of requests that end during it nor loses their spend: what it held back is written once Redis answers again', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const state = new RedisBudgetState({ url: `redis://127.0.0.1:${proxy.port}`, prefix: prefix(), logger: silentLogger, now: () => NOW });
      const cfg = config('', { limits: [{ name: 'g', period: 'daily', hard_usd: 0.01 }] });
      const ledger = await createLedger(cfg, { now: () => NOW, budgetState: state });
      const tickets = await Promise.all(['a', 'b', 'c'].map((id) => Promise.resolve(ledger.admission.admit(request(id)))));
      const [ref] = (ledger.admission as BudgetGuard).countersFor({ key: 'k1' }, NOW);
      expect(Number((await state.peek(ref!)).reserved)).toBeCloseTo(3 * ESTIMATE, 12);

      await proxy.stop();
      await vi.waitFor(() => expect(state.spent([ref!])).rejects.toThrow(/unreachable/), { timeout: 5000 });
      // All three end while Redis cannot be reached: one answer of 1,000 + 100 tokens each.
      for (const [i, id] of ['a', 'b', 'c'].entries()) {
        ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', startedAt: NOW }));
        tickets[i]!.release();
      }
      await proxy.start();
      await vi.waitFor(() => expect(state.spent([ref!])).resolves.toBeDefined(), { timeout: 5000 });

      // The next request finds the counter as if Redis had never left.
      (await ledger.admission.admit(request('d'))).release();
      const cost = 1000 * 0.15e-6 + 100 * 0.6e-6;
      await vi.waitFor(async () => expect(Number((await state.peek(ref!)).reserved)).toBeCloseTo(0, 12));
      expect(Number((await state.peek(ref!)).spent)).toBeCloseTo(3 * cost, 12);
      await ledger.close();
      await state.close();
      await proxy.stop();
    });

    it('a Redis that stops answering without closing its connection holds requests for well under a second: they are admitted unchecked, and the hard limit holds again once it answers', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const state = new RedisBudgetState({ url: `redis://127.0.0.1:${proxy.port}`, prefix: prefix(), logger: silentLogger, now: () => NOW });
      // A request is admitted while the counter is under the limit: a and one more.
      const ledger = await createLedger(config('', { limits: [{ name: 'g', period: 'daily', hard_usd: 1.5 * ESTIMATE }] }), { now: () => NOW, budgetState: state });
      await ledger.admission.admit(request('a'));

      proxy.stall();
      let started = Date.now();
      await Promise.all(['b', 'c', 'd'].map((id) => Promise.resolve(ledger.admission.admit(request(id)))));
      expect(Date.now() - started).toBeLessThan(1000);
      // Known to be down now: the next request does not wait for a timeout of its own.
      started = Date.now();
      await ledger.admission.admit(request('e'));
      expect(Date.now() - started).toBeLessThan(50);

      // The stalled connection is dropped, and the calls cut off on it with it (had one reached Redis, it would count).
      await vi.waitFor(() => expect(proxy.hungUp).toBeGreaterThan(0));
      proxy.pass();
      const [ref] = (ledger.admission as BudgetGuard).countersFor({ key: 'k1' }, NOW);
      await vi.waitFor(() => expect(state.spent([ref!])).resolves.toBeDefined(), { timeout: 5000, interval: 50 });
      // Enforced again, on a counter that holds a's reservation alone: nothing cut off was sent again.
      await ledger.admission.admit(request('f'));
      await expect(Promise.resolve(ledger.admission.admit(request('g')))).rejects.toMatchObject({ kind: 'budget_exceeded' });
      await ledger.close();
      await state.close();
      await proxy.close();
    }, 15_000);
  });
} else {
  describe.skip('budgets shared through Redis (REDIS_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}

describe('budgets.state config', () => {
  it('refuses budgets.state "redis" without state.redis_url, naming the setting, when the config is read', () => {
    let err: unknown;
    try {
      resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
        ledger: { enabled: false },
        budgets: { state: 'redis', limits: [{ name: 'g', period: 'daily', hard_usd: 1 }] },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([{ path: 'budgets.state', message: 'budgets.state "redis" needs state.redis_url (e.g. ${REDIS_URL})' }]);
  });
});
