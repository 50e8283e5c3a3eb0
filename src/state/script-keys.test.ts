import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '../core/logger.js';
import { RedisBudgetState } from '../ledger/budgets/redis-state.js';
import type { CounterRef } from '../ledger/budgets/state.js';
import type { LimitRef } from '../limits/counters.js';
import { RedisRateLimitState } from '../limits/redis-state.js';
import type { LeaseOptions } from './owner-lease.js';
import { RedisStateStore } from './redis.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: skipping the check of the keys Lua scripts touch');

/** Commands the scripts run that name no key. */
const KEYLESS = new Set(['time']);

interface Touch {
  command: string;
  key: string;
  declared: readonly string[];
}

/** A heartbeat the spec runs by hand. */
function manualBeat(ms: number): { lease: LeaseOptions; beat: () => Promise<void> } {
  let tick: (() => Promise<void>) | undefined;
  return { lease: { ms, schedule: (b) => ((tick = b), () => undefined) }, beat: async () => tick?.() };
}

/*
 * Redis Cluster runs a script on the node of its declared keys' slot, and a key the script was not given
 * is undefined behaviour: while its slot migrates it may already be on the other node, read as missing
 * (a live replica's lease taken for a dead one's). MONITOR lists each command a script runs right after
 * the EVALSHA that ran it: every key those commands name must be one of the EVALSHA's KEYS.
 */
/**
 * A MONITOR connection. ioredis can fail to set one up while other clients' commands stream in (specs
 * run side by side): "Command queue state error" when a monitored line arrives before MONITOR's own OK.
 * The race is in the client, not in what is checked here, so setting up is tried again.
 */
async function openMonitor(): Promise<Redis> {
  for (let attempt = 1; ; attempt++) {
    const client = new Redis(REDIS_URL as string);
    try {
      return await client.monitor();
    } catch (err) {
      if (attempt >= 3) throw err;
    } finally {
      client.disconnect();
    }
  }
}

describe.skipIf(!REDIS_URL)('the Lua scripts of the shared state touch only the keys they are given (Redis Cluster\'s rule)', () => {
  const prefix = `sy-test-keys-${process.pid}-${Date.now()}:`;
  const touches: Touch[] = [];
  let monitor: Redis;
  beforeAll(async () => {
    monitor = await openMonitor();
    let declared: string[] | undefined;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const command = (args[0] ?? '').toLowerCase();
      if (source !== 'lua') {
        // Another client's commands (specs run side by side) are never inside one of these scripts.
        const keys = command === 'eval' || command === 'evalsha' ? args.slice(3, 3 + Number(args[2])) : [];
        declared = keys.length > 0 && keys.every((k) => k.startsWith(prefix)) ? keys : undefined;
        return;
      }
      if (declared !== undefined && !KEYLESS.has(command)) touches.push({ command, key: args[1] ?? '', declared });
    });
  });
  afterAll(async () => {
    monitor?.disconnect();
    const admin = new Redis(REDIS_URL as string);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('budget, rate-limit and breaker-state scripts, the taking back of a dead replica\'s reservation and the heartbeat included', async () => {
    const admin = new Redis(REDIS_URL as string);
    const now = Date.parse('2025-06-15T12:00:00Z');
    const day: CounterRef = { counter: 'daily|2025-06-15|*', budget: 'daily', value: '*', hardUsd: 0.5, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') };
    const team: CounterRef = { ...day, counter: 'team|2025-06-15|t', value: 't', hardUsd: undefined };
    const tpd: LimitRef = { counter: `tpd|d|${Date.parse('2025-06-15')}|*`, rule: 'tpd', window: 'day', requestLimit: 100, tokenLimit: 1000, resetAt: Date.parse('2025-06-16') };
    const hearts = [manualBeat(30_000), manualBeat(30_000)] as const;
    const budgets = new RedisBudgetState({ url: REDIS_URL, prefix, logger: silentLogger, now: () => now, lease: hearts[0].lease });
    const limits = new RedisRateLimitState({ url: REDIS_URL, prefix, logger: silentLogger, now: () => now, lease: hearts[1].lease });
    const state = new RedisStateStore({ url: REDIS_URL, prefix });
    try {
      await budgets.seedStatus(day);
      await budgets.seed(day, 0);
      const first = await budgets.reserve([day, team], 0.2);
      if (!first.ok) throw new Error('not admitted');
      await budgets.settle([day, team], 0.1, { amount: 0.2, since: first.since, owner: first.owner });
      // A dead replica's 0.45 (its owner has no lease): the next reserve at the limit takes it back.
      await admin.hincrbyfloat(`${prefix}{budget}:${day.counter}`, 'reserved', '0.45');
      await admin.hset(`${prefix}{budget}:${day.counter}`, 'r:dead.0', '0.45');
      const second = await budgets.reserve([day, team], 0.2);
      expect(second).toMatchObject({ ok: true });
      expect(await admin.hget(`${prefix}{budget}:${day.counter}`, 'r:dead.0')).toBeNull();
      if (!second.ok) throw new Error('not admitted');
      await budgets.release([day, team], { amount: 0.2, since: second.since, owner: second.owner });
      await budgets.spent([day, team]);
      await budgets.claimNotice(day);

      const took = await limits.take([tpd], 600);
      if (!took.ok) throw new Error('not admitted');
      await admin.hincrby(`${prefix}{ratelimit}:${tpd.counter}`, 'tokens', 300);
      await admin.hset(`${prefix}{ratelimit}:${tpd.counter}`, 'r:dead.0', '300');
      expect(await limits.take([tpd], 300)).toMatchObject({ ok: true });
      await limits.settle([tpd], 200, { amount: 600, since: took.since, owner: took.owner });

      await state.setIfNewer('breaker:a', { state: 'open', changedAt: 1 }, 'changedAt', 60_000);
      for (const heart of hearts) await heart.beat();
      await budgets.close();
      await limits.close();
    } finally {
      await state.close();
      await admin.quit();
    }
    // MONITOR's feed is behind the replies: give it a moment.
    await new Promise((r) => setTimeout(r, 200));
    expect(touches.length).toBeGreaterThan(50);
    expect(touches.filter((t) => !t.declared.includes(t.key))).toEqual([]);
    // The heartbeat and the close ran (and were checked): they drop leases.
    expect(touches.filter((t) => t.command === 'hdel' && t.key.endsWith(':leases')).length).toBeGreaterThan(0);
  });
});
