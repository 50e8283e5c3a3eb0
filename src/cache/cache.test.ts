import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import type { ChatRequest, StreamPart } from '../core/types.js';
import { createGateway, type GatewayOptions } from '../gateway/gateway.js';
import type { ConfigInput } from '../config/schema.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { cacheKey } from './key.js';
import { MemoryResponseCache } from './store.js';

const ask = (over: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0, ...over });

function build(group: Record<string, unknown> = {}, extra: GatewayOptions = {}) {
  const clock = new FakeClock();
  const provider = new FakeProvider('a');
  const records: AttemptRecord[] = [];
  const config: ConfigInput = { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], ...group }] };
  const gateway = createGateway(config, { clock, createProvider: () => provider, observers: [{ onAttempt: (r) => records.push(r) }], ...extra });
  return { gateway, provider, records, clock };
}

async function text(parts: AsyncIterable<StreamPart>): Promise<string[]> {
  const seen: string[] = [];
  for await (const p of parts) seen.push(p.type === 'text' ? `text:${p.delta}` : p.type);
  return seen;
}

describe('the response cache', () => {
  it('answers a repeated request of a caching group from the cache, without an upstream call, and records the hit', async () => {
    const { gateway, provider, records } = build({ cache: { enabled: true } });
    const first = await gateway.chat(ask(), { tags: { key: 'k1' } });
    expect(first.cache).toBe('miss');
    const second = await gateway.chat(ask(), { tags: { key: 'k1' } });
    expect(second.cache).toBe('hit');
    expect(second.response.message).toEqual(first.response.message);
    expect(second.servedBy).toMatchObject({ deployment: 'a', attempts: 0 });
    expect(provider.calls).toBe(1);
    expect(records.map((r) => r.cacheHit === true)).toEqual([false, true]);
    expect(records[1]?.usage).toEqual(first.response.usage);
  });

  it('caches only for clients that opt in with x-switchyard-cache: on where the group does not cache, and lets them opt out', async () => {
    const { gateway, provider } = build();
    expect((await gateway.chat(ask())).cache).toBeUndefined();
    await gateway.chat(ask(), { cache: 'on' });
    expect((await gateway.chat(ask(), { cache: 'on' })).cache).toBe('hit');
    expect((await gateway.chat(ask(), { cache: 'off' })).cache).toBeUndefined();
    expect(provider.calls).toBe(3);
  });

  it("never gives one team's cached answer to another team", async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    await gateway.chat(ask(), { tags: { key: 'k1', team: 'red' } });
    expect((await gateway.chat(ask(), { tags: { key: 'k2', team: 'red' } })).cache).toBe('hit');
    expect((await gateway.chat(ask(), { tags: { key: 'k3', team: 'blue' } })).cache).toBe('miss');
    expect(provider.calls).toBe(2);
  });

  it('does not cache sampled requests unless the group says so', async () => {
    const strict = build({ cache: { enabled: true } });
    await strict.gateway.chat(ask({ temperature: 0.7 }));
    expect((await strict.gateway.chat(ask({ temperature: 0.7 }))).cache).toBeUndefined();
    const lax = build({ cache: { enabled: true, deterministic_only: false } });
    await lax.gateway.chat(ask({ temperature: 0.7 }));
    expect((await lax.gateway.chat(ask({ temperature: 0.7 }))).cache).toBe('hit');
  });

  it('does not cache tool-call follow-ups whose tools the client flagged as having side effects', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    const followUp = ask({
      messages: [
        { role: 'user', content: 'pay the invoice' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'pay', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'paid' },
      ],
    });
    await gateway.chat(followUp, { toolSideEffects: true });
    expect((await gateway.chat(followUp, { toolSideEffects: true })).cache).toBeUndefined();
    expect(provider.calls).toBe(2);
  });

  it('never caches an error answer', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    provider.script = (n) => (n === 1 ? failure('invalid_request') : 'ok');
    await expect(gateway.chat(ask())).rejects.toThrow();
    expect((await gateway.chat(ask())).cache).toBe('miss');
  });

  it('expires answers after the group ttl', async () => {
    const { gateway, clock } = build({ cache: { enabled: true, ttl_ms: 1000 } });
    await gateway.chat(ask());
    clock.advance(999);
    expect((await gateway.chat(ask())).cache).toBe('hit');
    clock.advance(1);
    expect((await gateway.chat(ask())).cache).toBe('miss');
  });

  it('replays a cached answer as a stream, and caches a streamed answer once it ended cleanly', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    const live = await gateway.stream(ask({ stream: true }));
    expect(live.cache).toBe('miss');
    expect(await text(live.parts)).toEqual(['start', 'text:Hel', 'text:lo', 'finish', 'usage']);
    const again = await gateway.stream(ask({ stream: true }));
    expect(again.cache).toBe('hit');
    expect(await text(again.parts)).toEqual(['start', 'text:Hello', 'finish', 'usage']);
    // The same request without streaming gets the streamed answer too.
    expect((await gateway.chat(ask())).response.message.content).toBe('Hello');
    expect(provider.calls).toBe(1);
  });

  it('stores nothing from a stream that broke', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    provider.streamPlan = { chunks: ['Hel', 'lo'], failAfter: 1 };
    const broken = await gateway.stream(ask({ stream: true }));
    await expect(text(broken.parts)).rejects.toThrow();
    provider.streamPlan = { chunks: ['Hel', 'lo'] };
    expect((await gateway.stream(ask({ stream: true }))).cache).toBe('miss');
  });
});

describe('cache keys and the memory LRU', () => {
  it('hash field order alike and ignore how the answer is delivered', () => {
    const a = cacheKey({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 0, stream: true }, 'g', 's');
    const b = cacheKey({ temperature: 0, messages: [{ content: 'x', role: 'user' }], model: 'm' }, 'g', 's');
    expect(a).toBe(b);
    expect(cacheKey({ model: 'm', messages: [] }, 'g', 'other')).not.toBe(cacheKey({ model: 'm', messages: [] }, 'g', 's'));
  });

  it('drops the least recently used answer past max_entries', async () => {
    const lru = new MemoryResponseCache(2, () => 0);
    const answer = { response: { id: 'r', model: 'm', created: 0, message: { role: 'assistant' as const, content: 'x' }, finishReason: 'stop' as const, usage: { prompt: 1, completion: 1, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 2 } }, deployment: 'a', provider: 'p', model: 'm', region: undefined };
    await lru.set('a', answer, 1000);
    await lru.set('b', answer, 1000);
    await lru.get('a');
    await lru.set('c', answer, 1000);
    expect([await lru.get('a'), await lru.get('b'), await lru.get('c')].map((x) => x !== undefined)).toEqual([true, false, true]);
  });
});

describe('a response cache store that fails', () => {
  it('is a miss, never an error', async () => {
    const failing = { get: () => Promise.reject(new Error('ECONNREFUSED')), set: () => Promise.reject(new Error('ECONNREFUSED')), close: async () => undefined };
    const { gateway, provider } = build({ cache: { enabled: true } }, { responseCache: failing });
    expect((await gateway.chat(ask())).cache).toBe('miss');
    expect((await gateway.chat(ask())).cache).toBe('miss');
    expect(provider.calls).toBe(2);
  });
});
