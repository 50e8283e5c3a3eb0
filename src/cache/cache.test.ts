import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import { makeUsage, type ChatRequest, type StreamPart, type Warning } from '../core/types.js';
import { createGateway, type GatewayOptions } from '../gateway/gateway.js';
import type { ConfigInput } from '../config/schema.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { cacheKey, type CacheTarget } from './key.js';
import { MemoryResponseCache, isCachedAnswer } from './store.js';
import { replay } from './replay.js';
import { answer, answerText, userRequest, userText } from '../testing/canonical.js';

const ask = (over: Partial<ChatRequest> = {}): ChatRequest => userRequest('chat', 'hi', { temperature: 0, ...over });

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
    expect(second.response.content).toEqual(first.response.content);
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
        userText('pay the invoice'),
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'pay', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'paid' }] },
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

  it('does not keep an answer its quality gate turned down, served only while the better tier failed', async () => {
    const cheap = new FakeProvider('cheap');
    const dear = new FakeProvider('dear');
    dear.script = (n) => (n === 1 ? failure('unavailable') : 'ok');
    const config: ConfigInput = {
      routing: { max_attempts_per_deployment: 1 },
      deployments: [rawDeployment('cheap'), rawDeployment('dear')],
      groups: [{ name: 'chat', strategy: 'priority', deployments: ['cheap', 'dear'], quality_gate: 'strict', cache: { enabled: true } }],
    };
    const gateway = createGateway(config, { createProvider: (d) => (d.id === 'cheap' ? cheap : dear), qualityGates: { strict: (r) => !answerText(r).includes('cheap') } });
    const fallback = await gateway.chat(ask());
    expect([fallback.servedBy.deployment, fallback.cache]).toEqual(['cheap', 'miss']);
    // The better tier is back: the next client gets its answer, not the rejected one from the cache.
    const better = await gateway.chat(ask());
    expect([better.servedBy.deployment, better.cache]).toEqual(['dear', 'miss']);
    expect((await gateway.chat(ask())).servedBy.deployment).toBe('dear');
    expect([cheap.calls, dear.calls]).toEqual([2, 2]);
  });

  it('gives a hit on a streamed request the warnings its live stream had (x-switchyard-warnings)', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    const warnings: Warning[] = [{ type: 'unsupported-setting', setting: 'topK', message: 'topK is not supported' }];
    const parts: StreamPart[] = [{ type: 'start', id: 'a', model: 'a', warnings }, { type: 'text', delta: 'Hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: makeUsage({ prompt: 3, completion: 1 }) }];
    provider.stream = async () => replay(parts);
    const live = await gateway.stream(ask());
    await text(live.parts);
    const hit = await gateway.stream(ask());
    expect([live.cache, live.warnings, hit.cache, hit.warnings]).toEqual(['miss', warnings, 'hit', warnings]);
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
    const live = await gateway.stream(ask());
    expect(live.cache).toBe('miss');
    expect(await text(live.parts)).toEqual(['start', 'text:Hel', 'text:lo', 'finish', 'usage']);
    const again = await gateway.stream(ask());
    expect(again.cache).toBe('hit');
    expect(await text(again.parts)).toEqual(['start', 'text:Hello', 'finish', 'usage']);
    // The same request without streaming gets the streamed answer too.
    expect(answerText((await gateway.chat(ask())).response)).toBe('Hello');
    expect(provider.calls).toBe(1);
  });

  it('stores nothing from a stream that broke', async () => {
    const { gateway, provider } = build({ cache: { enabled: true } });
    provider.streamPlan = { chunks: ['Hel', 'lo'], failAfter: 1 };
    const broken = await gateway.stream(ask());
    await expect(text(broken.parts)).rejects.toThrow();
    provider.streamPlan = { chunks: ['Hel', 'lo'] };
    expect((await gateway.stream(ask())).cache).toBe('miss');
  });
});

