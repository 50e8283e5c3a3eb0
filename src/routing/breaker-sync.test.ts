import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { MemoryStateStore } from '../state/memory.js';
import { RedisStateStore } from '../state/redis.js';
import type { StateStore } from '../state/store.js';
import { BreakerSync, breakerKey, legacyBreakerKey, upstreamDigest } from './breaker-sync.js';
import { DeploymentState } from './deployment-state.js';
import type { Deployment } from './router.js';
import { FakeProvider, fakeDeployment, routing } from './testing/fakes.js';

const REDIS_URL = process.env.REDIS_URL;

/** A store that fails while `down`, as a Redis outage does. */
class FlakyStore extends MemoryStateStore {
  down = false;
  override getMany(keys: readonly string[]) {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : super.getMany(keys);
  }
  override setIfNewer(...args: Parameters<MemoryStateStore['setIfNewer']>) {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : super.setIfNewer(...args);
  }
}

function recording(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info: (_o, m) => lines.push(`info ${m}`), warn: (_o, m) => lines.push(`warn ${m}`), error: (_o, m) => lines.push(`error ${m}`), child: () => logger };
  return { logger, lines };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('breaker sync through a failing state store', () => {
  it('logs an outage once, however many pulls and writes fail, and its end once', async () => {
    const store = new FlakyStore();
    const { logger, lines } = recording();
    const sync = new BreakerSync(store, new Map<string, Deployment>(), { intervalMs: 60_000, ttlMs: 60_000, logger });
    store.down = true;
    for (let i = 0; i < 5; i++) await expect(sync.pullOnce()).rejects.toThrow('ECONNREFUSED');
    sync.coolingPublisher('a')(Date.now() + 1000, 1000);
    sync.drainPublisher('a')({ drained: true, at: Date.now(), reason: null });
    await tick();
    expect(lines).toEqual(['warn state store failed: this replica keeps its own breaker, cool-down and drain states until it answers']);
    store.down = false;
    await sync.pullOnce();
    await sync.pullOnce();
    expect(lines.slice(1)).toEqual(['info state store answers again: breaker, cool-down and drain states shared again']);
    store.down = true;
    await sync.pullOnce().catch(() => undefined);
    expect(lines).toHaveLength(3); // the next outage is told again
  });
});

/** What a release before the upstream digest published under `switchyard:breaker:<id>`. */
const earlier = (state: 'open' | 'closed', changedAt: number) => ({ state, openedAt: changedAt, coolOffMs: 480_000, trips: 5, recoveredAt: null, held: false, reason: '5 consecutive failures (timeout)', changedAt });

/** A rolling upgrade's store: replicas of the earlier release write it, this release's read it; `store` is what they share. */
function rollingUpgradeSuite(name: string, open: () => StateStore): void {
  describe(`breaker sync during a rolling upgrade from keys by id alone (${name})`, () => {
    let store: StateStore;
    beforeAll(() => {
      store = open();
    });
    afterAll(() => store.close());

    /** One deployment (a unique id: the suite shares its store) on a replica of this release, publishing through `sync`. */
    function replica(): { d: Deployment; sync: BreakerSync; digest: string } {
      const id = `up-${Math.random().toString(36).slice(2)}`;
      const { config } = fakeDeployment(id);
      const deployments = new Map<string, Deployment>();
      const sync = new BreakerSync(store, deployments, { intervalMs: 60_000, ttlMs: 60_000, logger: recording().logger });
      const r = routing({ breaker: { consecutive_failures: 5, cool_off_ms: 1_000 } });
      const state = new DeploymentState(config, r, sync.publisher(id), sync.coolingPublisher(id), sync.drainPublisher(id));
      const d: Deployment = { id, config, provider: new FakeProvider(id), state };
      deployments.set(id, d);
      return { d, sync, digest: upstreamDigest(config) };
    }

    it('lets one trial through, not every request, to a deployment the earlier release sees down', async () => {
      const { d, sync } = replica();
      await store.set(legacyBreakerKey(d.id), earlier('open', 5_000));
      await sync.pullOnce();
      expect(d.state.breaker.acquire(6_000)).toBe('probe');
      expect(d.state.breaker.acquire(6_000)).toBeUndefined();
    });

    it("never takes its trips or cool-off: a failed trial opens it with this release's first cool-off, published under the digest key only", async () => {
      const { d, sync, digest } = replica();
      await store.set(legacyBreakerKey(d.id), earlier('open', 5_000));
      await sync.pullOnce();
      d.state.begin({ startedAt: 6_000 });
      d.state.breaker.onFailure(6_000, true, 'unavailable');
      expect(d.state.breaker.toJSON()).toMatchObject({ state: 'open', trips: 1, coolOffMs: 1_000 });
      await tick();
      expect(await store.get(breakerKey(d.id, digest))).toMatchObject({ state: 'open', trips: 1 });
      expect(await store.get(legacyBreakerKey(d.id))).toEqual(earlier('open', 5_000));
    });

    it('ignores the earlier release once a replica of this release shared a state under the digest key, however old', async () => {
      const { d, sync, digest } = replica();
      await store.set(breakerKey(d.id, digest), earlier('closed', 1_000));
      await store.set(legacyBreakerKey(d.id), earlier('open', 5_000));
      await sync.pullOnce();
      expect(d.state.breaker.acquire(6_000)).toBe('normal');
    });

    it("takes neither the earlier release's closed breaker nor its 429 cool-down (it may be another upstream's)", async () => {
      const { d, sync } = replica();
      await store.set(legacyBreakerKey(d.id), earlier('closed', 5_000));
      await store.set(`switchyard:cooling:${d.id}`, { until: Date.now() + 600_000 });
      await sync.pullOnce();
      expect(d.state.breaker.acquire(6_000)).toBe('normal');
      expect(d.state.coolingFor(Date.now())).toBe(0);
    });

    it('goes back to the earlier release only for a newer snapshot once its own trial closed it', async () => {
      const { d, sync } = replica();
      await store.set(legacyBreakerKey(d.id), earlier('open', 5_000));
      await sync.pullOnce();
      d.state.begin({ startedAt: 6_000 });
      d.state.breaker.onSuccess(6_000, true);
      await store.delete(breakerKey(d.id, upstreamDigest(d.config))); // as if its write were lost
      await sync.pullOnce();
      expect(d.state.breaker.acquire(6_001)).toBe('normal');
    });
  });
}

rollingUpgradeSuite('memory store', () => new MemoryStateStore());
describe.skipIf(!REDIS_URL)('redis', () => {
  rollingUpgradeSuite('Redis', () => new RedisStateStore({ url: REDIS_URL, prefix: `switchyard-upgrade-test:${process.pid}:` }));
});
