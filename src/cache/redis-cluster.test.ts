import { afterAll, describe, expect, it, vi } from 'vitest';
import { createGateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { adminCluster, deleteKeys, REDIS_CLUSTER_URL } from '../state/testing/redis-cluster.js';
import { answerText, userRequest } from '../testing/canonical.js';
import { RedisResponseCache } from './redis-store.js';

if (!REDIS_CLUSTER_URL) console.warn('REDIS_CLUSTER_URL is not set: skipping the response cache over a Redis Cluster');

describe.skipIf(!REDIS_CLUSTER_URL)('the response cache shared through a Redis Cluster', () => {
  const prefix = `sy-test-cache-cluster-${process.pid}-${Date.now()}:`;
  afterAll(async () => {
    const admin = adminCluster(REDIS_CLUSTER_URL as string);
    await deleteKeys(admin, `${prefix}*`);
    await admin.quit();
  });

  it("one replica's answers are the other's hits, whichever node each answer's key lands on", async () => {
    const providers = [new FakeProvider('a'), new FakeProvider('a')];
    const stores = providers.map(() => new RedisResponseCache({ url: REDIS_CLUSTER_URL, cluster: true, prefix }));
    const replicas = providers.map((p, i) =>
      createGateway(
        { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true, ttl_ms: 60_000 } }] },
        { createProvider: () => p, responseCache: stores[i] },
      ),
    );
    const [one, two] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    // Several questions: their keys hash to slots all over the cluster.
    const questions = Array.from({ length: 12 }, (_, i) => userRequest('chat', `shared ${i}?`, { temperature: 0 }));
    for (const q of questions) expect((await one.chat(q)).cache).toBe('miss');
    // The store is written behind the answer: wait until every answer has landed.
    const admin = adminCluster(REDIS_CLUSTER_URL as string);
    try {
      const perNode = () => Promise.all(admin.nodes('master').map(async (n) => (await n.keys(`${prefix}cache:*`)).length));
      await vi.waitFor(async () => expect((await perNode()).reduce((a, c) => a + c, 0)).toBe(questions.length), { timeout: 2_000, interval: 10 });
      expect((await perNode()).filter((c) => c > 0).length).toBeGreaterThan(1);
    } finally {
      await admin.quit();
    }
    for (const q of questions) {
      const hit = await two.chat(q);
      expect(hit.cache).toBe('hit');
      expect(answerText(hit.response)).toBe('answer from a');
    }
    expect(providers.map((p) => p.calls)).toEqual([questions.length, 0]);
    await Promise.all(replicas.map((g) => g.close()));
    await Promise.all(stores.map((s) => s.close()));
  });
});
