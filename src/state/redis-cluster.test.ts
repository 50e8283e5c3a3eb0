import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { FakeClock, FakeProvider, failure, rawDeployment, seeded } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
import { RedisCounters } from './redis-client.js';
import { RedisStateStore } from './redis.js';
import { adminCluster, deleteKeys, REDIS_CLUSTER_URL } from './testing/redis-cluster.js';
import { breakerKey, coolingKey, upstreamDigest } from '../routing/breaker-sync.js';

/** The shared-store key (`breakerKey` or `coolingKey`) of a gateway's deployment `id`: keyed by its upstream too. */
function keyOf(g: Gateway, id: string, key: (id: string, upstream: string) => string): string {
  const d = g.config.deployments.find((x) => x.id === id);
  if (!d) throw new Error(`no deployment ${id}`);
  return key(id, upstreamDigest(d));
}

if (!REDIS_CLUSTER_URL) console.warn('REDIS_CLUSTER_URL is not set: skipping the breaker sync over a Redis Cluster');

const config: ConfigInput = {
  deployments: [rawDeployment('primary'), rawDeployment('secondary')],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
  // A long interval: the only syncs are the explicit ones, so the spec is deterministic.
  routing: { max_attempts_per_deployment: 1, state_sync_ms: 60_000, breaker: { consecutive_failures: 2, cool_off_ms: 30_000 } },
};

describe.skipIf(!REDIS_CLUSTER_URL)('breaker state shared across replicas through a Redis Cluster', () => {
  const prefix = `sy-test-sync-${process.pid}-${Date.now()}:`;
  const opened: Array<{ gateway: Gateway; store: RedisStateStore }> = [];
  const replica = (clock: FakeClock) => {
    const providers = new Map<string, FakeProvider>();
    const store = new RedisStateStore({ url: REDIS_CLUSTER_URL, cluster: true, prefix });
    const gateway = createGateway(config, {
      clock,
      random: seeded(7),
      stateStore: store,
      createProvider: (d) => {
        const p = new FakeProvider(d.id);
        providers.set(d.id, p);
        return p;
      },
    });
    opened.push({ gateway, store });
    return { gateway, store, p: (id: string) => providers.get(id) as FakeProvider };
  };
  const servedBy = async (g: Gateway): Promise<string> => (await g.chat(userRequest('chat', 'hi'))).servedBy.deployment;
  afterEach(async () => {
    for (const { gateway, store } of opened.splice(0)) {
      await gateway.close();
      await store.close();
    }
  });
  afterAll(async () => {
    const admin = adminCluster(REDIS_CLUSTER_URL as string);
    await deleteKeys(admin, `${prefix}*`);
    await admin.quit();
  });

  it('a breaker opened and a 429 cool-down on replica A reach replica B in one sync (every deployment read in one MGET)', async () => {
    const clock = new FakeClock();
    const a = replica(clock);
    const b = replica(clock);
    await Promise.all([a.gateway.syncState(), b.gateway.syncState()]);
    a.p('primary').script = () => failure('unavailable');
    a.p('secondary').script = () => failure('rate_limited', { retryAfterMs: 5_000 });
    // Two failures open primary's breaker; secondary's 429 cools it.
    for (let i = 0; i < 2; i++) await a.gateway.chat(userRequest('chat', 'hi')).catch(() => undefined);
    await vi.waitFor(async () => expect(await a.store.get(keyOf(a.gateway, 'primary', breakerKey))).toMatchObject({ state: 'open' }), { timeout: 2_000, interval: 5 });
    await vi.waitFor(async () => expect(await a.store.get(keyOf(a.gateway, 'secondary', coolingKey))).toEqual({ until: clock.now() + 5_000 }), { timeout: 2_000, interval: 5 });

    await b.gateway.syncState();
    const seen = b.gateway.status().deployments;
    expect(seen.find((d) => d.id === 'primary')?.breaker).toMatchObject({ state: 'open', trips: 1 });
    expect(seen.find((d) => d.id === 'secondary')?.coolingUntil).toBe(clock.now() + 5_000);
    // B has not sent either a request: it learned both from A.
    clock.advance(5_000);
    expect(await servedBy(b.gateway)).toBe('secondary');
    expect(b.p('primary').calls).toBe(0);
  });
});

