import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '../config/schema.js';
import type { ChatRequest } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { FakeClock, FakeProvider, failure, rawDeployment, seeded } from '../routing/testing/fakes.js';
import { MemoryStateStore } from '../state/memory.js';
import { RedisStateStore } from '../state/redis.js';
import type { StateStore } from '../state/store.js';
import { breakerKey, coolingKey, upstreamDigest } from '../routing/breaker-sync.js';
import { createGateway, type Gateway } from './gateway.js';

/** Where a gateway's replicas share deployment `id`'s breaker and cool-down: keyed by its upstream too. */
function keysOf(g: Gateway, id: string): { breaker: string; cooling: string } {
  const d = g.config.deployments.find((x) => x.id === id);
  if (!d) throw new Error(`no deployment ${id}`);
  return { breaker: breakerKey(id, upstreamDigest(d)), cooling: coolingKey(id, upstreamDigest(d)) };
}

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: skipping the replicas-over-Redis breaker sync tests');

/** One replica: its own providers (so each replica's view of an upstream is its own) over a shared store. */
function replica(config: ConfigInput, clock: FakeClock, stateStore: StateStore) {
  const providers = new Map<string, FakeProvider>();
  const gateway = createGateway(config, {
    clock,
    random: seeded(7),
    stateStore,
    createProvider: (d) => {
      const p = new FakeProvider(d.id);
      providers.set(d.id, p);
      return p;
    },
  });
  opened.push(gateway);
  return { gateway, p: (id: string) => providers.get(id) as FakeProvider };
}

const opened: Gateway[] = [];
const hello: ChatRequest = userRequest('chat', 'hi');
const config = (syncMs: number): ConfigInput => ({
  deployments: [rawDeployment('primary'), rawDeployment('secondary')],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
  routing: { max_attempts_per_deployment: 1, state_sync_ms: syncMs, breaker: { consecutive_failures: 2, cool_off_ms: 30_000 }, failback: { ramp_ms: 60_000, start_share: 0.1 } },
});
const servedBy = async (g: Gateway): Promise<string> => (await g.chat({ ...hello })).servedBy.deployment;
const breaker = (g: Gateway) => g.status().deployments.find((d) => d.id === 'primary')?.breaker;

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((g) => g.close()));
});

describe('breaker state shared across replicas (memory store, fake timers)', () => {
  it('a breaker opened on replica A excludes that deployment on replica B after one sync', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const a = replica(config(1_000), clock, store);
    const b = replica(config(1_000), clock, store);
    a.p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) expect(await servedBy(a.gateway)).toBe('secondary');
    expect(breaker(a.gateway)?.state).toBe('open');
    // Requests never read the store: until its next sync B still sends to its (locally healthy) primary.
    expect(await servedBy(b.gateway)).toBe('primary');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(breaker(b.gateway)).toMatchObject({ state: 'open', trips: 1, retryAt: clock.now() + 30_000 });
    for (let i = 0; i < 5; i++) expect(await servedBy(b.gateway)).toBe('secondary');
    expect(b.p('primary').calls).toBe(1);
  });

  it("a recovery proven on one replica closes the others' breakers, failback ramp included", async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const a = replica(config(1_000), clock, store);
    const b = replica(config(1_000), clock, store);
    a.p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) await servedBy(a.gateway);
    await vi.advanceTimersByTimeAsync(1_000);
    clock.advance(30_000);
    // B's half-open trial succeeds within the same millisecond both replicas half-opened.
    expect(await servedBy(b.gateway)).toBe('primary');
    expect(breaker(b.gateway)?.state).toBe('closed');
    // A notices its half-open only now and publishes it: that late write must not replace B's close.
    expect(breaker(a.gateway)?.state).toBe('half-open');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(breaker(a.gateway)).toMatchObject({ state: 'closed', rampShare: 0.1 });
    // A adopted the recovery instead of sending a trial of its own to the primary.
    expect(a.p('primary').calls).toBe(2);
  });

  it('a 429 on replica A cools that deployment on replica B after one sync, for exactly its retry-after', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const a = replica(config(1_000), clock, store);
    const b = replica(config(1_000), clock, store);
    a.p('primary').script = (n) => (n === 1 ? failure('rate_limited', { retryAfterMs: 5_000 }) : 'ok');
    expect(await servedBy(a.gateway)).toBe('secondary');
    await vi.advanceTimersByTimeAsync(1_000);
    clock.advance(1_000);
    expect(b.gateway.status().deployments.find((d) => d.id === 'primary')?.coolingUntil).toBe(clock.now() + 4_000);
    for (let i = 0; i < 3; i++) expect(await servedBy(b.gateway)).toBe('secondary');
    expect(b.p('primary').calls).toBe(0);
    // The rate limit was no health verdict: neither replica opened a breaker.
    expect(breaker(a.gateway)?.state).toBe('closed');
    expect(breaker(b.gateway)?.state).toBe('closed');
    clock.advance(4_000);
    expect(await servedBy(b.gateway)).toBe('primary');
  });
});

