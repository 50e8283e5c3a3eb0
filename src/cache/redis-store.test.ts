import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ChatRequest } from '../core/types.js';
import { createGateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { RedisResponseCache } from './redis-store.js';

const REDIS_URL = process.env.REDIS_URL;
const ask: ChatRequest = { model: 'chat', messages: [{ role: 'user', content: 'shared?' }], temperature: 0 };

if (REDIS_URL) {
  describe('the response cache shared through Redis', () => {
    const prefix = `sy-test-cache-${process.pid}-${Date.now()}:`;
    const admin = new Redis(REDIS_URL);
    afterAll(async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    });

    it("one replica's answer is another replica's hit, and expires with the group ttl", async () => {
      const providers = [new FakeProvider('a'), new FakeProvider('a')];
      const replicas = providers.map((p) =>
        createGateway(
          { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true, ttl_ms: 60_000 } }] },
          { createProvider: () => p, responseCache: new RedisResponseCache({ url: REDIS_URL, prefix }) },
        ),
      );
      const [one, two] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      expect((await one.chat(ask, { tags: { team: 't' } })).cache).toBe('miss');
      // The store is written behind the answer: wait until it lands.
      for (let i = 0; i < 50 && (await admin.keys(`${prefix}cache:*`)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const hit = await two.chat(ask, { tags: { team: 't' } });
      expect(hit.cache).toBe('hit');
      expect(hit.response.message.content).toBe('answer from a');
      expect(providers.map((p) => p.calls)).toEqual([1, 0]);
      const [key] = await admin.keys(`${prefix}cache:*`);
      expect(await admin.pttl(key as string)).toBeGreaterThan(59_000);
      await Promise.all(replicas.map((g) => g.close()));
    });
  });
} else {
  describe.skip('the response cache shared through Redis (REDIS_URL is not set)', () => {
    it('one replica answers from what another cached', () => undefined);
  });
}
