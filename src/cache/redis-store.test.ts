import { afterAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import type { ChatRequest } from '../core/types.js';
import { answer, answerText, userRequest } from '../testing/canonical.js';
import { createGateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput, GatewayConfig } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { AppHolder } from '../ops/reload.js';
import { RedisResponseCache } from './redis-store.js';
import { cacheKey } from './key.js';
import { RouteFingerprints } from './route-fingerprint.js';
import { StallingProxy } from '../state/testing/stalling-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const ask: ChatRequest = userRequest('chat', 'shared?', { temperature: 0 });

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
      expect(answerText(hit.response)).toBe('answer from a');
      expect(providers.map((p) => p.calls)).toEqual([1, 0]);
      const [key] = await admin.keys(`${prefix}cache:*`);
      expect(await admin.pttl(key as string)).toBeGreaterThan(59_000);
      await Promise.all(replicas.map((g) => g.close()));
    });

    it('does not store an answer past max_entry_bytes (every hit would read it whole)', async () => {
      const store = new RedisResponseCache({ url: REDIS_URL, prefix, maxEntryBytes: 2_000 });
      const by = { deployment: 'a', provider: 'p', model: 'm', region: undefined };
      await store.set('small', { response: answer('short'), ...by }, 60_000);
      await store.set('large', { response: answer('x'.repeat(2_000)), ...by }, 60_000);
      expect(await admin.exists(`${prefix}cache:small`)).toBe(1);
      expect(await admin.exists(`${prefix}cache:large`)).toBe(0);
      await store.close();
    });

    it('treats an entry of an older shape, or one that is not JSON, as a miss', async () => {
      const store = new RedisResponseCache({ url: REDIS_URL, prefix });
      const old = { response: { id: 'r', model: 'm', created: 0, message: { role: 'assistant', content: 'x' }, finishReason: 'stop', usage: {} }, deployment: 'a', provider: 'p', model: 'm' };
      await admin.set(`${prefix}cache:old`, JSON.stringify(old), 'PX', 60_000);
      await admin.set(`${prefix}cache:garbled`, '{"response":', 'PX', 60_000);
      expect(await store.get('old')).toBeUndefined();
      expect(await store.get('garbled')).toBeUndefined();
      const config: ConfigInput = { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true } }] };
      const gateway = createGateway(config, { createProvider: () => new FakeProvider('a'), responseCache: store });
      // An old entry under the very key the request hashes to is a miss (and is overwritten), not a failure.
      const key = cacheKey(ask, { group: 'chat', deployment: undefined, residency: undefined }, '*', new RouteFingerprints(resolveConfig(config)).of('chat', undefined));
      await admin.set(`${prefix}cache:${key}`, JSON.stringify(old), 'PX', 60_000);
      expect((await gateway.chat(ask)).cache).toBe('miss');
      for (let i = 0; i < 50 && (await store.get(key)) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      expect((await gateway.chat(ask)).cache).toBe('hit');
      await gateway.close();
    });

    it("after a reload that points the group at another model, misses what the old model's answers left in Redis; after one that changes only the log level, hits", async () => {
      const served = (model: string, level: GatewayConfig['logging']['level']): GatewayConfig =>
        resolveConfig({
          deployments: [rawDeployment('a', { model })],
          groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true, ttl_ms: 60_000 } }],
          cache: { store: 'redis' },
          state: { redis_url: REDIS_URL, key_prefix: `${prefix}reload:` },
          ledger: { enabled: false },
          logging: { level },
        });
      let file = served('gpt-4o-mini', 'info');
      // serve's reload: the file read again, a new app built from it (and its own Redis connection).
      const build = (c: GatewayConfig): Promise<App> => createApp(c, { createProvider: (d) => Object.assign(new FakeProvider(d.id), { answer: () => answer(`from ${d.model}`) }) });
      const holder = new AppHolder(await build(file), { load: () => file, build, logger: silentLogger, retireAfterMs: 1_000 });
      const chat = () => holder.current.gateway.chat(ask, { tags: { team: 't' } });

      expect((await chat()).cache).toBe('miss');
      await vi.waitFor(async () => expect((await chat()).cache).toBe('hit'));
      file = served('gpt-4o-mini', 'debug');
      await holder.reload();
      expect((await chat()).cache).toBe('hit');
      file = served('gpt-4o', 'debug');
      await holder.reload();
      const fresh = await chat();
      expect([fresh.cache, answerText(fresh.response)]).toEqual(['miss', 'from gpt-4o']);
      await vi.waitFor(async () => expect((await chat()).cache).toBe('hit'));
      expect(answerText((await chat()).response)).toBe('from gpt-4o');
      await holder.close();
    });

    it('a Redis that stops answering without closing its connection is a miss within well under a second, and hits again once it answers', async () => {
      const url = new URL(REDIS_URL);
      const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port || 6379) });
      await proxy.start();
      const store = new RedisResponseCache({ url: `redis://127.0.0.1:${proxy.port}`, prefix: `${prefix}stall:` });
      const provider = new FakeProvider('a');
      const gateway = createGateway(
        { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true, ttl_ms: 60_000 } }] },
        { createProvider: () => provider, responseCache: store },
      );
      await gateway.chat(ask);
      await vi.waitFor(async () => expect((await gateway.chat(ask)).cache).toBe('hit'));

      proxy.stall();
      let started = Date.now();
      expect((await gateway.chat(ask)).cache).toBe('miss');
      expect(Date.now() - started).toBeLessThan(1000);
      // Known to be down now: the next lookup does not wait for a timeout of its own.
      started = Date.now();
      expect((await gateway.chat(ask)).cache).toBe('miss');
      expect(Date.now() - started).toBeLessThan(50);

      proxy.pass();
      await vi.waitFor(async () => expect((await gateway.chat(ask)).cache).toBe('hit'), { timeout: 5000, interval: 50 });
      await gateway.close();
      await proxy.close();
    }, 15_000);
  });
} else {
  describe.skip('the response cache shared through Redis (REDIS_URL is not set)', () => {
    it('one replica answers from what another cached', () => undefined);
  });
}
