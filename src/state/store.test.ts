import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/logger.js';
import { FakeClock } from '../routing/testing/fakes.js';
import { MemoryStateStore } from './memory.js';
import { RedisStateStore } from './redis.js';
import type { StateStore } from './store.js';
import { REDIS_CLUSTER_URL } from './testing/redis-cluster.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: skipping the Redis state store tests');
if (!REDIS_CLUSTER_URL) console.warn('REDIS_CLUSTER_URL is not set: skipping the Redis Cluster state store tests');

/** One suite every state store must pass. */
function storeSuite(name: string, make: () => { store: StateStore; expire: (ms: number) => Promise<void> }): void {
  describe(`${name} state store`, () => {
    const { store, expire } = make();
    const key = `test:${Math.random().toString(36).slice(2)}`;
    afterAll(() => store.close());

    it('stores, returns copies of, and deletes JSON values', async () => {
      const value = { state: 'open', trips: 2, recoveredAt: null, list: [1, 'a'] };
      await store.set(key, value);
      const got = await store.get(key);
      expect(got).toEqual(value);
      expect(got).not.toBe(value);
      await store.delete(key);
      expect(await store.get(key)).toBeUndefined();
    });

    it('reads several keys in one call, undefined where a key is missing', async () => {
      await store.set(`${key}:m1`, { state: 'open' });
      await store.set(`${key}:m2`, 2);
      expect(await store.getMany([`${key}:m1`, `${key}:missing`, `${key}:m2`])).toEqual([{ state: 'open' }, undefined, 2]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('setIfNewer keeps the newest value whichever order writes arrive in', async () => {
      const k = `${key}:cas`;
      expect(await store.setIfNewer(k, { v: 'first', at: 5 }, 'at')).toBe(true);
      expect(await store.setIfNewer(k, { v: 'late', at: 3 }, 'at')).toBe(false);
      expect(await store.setIfNewer(k, { v: 'same', at: 5 }, 'at')).toBe(false);
      expect(await store.get(k)).toEqual({ v: 'first', at: 5 });
      expect(await store.setIfNewer(k, { v: 'newer', at: 1_700_000_000_123 }, 'at', 10_000)).toBe(true);
      expect(await store.get(k)).toEqual({ v: 'newer', at: 1_700_000_000_123 });
      // A value without the field (another writer's junk) is replaced.
      await store.set(k, 'junk');
      expect(await store.setIfNewer(k, { at: 1 }, 'at')).toBe(true);
    });

    it('expires values after their ttl', async () => {
      await store.set(`${key}:ttl`, 1, 50);
      expect(await store.get(`${key}:ttl`)).toBe(1);
      await expire(60);
      expect(await store.get(`${key}:ttl`)).toBeUndefined();
    });
  });
}

storeSuite('memory', () => {
  const clock = new FakeClock();
  return { store: new MemoryStateStore(clock), expire: async (ms) => clock.advance(ms) };
});

describe.skipIf(!REDIS_URL)('redis', () => {
  storeSuite('redis', () => ({
    store: new RedisStateStore({ url: REDIS_URL, prefix: 'switchyard-test:' }),
    expire: (ms) => new Promise((r) => setTimeout(r, ms)),
  }));
});

// On a cluster the keys share the {state} hash tag: several keys still read in one MGET, not refused CROSSSLOT.
describe.skipIf(!REDIS_CLUSTER_URL)('redis cluster', () => {
  storeSuite('redis cluster', () => ({
    store: new RedisStateStore({ url: REDIS_CLUSTER_URL, cluster: true, prefix: 'switchyard-test:' }),
    expire: (ms) => new Promise((r) => setTimeout(r, ms)),
  }));
});

describe('the Redis state store, its Redis unreachable', () => {
  it("logs one warning for the outage, never ioredis' raw stack traces", async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_obj, msg) => warnings.push(msg ?? ''), child: () => logger };
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // Port 9 (discard) refuses on loopback: every reconnect fails.
    const store = new RedisStateStore({ url: 'redis://127.0.0.1:9', logger });
    try {
      await expect(store.get('k')).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 300));
      expect(warnings).toEqual(['state store: Redis unreachable']);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      await store.close();
    }
  });
});

