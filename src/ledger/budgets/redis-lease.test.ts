import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '../../core/logger.js';
import { StallingProxy } from '../../state/testing/stalling-proxy.js';
import type { LeaseOptions } from '../../state/owner-lease.js';
import { RedisBudgetState } from './redis-state.js';
import { RESERVE } from './redis-scripts.js';
import type { CounterRef } from './state.js';
import { startReservingReplica } from './testing/reserving-replica.js';

const REDIS_URL = process.env.REDIS_URL;
const NOW = Date.parse('2025-06-15T12:00:00Z');
/** A daily budget of $0.50: one reservation of $0.60 fills it. */
const ref: CounterRef = { counter: 'daily|2025-06-15|*', budget: 'daily', value: '*', hardUsd: 0.5, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') };

/** A heartbeat the spec runs by hand: `beat()` is one tick. */
function manualBeat(): { lease: LeaseOptions; beat: () => Promise<void> } {
  let tick: (() => Promise<void>) | undefined;
  return {
    lease: { ms: 250, schedule: (b) => ((tick = b), () => undefined) },
    beat: async () => tick?.(),
  };
}

const owners = (fields: Record<string, string>): string[] => Object.keys(fields).filter((f) => f.startsWith('r:'));

if (REDIS_URL) {
  describe('budget reservations in Redis belong to the replica that made them', () => {
    const admin = new Redis(REDIS_URL);
    const prefixes: string[] = [];
    const prefix = (): string => {
      const p = `switchyard-test:lease:${process.pid}:${Math.floor(Math.random() * 1e9)}:`;
      prefixes.push(p);
      return p;
    };
    const replica = (p: string, lease?: LeaseOptions, url = REDIS_URL, commandTimeoutMs?: number) =>
      new RedisBudgetState({ url, prefix: p, logger: silentLogger, now: () => NOW, lease, commandTimeoutMs });
    afterAll(async () => {
      for (const p of prefixes) {
        const keys = await admin.keys(`${p}*`);
        if (keys.length > 0) await admin.del(...keys);
      }
      await admin.quit();
    });

    it('a replica killed with SIGKILL mid-request gives its reservation back once its lease expires: the daily budget admits a request that fits again, not at midnight', async () => {
      const p = prefix();
      const child = await startReservingReplica({ url: REDIS_URL, prefix: p, now: NOW, ref, amount: 0.6 });
      try {
        expect(child.result.ok).toBe(true);

        const other = replica(p);
        // Alive past its lease (its heartbeat keeps it): its reservation holds the budget.
        await new Promise((r) => setTimeout(r, 900));
        expect(await other.reserve([ref], 0.6)).toMatchObject({ ok: false, reserved: 0.6 });

        await child.kill();
        const killedAt = Date.now();
        await vi.waitFor(async () => expect(await other.reserve([ref], 0.6)).toMatchObject({ ok: true }), { timeout: 5_000, interval: 50 });
        expect(Date.now() - killedAt).toBeLessThan(3_000);
        const fields = await other.peek(ref);
        // Only the survivor's reservation is held: the dead one's part was taken back.
        expect(Number(fields.reserved)).toBeCloseTo(0.6, 12);
        expect(owners(fields)).toHaveLength(1);
        await other.close();
      } finally {
        await child.kill();
      }
    }, 20_000);

    it('a replica whose lease lapsed while it lived (a long pause) gives back only what it still holds: what another replica took back is not given back twice', async () => {
      const p = prefix();
      const paused = manualBeat();
      const a = replica(p, paused.lease);
      const b = replica(p);
      const mine = await a.reserve([ref], 0.3);
      if (!mine.ok) throw new Error('not admitted');
      // No heartbeat for longer than the lease: another replica may take its reservation back.
      await new Promise((r) => setTimeout(r, 350));
      const first = await b.reserve([ref], 0.3);
      expect(first).toMatchObject({ ok: true });
      // At the limit (0.3 + 0.3): the lapsed lease's 0.3 is taken back, and this one fits.
      expect(await b.reserve([ref], 0.3)).toMatchObject({ ok: true });
      expect(Number((await b.peek(ref)).reserved)).toBeCloseTo(0.6, 12);

      // The paused replica wakes and ends its request: nothing of b's is given back with it.
      await a.release([ref], { amount: 0.3, since: mine.since, owner: mine.owner });
      expect(Number((await b.peek(ref)).reserved)).toBeCloseTo(0.6, 12);

      // Nor does it record under the lapsed lease again: refused under a new one, b's alone holding the counter.
      expect(await a.reserve([ref], 0.3)).toMatchObject({ ok: false, reserved: 0.6 });
      expect(owners(await b.peek(ref))).toEqual([`r:${first.ok ? first.owner : ''}`]);
      await a.close();
      await b.close();
    });

    it('a replica that closes gives back what it still holds at once, without waiting for its lease to expire', async () => {
      const p = prefix();
      const a = replica(p);
      const b = replica(p);
      expect(await a.reserve([ref], 0.6)).toMatchObject({ ok: true });
      expect(await b.reserve([ref], 0.6)).toMatchObject({ ok: false });
      await a.close();
      expect(await b.reserve([ref], 0.6)).toMatchObject({ ok: true });
      await b.close();
    });

    it('a counter an older build wrote (a plain `reserved`, no owners: a rolling upgrade) keeps that part: only dead owners\' parts are taken back', async () => {
      const p = prefix();
      const key = `${p}{budget}:${ref.counter}`;
      // The old build's 0.2 held by a request in flight, and a dead replica's 0.3 (no lease).
      await admin.hset(key, { spent: '0', reserved: '0.5', since: String(NOW), seeded: '1', 'r:dead.0': '0.3' });
      const b = replica(p);
      const admitted = await b.reserve([ref], 0.2);
      expect(admitted).toMatchObject({ ok: true });
      expect(Number(await admin.hget(key, 'reserved'))).toBeCloseTo(0.4, 12);
      expect(await admin.hget(key, 'r:dead.0')).toBeNull();
      // The old build's own release, as it did it, still finds its part.
      await admin.hincrbyfloat(key, 'reserved', '-0.2');
      if (!admitted.ok) throw new Error('unreachable');
      await b.release([ref], { amount: 0.2, since: admitted.since, owner: admitted.owner });
      expect(Number(await admin.hget(key, 'reserved'))).toBeCloseTo(0, 12);
      await b.close();
    });

    it('closes within two command timeouts while Redis stalls (its leases dropped, then its connection), rather than hanging shutdown', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const a = replica(prefix(), undefined, `redis://127.0.0.1:${proxy.port}`, 100);
      try {
        expect(await a.reserve([ref], 0.1)).toMatchObject({ ok: true });
        proxy.stall();
        const started = performance.now();
        await a.close();
        expect(performance.now() - started).toBeLessThan(400);
      } finally {
        await proxy.close();
      }
    });

    it('a reserve whose answer never came (Redis ran it; the client gave up after its command timeout) does not hold the budget until midnight', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const p = prefix();
      const heart = manualBeat();
      const a = replica(p, { ...heart.lease, ms: 5_000 }, `redis://127.0.0.1:${proxy.port}`, 100);
      try {
        // A first reservation, given back: the lease it was made under is known to exist.
        const first = await a.reserve([ref], 0.01);
        if (!first.ok) throw new Error('not admitted');
        await a.release([ref], { amount: 0.01, since: first.since, owner: first.owner });

        proxy.stall('replies');
        await expect(a.reserve([ref], 0.6)).rejects.toThrow(/did not answer/);
        // Redis took it: 0.6 is held for a request that was admitted without a reservation.
        expect(Number(await admin.hget(`${p}{budget}:${ref.counter}`, 'reserved'))).toBeCloseTo(0.6, 12);
        proxy.pass();
        await vi.waitFor(() => expect(a.spent([ref])).resolves.toBeDefined(), { timeout: 5_000, interval: 50 });

        // The next heartbeat drops the lease it ran under (nothing this process knows of is held there).
        await heart.beat();
        const result = await a.reserve([ref], 0.6);
        expect(result).toMatchObject({ ok: true });
        expect(Number(await admin.hget(`${p}{budget}:${ref.counter}`, 'reserved'))).toBeCloseTo(0.6, 12);

        // Had Redis run the lost reserve only now, it would record nothing: its lease is gone.
        const lost = first.owner as string;
        const late = await admin.eval(RESERVE.lua, 2, `${p}{budget}:${ref.counter}`, `${p}{budget}:leases`, '0.6', String(NOW), lost, '5000', '', '', '90000000');
        expect(late).toEqual(['lease']);
      } finally {
        await a.close();
        await proxy.close();
      }
    }, 15_000);
  });
} else {
  describe.skip('budget reservations in Redis belong to the replica that made them (REDIS_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
