import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { COMMAND_TIMEOUT_MS, RedisCounters } from './redis-client.js';
import { RedisStateStore, STATE_COMMAND_TIMEOUT_MS } from './redis.js';
import { StallingProxy } from './testing/stalling-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL not set: skipping the Redis close specs');

/** How long `close` took. */
async function timed(close: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await close();
  return performance.now() - started;
}

describe.skipIf(!REDIS_URL)('closing a Redis-backed store while Redis stalls', () => {
  let proxy: StallingProxy;
  let url: string;
  beforeEach(async () => {
    const target = new URL(REDIS_URL as string);
    proxy = new StallingProxy({ host: target.hostname, port: Number(target.port || 6379) });
    await proxy.start();
    url = `redis://127.0.0.1:${proxy.port}`;
  });
  afterEach(() => proxy.close());

  it('the shared state store (breakers, cool-downs) closes within a command timeout and drops its connection, rather than hanging shutdown', async () => {
    const store = new RedisStateStore({ url, logger: silentLogger });
    await store.set('close-spec', 1, 1_000);
    proxy.stall();
    expect(await timed(() => store.close())).toBeLessThan(COMMAND_TIMEOUT_MS + 200);
    await vi.waitFor(() => expect(proxy.hungUp).toBe(1));
  });

  it('the counters of rate limits and budgets close within their own command timeout', async () => {
    const counters = new RedisCounters({ url, logger: silentLogger, commandTimeoutMs: 100 }, 'close spec');
    await counters.call((r) => r.ping());
    proxy.stall();
    expect(await timed(() => counters.close())).toBeLessThan(300);
    await vi.waitFor(() => expect(proxy.hungUp).toBe(1));
  });

  it('a read or write of the shared state store under a stalled Redis fails after its command timeout, so the breaker sync reports the outage and stops, rather than waiting forever', async () => {
    const store = new RedisStateStore({ url, logger: silentLogger });
    await store.set('stall-spec', 1, 1_000);
    proxy.stall();
    const started = performance.now();
    await expect(store.getMany(['stall-spec'])).rejects.toThrow(/timed? ?out/i);
    await expect(store.setIfNewer('stall-spec', { at: 2 }, 'at', 1_000)).rejects.toThrow(/timed? ?out/i);
    expect(performance.now() - started).toBeLessThan(2 * STATE_COMMAND_TIMEOUT_MS + 400);
    await store.close();
  });

  it('a healthy store still closes gracefully: what it sent before the close is answered first', async () => {
    const store = new RedisStateStore({ url, logger: silentLogger });
    await store.get('close-spec');
    const write = store.set('close-spec-graceful', 1, 1_000);
    await store.close();
    await expect(write).resolves.toBeUndefined();
  });
});