describe.skipIf(!REDIS_URL)('breaker state shared across replicas (Redis)', () => {
  const prefix = `switchyard-sync-test:${Math.random().toString(36).slice(2)}:`;
  const stores: RedisStateStore[] = [];
  /** The keys a test's replicas wrote, deleted after it. */
  const written: string[] = [];
  const shared = (g: Gateway, id: string): { breaker: string; cooling: string } => {
    const keys = keysOf(g, id);
    written.push(keys.breaker, keys.cooling);
    return keys;
  };
  const redis = (): RedisStateStore => {
    const s = new RedisStateStore({ url: REDIS_URL, prefix });
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((g) => g.close()));
    const cleaner = stores[0];
    for (const key of written.splice(0)) await cleaner?.delete(key);
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('a breaker opened on replica A excludes that deployment on replica B after one sync', async () => {
    const clock = new FakeClock();
    const observer = redis();
    // A long interval: the only sync after start-up is the explicit one, so the test is deterministic.
    const a = replica(config(60_000), clock, redis());
    const b = replica(config(60_000), clock, redis());
    await Promise.all([a.gateway.syncState(), b.gateway.syncState()]);
    a.p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) expect(await servedBy(a.gateway)).toBe('secondary');
    await vi.waitFor(async () => expect(await observer.get(shared(a.gateway, 'primary').breaker)).toMatchObject({ state: 'open' }), { timeout: 2_000, interval: 5 });
    expect(await servedBy(b.gateway)).toBe('primary');
    await b.gateway.syncState();
    expect(breaker(b.gateway)).toMatchObject({ state: 'open', trips: 1 });
    expect(await servedBy(b.gateway)).toBe('secondary');
    expect(b.p('primary').calls).toBe(1);
  });

  it('a 429 on replica A cools that deployment on replica B after one sync', async () => {
    const clock = new FakeClock();
    const observer = redis();
    const a = replica(config(60_000), clock, redis());
    const b = replica(config(60_000), clock, redis());
    await Promise.all([a.gateway.syncState(), b.gateway.syncState()]);
    a.p('primary').script = () => failure('rate_limited', { retryAfterMs: 5_000 });
    expect(await servedBy(a.gateway)).toBe('secondary');
    const until = clock.now() + 5_000;
    await vi.waitFor(async () => expect(await observer.get(shared(a.gateway, 'primary').cooling)).toEqual({ until }), { timeout: 2_000, interval: 5 });
    await b.gateway.syncState();
    expect(await servedBy(b.gateway)).toBe('secondary');
    expect(b.p('primary').calls).toBe(0);
  });

  it("a recovery on B reaches A even when A's stale half-open is written after it", async () => {
    const clock = new FakeClock();
    const observer = redis();
    const a = replica(config(60_000), clock, redis());
    const b = replica(config(60_000), clock, redis());
    await Promise.all([a.gateway.syncState(), b.gateway.syncState()]);
    a.p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) await servedBy(a.gateway);
    await vi.waitFor(async () => expect(await observer.get(shared(a.gateway, 'primary').breaker)).toMatchObject({ state: 'open' }), { timeout: 2_000, interval: 5 });
    await b.gateway.syncState();
    clock.advance(30_000);
    expect(await servedBy(b.gateway)).toBe('primary');
    await vi.waitFor(async () => expect(await observer.get(shared(a.gateway, 'primary').breaker)).toMatchObject({ state: 'closed' }), { timeout: 2_000, interval: 5 });
    // A half-opens only now and publishes that; its next read runs on the same connection, after the write.
    expect(breaker(a.gateway)?.state).toBe('half-open');
    await a.gateway.syncState();
    expect(breaker(a.gateway)).toMatchObject({ state: 'closed', rampShare: 0.1 });
    expect(await observer.get(shared(a.gateway, 'primary').breaker)).toMatchObject({ state: 'closed' });
    expect(a.p('primary').calls).toBe(2);
  });
});
