import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '../core/logger.js';
import type { LeaseOptions } from '../state/owner-lease.js';
import { StallingProxy } from '../state/testing/stalling-proxy.js';
import type { LimitRef } from './counters.js';
import { RedisRateLimitState } from './redis-state.js';

const REDIS_URL = process.env.REDIS_URL;
const START = Date.parse('2025-06-15T12:00:30Z');
const DAY_END = Date.parse('2025-06-16T00:00:00Z');
/** tokens_per_day: 1000, one counter for everyone. */
const day: LimitRef = { counter: `tpd|d|${Date.parse('2025-06-15')}|*`, rule: 'tpd', window: 'day', requestLimit: undefined, tokenLimit: 1000, resetAt: DAY_END };

/** A heartbeat the spec runs by hand: `beat()` is one tick. */
function manualBeat(ms: number): { lease: LeaseOptions; beat: () => Promise<void> } {
  let tick: (() => Promise<void>) | undefined;
  return { lease: { ms, schedule: (b) => ((tick = b), () => undefined) }, beat: async () => tick?.() };
}

if (REDIS_URL) {
  describe('token reservations of a day window belong to the replica that made them', () => {
    const admin = new Redis(REDIS_URL);
    const prefixes: string[] = [];
    const prefix = (): string => {
      const p = `sy-test-rl-lease-${process.pid}-${Math.floor(Math.random() * 1e9)}:`;
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

    it('a replica that dies mid-request gives its reserved tokens back once its lease expires: tokens_per_day admits a request that fits again before the day turns', async () => {
      const p = prefix();
      // Its own connection, which the spec cuts as a kill would: no release, no heartbeat, no close.
      const connection = new Redis(REDIS_URL, { autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 });
      const dying = new RedisRateLimitState({ client: connection, prefix: p, logger: silentLogger, now: () => START, lease: manualBeat(250).lease });
      const other = new RedisRateLimitState({ url: REDIS_URL, prefix: p, logger: silentLogger, now: () => START });
      try {
        expect(await dying.take([day], 900)).toMatchObject({ ok: true });
        expect(await other.take([day], 500)).toMatchObject({ ok: false, by: 'tokens' });
        connection.disconnect();
        await vi.waitFor(async () => expect(await other.take([day], 500)).toMatchObject({ ok: true, figures: [{ requests: 2, tokens: 500 }] }), { timeout: 3_000, interval: 50 });
      } finally {
        await other.close();
      }
    });

    it('a take whose answer never came (Redis ran it; the client gave up after its command timeout) does not hold its tokens until the day turns', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const p = prefix();
      const heart = manualBeat(5_000);
      const state = new RedisRateLimitState({ url: `redis://127.0.0.1:${proxy.port}`, prefix: p, logger: silentLogger, now: () => START, lease: heart.lease, commandTimeoutMs: 100 });
      const probe: LimitRef = { ...day, counter: 'probe|d|0|*', tokenLimit: undefined };
      try {
        const first = await state.take([day], 10);
        if (!first.ok) throw new Error('not admitted');
        await state.release([day], { amount: 10, since: first.since, owner: first.owner });

        proxy.stall('replies');
        await expect(state.take([day], 900)).rejects.toThrow(/did not answer/);
        // Redis took it: 900 tokens held for a request admitted without a reservation.
        expect(await admin.hget(`${p}{ratelimit}:${day.counter}`, 'tokens')).toBe('900');
        proxy.pass();
        await vi.waitFor(() => expect(state.take([probe], 0)).resolves.toMatchObject({ ok: true }), { timeout: 5_000, interval: 50 });

        // The next heartbeat drops the lease it ran under: the 900 no request holds are taken back.
        await heart.beat();
        expect(await state.take([day], 500)).toMatchObject({ ok: true, figures: [{ requests: 3, tokens: 500 }] });
      } finally {
        await state.close();
        await proxy.close();
      }
    }, 15_000);
  });
} else {
  describe.skip('token reservations of a day window belong to the replica that made them (REDIS_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
