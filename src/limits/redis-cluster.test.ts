import { afterAll, describe, expect, it, vi } from 'vitest';
import { Cluster } from 'ioredis';
import { silentLogger } from '../core/logger.js';
import { adminCluster, deleteKeys, REDIS_CLUSTER_URL } from '../state/testing/redis-cluster.js';
import type { LimitRef } from './counters.js';
import { RedisRateLimitState } from './redis-state.js';

if (!REDIS_CLUSTER_URL) console.warn('REDIS_CLUSTER_URL is not set: skipping the rate limits over a Redis Cluster');

const START = Date.parse('2025-06-15T12:00:30Z');
/** tokens_per_day: 1000, one counter for everyone. */
const day: LimitRef = { counter: `tpd|d|${Date.parse('2025-06-15')}|*`, rule: 'tpd', window: 'day', requestLimit: undefined, tokenLimit: 1000, resetAt: Date.parse('2025-06-16T00:00:00Z') };

describe.skipIf(!REDIS_CLUSTER_URL)('token reservations of a day window on a Redis Cluster belong to the replica that made them', () => {
  const url = REDIS_CLUSTER_URL as string;
  const prefix = `sy-test-rl-cluster-${process.pid}-${Date.now()}:`;
  afterAll(async () => {
    const admin = adminCluster(url);
    await deleteKeys(admin, `${prefix}*`);
    await admin.quit();
  });

  it('a replica that dies mid-request gives its reserved tokens back once its lease expires; the other replica counts the same requests', async () => {
    // Its own connection, which the spec cuts as a kill would: no release, no heartbeat, no close.
    const u = new URL(url);
    const connection = new Cluster([{ host: u.hostname, port: Number(u.port) }], { redisOptions: { autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 }, retryDelayOnFailover: 0 });
    const dying = new RedisRateLimitState({ client: connection, prefix, logger: silentLogger, now: () => START, lease: { ms: 250, schedule: () => () => undefined } });
    const other = new RedisRateLimitState({ url, cluster: true, prefix, logger: silentLogger, now: () => START });
    try {
      expect(await dying.take([day], 900)).toMatchObject({ ok: true });
      expect(await other.take([day], 500)).toMatchObject({ ok: false, by: 'tokens', figures: [{ requests: 1, tokens: 900 }] });
      connection.disconnect();
      await vi.waitFor(async () => expect(await other.take([day], 500)).toMatchObject({ ok: true, figures: [{ requests: 2, tokens: 500 }] }), { timeout: 3_000, interval: 50 });
    } finally {
      await other.close();
    }
  });
});