describe('cache keys and the memory LRU', () => {
  const G: CacheTarget = { group: 'g', deployment: undefined, residency: undefined };

  it('hash field order alike and leave absent fields out', () => {
    const a = cacheKey({ model: 'm', messages: [userText('x')], temperature: 0, topP: undefined }, G, 's', 'f');
    const b = cacheKey({ temperature: 0, messages: [{ content: [{ text: 'x', type: 'text' }], role: 'user' }], model: 'm' }, G, 's', 'f');
    expect(a).toBe(b);
    expect(cacheKey({ model: 'm', messages: [] }, G, 'other', 'f')).not.toBe(cacheKey({ model: 'm', messages: [] }, G, 's', 'f'));
  });

  it('tell apart targets whose names hold the characters that once joined them', () => {
    const ask: ChatRequest = { model: 'm', messages: [] };
    const keyOf = (group: string | undefined, deployment: string | undefined, residency: string | undefined): string => cacheKey(ask, { group, deployment, residency }, 's', 'f');
    // Group `a@b` for everyone is not group `a` for a caller bound to `b`; group `a/b` is not `a` pinned to `b`.
    expect(keyOf('a@b', undefined, undefined)).not.toBe(keyOf('a', undefined, 'b'));
    expect(keyOf('a/b', undefined, undefined)).not.toBe(keyOf('a', 'b', undefined));
    expect(keyOf(undefined, 'b', undefined)).not.toBe(keyOf('', 'b', undefined));
  });

  it("tell apart one request under two fingerprints of its route's config", () => {
    expect(cacheKey({ model: 'm', messages: [] }, G, 's', 'before-reload')).not.toBe(cacheKey({ model: 'm', messages: [] }, G, 's', 'after-reload'));
  });

  it('tell apart requests that differ in reasoning, provider options or passthrough fields', () => {
    const key = (over: Partial<ChatRequest>): string => cacheKey(userRequest('m', 'x', over), G, 's', 'f');
    const keys = [
      key({}),
      key({ reasoning: { enabled: true, effort: 'low' } }),
      key({ reasoning: { enabled: true, effort: 'high' } }),
      key({ providerOptions: { openai: { max_tokens_field: 'max_completion_tokens' } } }),
      key({ passthrough: { service_tier: 'flex' } }),
      key({ passthrough: { service_tier: 'auto' } }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(key({ passthrough: { a: 1, b: 2 } })).toBe(key({ passthrough: { b: 2, a: 1 } }));
  });

  it('drops the least recently used answer past max_entries', async () => {
    const lru = new MemoryResponseCache({ max_entries: 2, max_bytes: 1_000_000, max_entry_bytes: 100_000 }, () => 0);
    const entry = { response: answer('x'), deployment: 'a', provider: 'p', model: 'm', region: undefined };
    await lru.set('a', entry, 1000);
    await lru.set('b', entry, 1000);
    await lru.get('a');
    await lru.set('c', entry, 1000);
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

describe('stored entries', () => {
  const by = { deployment: 'a', provider: 'p', model: 'm', region: undefined };

  it('of the canonical shape are answers', () => {
    expect(isCachedAnswer({ response: answer('x'), ...by })).toBe(true);
    expect(isCachedAnswer(JSON.parse(JSON.stringify({ response: answer(''), ...by })))).toBe(true);
  });

  it('of an older shape (an OpenAI-style message), or anything else, are not', () => {
    const old = { response: { id: 'r', model: 'm', created: 0, message: { role: 'assistant', content: 'x' }, finishReason: 'stop', usage: answer('x').usage }, ...by };
    expect(isCachedAnswer(old)).toBe(false);
    expect(isCachedAnswer({ response: { ...answer('x'), content: ['x'] }, ...by })).toBe(false);
    expect(isCachedAnswer({ response: answer('x') })).toBe(false);
    expect(isCachedAnswer(null)).toBe(false);
    expect(isCachedAnswer('x')).toBe(false);
  });
});