describe.skipIf(!REDIS_CLUSTER_URL)('an app whose config says state.redis_mode: cluster', () => {
  const prefix = `sy-test-app-${process.pid}-${Date.now()}:`;
  afterAll(async () => {
    const admin = adminCluster(REDIS_CLUSTER_URL as string);
    await deleteKeys(admin, `${prefix}*`);
    await admin.quit();
  });

  it('puts what replicas share on the cluster: two apps share answers and one request limit', async () => {
    const config = resolveConfig({
      deployments: [rawDeployment('a')],
      groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true, ttl_ms: 60_000 } }],
      state: { store: 'redis', redis_url: REDIS_CLUSTER_URL, redis_mode: 'cluster', key_prefix: prefix },
      cache: { store: 'redis' },
      rate_limits: [{ name: 'rpd', match: { team: 't' }, requests_per_day: 3 }],
      ledger: { enabled: false },
    });
    const providers = [new FakeProvider('a'), new FakeProvider('a')];
    const apps = await Promise.all(providers.map((p) => createApp(config, { createProvider: () => p })));
    const [a, b] = apps as [(typeof apps)[0], (typeof apps)[0]];
    const ask = (app: typeof a, text: string) => app.gateway.chat(userRequest('chat', text, { temperature: 0 }), { tags: { team: 't' } });
    const admin = adminCluster(REDIS_CLUSTER_URL as string);
    try {
      expect((await ask(a, 'one')).cache).toBe('miss');
      // The answer is stored behind it: b asks once it is there.
      const stored = async () => (await Promise.all(admin.nodes('master').map((n) => n.keys(`${prefix}cache:*`)))).flat();
      await vi.waitFor(async () => expect(await stored()).toHaveLength(1), { timeout: 2_000, interval: 10 });
      expect((await ask(b, 'one')).cache).toBe('hit');
      // Hits are never admitted: the day's 3 requests are a's 'one', then 'two' and 'three'.
      await ask(a, 'two');
      await ask(b, 'three');
      const refused = await ask(b, 'four').catch((err: unknown) => err);
      expect(GatewayError.isInstance(refused) && refused.kind).toBe('rate_limited');
      expect(providers.map((p) => p.calls)).toEqual([2, 1]);
    } finally {
      await admin.quit();
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});

describe.skipIf(!REDIS_CLUSTER_URL || !process.env.REDIS_URL)('state.redis_mode that does not match the Redis', () => {
  it('standalone on a cluster node: a key of another node\'s slots fails saying to set state.redis_mode: cluster, not with a bare MOVED', async () => {
    const counters = new RedisCounters({ url: REDIS_CLUSTER_URL, logger: silentLogger }, 'budget state');
    try {
      // Three tags, three slots: with three primaries, one of them at least is on another node.
      const errors = await Promise.all(['{budget}:k', '{ratelimit}:k', '{state}:k'].map((k) => counters.call((r) => r.get(k)).then(() => undefined, (err: Error) => err.message)));
      expect(errors).toContain('budget state: this Redis is a node of a Redis Cluster (it answered MOVED): set state.redis_mode: cluster');
    } finally {
      await counters.close();
    }
  });

  it('cluster on one server without cluster support: the outage it logs says so', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (o) => warnings.push(o), child: () => logger };
    const counters = new RedisCounters({ url: process.env.REDIS_URL, cluster: true, logger }, 'budget state');
    try {
      await expect(counters.call((r) => r.get('{budget}:k'))).rejects.toThrow();
      await vi.waitFor(() => expect(warnings).toEqual([{ err: expect.stringContaining('cluster support disabled') }]));
    } finally {
      await counters.close();
    }
  });
});
