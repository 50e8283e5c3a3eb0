import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { resolveConfig } from '../config/load.js';
import { createLedger } from '../ledger/index.js';
import { admissionRequest } from '../ledger/testing/fixtures.js';
import { RedisCounters } from './redis-client.js';
import { REDIS_CLUSTER_URL, startLocalCluster, type LocalCluster } from './testing/redis-cluster.js';

if (!REDIS_CLUSTER_URL) console.warn('REDIS_CLUSTER_URL is not set: skipping the Redis Cluster node outage specs');

const NOW = Date.parse('2025-06-15T12:00:00Z');
// gpt-4o-mini: 1000 x 0.15 + 500 x 0.60 = 450 micro-dollars reserved per request.
const ESTIMATE = 0.00045;

/** Collects the outage lines a connection logs. */
function lines(): { logger: Logger; said: string[] } {
  const said: string[] = [];
  const logger: Logger = { debug() {}, info: (_o, msg) => said.push(msg ?? ''), warn: (_o, msg) => said.push(msg ?? ''), error() {}, child: () => logger };
  return { logger, said };
}

const admitted = async (admit: () => unknown): Promise<'admitted' | 'refused'> => {
  try {
    await admit();
    return 'admitted';
  } catch (err) {
    if (GatewayError.isInstance(err) && err.kind === 'budget_exceeded') return 'refused';
    throw err;
  }
};

// A cluster of its own: these specs kill and pause nodes, which the shared one on 7001-7003 must not see.
describe.skipIf(!REDIS_CLUSTER_URL)('a Redis Cluster node that stops answering or dies', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster();
  }, 30_000);
  afterAll(() => cluster?.close());

  it('a paused node (answers nothing, closes nothing) fails its command within the command timeout, then every command at once until it answers again; the command it cut off is never sent again', async () => {
    const { logger, said } = lines();
    const counters = new RedisCounters({ url: cluster.url, cluster: true, logger, commandTimeoutMs: 300 }, 'spec');
    const node = await cluster.nodeOf('{budget}');
    try {
      await counters.call((r) => r.set('{budget}:probe', 'here'));
      node.pause();
      let started = performance.now();
      await expect(counters.call((r) => r.incr('{budget}:cut'))).rejects.toThrow('spec: Redis did not answer within 300 ms');
      expect(performance.now() - started).toBeLessThan(1_000);
      // Known to be down: nothing is sent, whichever node a key is on.
      started = performance.now();
      await expect(counters.call((r) => r.get('{budget}:probe'))).rejects.toMatchObject({ unreached: true });
      await expect(counters.call((r) => r.get('{ratelimit}:probe'))).rejects.toMatchObject({ unreached: true });
      expect(performance.now() - started).toBeLessThan(50);
      // Still so a second later, though the other nodes answer and the cluster's slot map reads fine.
      await new Promise((r) => setTimeout(r, 1_000));
      started = performance.now();
      await expect(counters.call((r) => r.get('{budget}:probe'))).rejects.toMatchObject({ unreached: true });
      expect(performance.now() - started).toBeLessThan(50);

      node.resume();
      await vi.waitFor(() => expect(counters.call((r) => r.get('{budget}:probe'))).resolves.toBe('here'), { timeout: 10_000, interval: 50 });
      // The node read the cut INCR when it woke, and ran it once: the client never sent it again.
      expect(await counters.call((r) => r.get('{budget}:cut'))).toBe('1');
      expect(said).toEqual(['spec: Redis unreachable', 'spec: Redis is back']);
    } finally {
      node.resume();
      await counters.close();
    }
  }, 20_000);

  it('the gateway admits requests unchecked at once while the node holding the budget counters is dead, and enforces the hard limit again once it is back', async () => {
    const config = resolveConfig({
      deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
      state: { redis_url: cluster.url, redis_mode: 'cluster', key_prefix: `outage${process.pid}:` },
      ledger: { path: ':memory:' },
      budgets: { state: 'redis', limits: [{ name: 'g', period: 'daily', hard_usd: 1.5 * ESTIMATE }] },
    });
    const { logger, said } = lines();
    const ledger = await createLedger(config, { now: () => NOW, logger });
    const admit = (id: string) => ledger.admission.admit(admissionRequest(id, { key: 'k1' }));
    const node = await cluster.nodeOf('{budget}');
    try {
      expect(await admitted(() => admit('a'))).toBe('admitted');
      expect(await admitted(() => admit('b'))).toBe('admitted');
      expect(await admitted(() => admit('c'))).toBe('refused');

      await node.kill();
      for (const id of ['d', 'e', 'f']) {
        const started = performance.now();
        expect(await admitted(() => admit(id))).toBe('admitted');
        expect(performance.now() - started).toBeLessThan(300);
      }

      await node.start();
      // Back, without the counters it held (nothing persisted): recreated and seeded from the ledger, which
      // booked nothing, so two requests fit again and the third is refused; until then each is admitted.
      let n = 0;
      await vi.waitFor(async () => expect(await admitted(() => admit(`back${(n += 1)}`))).toBe('refused'), { timeout: 10_000, interval: 50 });
      expect(said.filter((l) => l.startsWith('budget state:'))).toEqual(['budget state: Redis unreachable', 'budget state: Redis is back']);
    } finally {
      await node.start().catch(() => undefined);
      await ledger.close();
    }
  }, 30_000);
});
