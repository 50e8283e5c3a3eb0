import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ChatResponse } from '../core/types.js';
import { createGateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { answer, userRequest } from '../testing/canonical.js';
import type { MemoryCacheLimits } from './config.js';
import { MemoryResponseCache, type CachedAnswer } from './store.js';

const by = { deployment: 'a', provider: 'p', model: 'm', region: undefined };
const cached = (response: ChatResponse): CachedAnswer => ({ response, ...by });
/** Keys as long as the real ones (a SHA-256 in base64url). */
const key = (name: string): string => name.padEnd(43, '.');
/** What an entry counts against max_bytes: its key's and its JSON's length. */
const bytesOf = (name: string, a: CachedAnswer): number => key(name).length + JSON.stringify(a).length;

const long = cached(answer('x'.repeat(10_000)));
const ENTRY = bytesOf('a', long);

function lru(limits: Partial<MemoryCacheLimits>, now: () => number = () => 0): MemoryResponseCache {
  return new MemoryResponseCache({ max_entries: 1_000, max_bytes: 3 * ENTRY, max_entry_bytes: ENTRY, ...limits }, now);
}

async function held(store: MemoryResponseCache, ...names: string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const n of names) if ((await store.get(key(n))) !== undefined) kept.push(n);
  return kept;
}

describe('the memory LRU bounded by bytes', () => {
  it('drops the least recently used answers until what it holds is within max_bytes, whatever max_entries allows', async () => {
    const store = lru({});
    for (const n of ['a', 'b', 'c']) await store.set(key(n), long, 60_000);
    expect(store.bytes).toBe(3 * ENTRY);
    await store.get(key('a'));
    await store.set(key('d'), long, 60_000);
    expect(await held(store, 'a', 'b', 'c', 'd')).toEqual(['a', 'c', 'd']);
    expect(store.bytes).toBe(3 * ENTRY);
  });

  it('makes room for a large answer by dropping as many small ones as it takes, oldest first', async () => {
    const small = cached(answer('hi'));
    const room = ENTRY + bytesOf('s1', small) + 10;
    const store = lru({ max_bytes: room });
    for (const n of ['s1', 's2', 's3', 's4']) await store.set(key(n), small, 60_000);
    await store.set(key('big'), long, 60_000);
    expect(await held(store, 's1', 's2', 's3', 's4', 'big')).toEqual(['s4', 'big']);
    expect(store.bytes).toBeLessThanOrEqual(room);
  });

  it('keeps no answer longer than max_bytes whatever max_entry_bytes says', async () => {
    const store = lru({ max_bytes: ENTRY - 1, max_entry_bytes: 10 * ENTRY });
    await store.set(key('a'), long, 60_000);
    expect(store.size).toBe(0);
  });

  it('does not keep an answer longer than max_entry_bytes, and keeps what it held', async () => {
    const store = lru({});
    await store.set(key('a'), long, 60_000);
    const longer = cached(answer('x'.repeat(10_001)));
    await store.set(key('text'), longer, 60_000);
    // Long tool-call arguments, and a long answer whose size is not in its content, are measured alike.
    await store.set(key('args'), cached(answer('', undefined, { content: [{ type: 'tool-call', id: 'c1', name: 'write', arguments: 'y'.repeat(50_000) }] })), 60_000);
    await store.set(key('meta'), cached(answer('', undefined, { providerMetadata: { vendor: { citations: 'z'.repeat(20_000) } } })), 60_000);
    expect(await held(store, 'a', 'text', 'args', 'meta')).toEqual(['a']);
    expect([store.size, store.bytes]).toEqual([1, ENTRY]);
  });

  it('counts an answer stored again under its key, or found expired, once', async () => {
    let now = 0;
    const store = lru({}, () => now);
    await store.set(key('a'), long, 1_000);
    await store.set(key('a'), long, 1_000);
    expect(store.bytes).toBe(ENTRY);
    // A bigger answer over a kept one: the old one's bytes go; one refused as too long takes the key's old answer with it.
    await store.set(key('a'), cached(answer('short')), 1_000);
    expect(store.bytes).toBe(bytesOf('a', cached(answer('short'))));
    await store.set(key('a'), cached(answer('x'.repeat(20_000))), 1_000);
    expect([store.size, store.bytes]).toEqual([0, 0]);
    await store.set(key('b'), long, 1_000);
    now = 1_000;
    expect(await store.get(key('b'))).toBeUndefined();
    expect([store.size, store.bytes]).toEqual([0, 0]);
  });

  it("takes the config's cache limits: a gateway does not cache an answer past cache.max_entry_bytes", async () => {
    const provider = new FakeProvider('a');
    provider.answer = () => answer('x'.repeat(5_000));
    const gateway = createGateway(
      { deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'], cache: { enabled: true } }], cache: { max_entry_bytes: 4_000 } },
      { createProvider: () => provider },
    );
    const ask = userRequest('chat', 'write a lot', { temperature: 0 });
    expect([(await gateway.chat(ask)).cache, (await gateway.chat(ask)).cache]).toEqual(['miss', 'miss']);
    provider.answer = () => answer('x'.repeat(3_000));
    expect([(await gateway.chat(ask)).cache, (await gateway.chat(ask)).cache]).toEqual(['miss', 'hit']);
    expect(provider.calls).toBe(3);
    await gateway.close();
  });
});

describe('the cache section of the config', () => {
  const base = { deployments: [rawDeployment('a')] };

  it('bounds the memory LRU by bytes by default: 64 MiB in all, 1 MiB an answer', () => {
    const parsed = parseConfig(base, {});
    expect(parsed.ok && parsed.config.cache).toEqual({ store: 'memory', max_entries: 10_000, max_bytes: 64 * 1024 * 1024, max_entry_bytes: 1024 * 1024 });
  });

  it('refuses byte bounds that are not positive whole numbers, naming the field; a small max_bytes alone is a valid config', () => {
    const problems = (cache: Record<string, unknown>) => {
      const parsed = parseConfig({ ...base, cache }, {});
      return parsed.ok ? [] : parsed.problems.map((p) => p.path);
    };
    expect(problems({ max_bytes: 0 })).toEqual(['cache.max_bytes']);
    expect(problems({ max_entry_bytes: 1.5 })).toEqual(['cache.max_entry_bytes']);
    // A small pod's operator sets max_bytes only: the 1 MiB answer default must not refuse the config.
    expect(problems({ max_bytes: 512 * 1024 })).toEqual([]);
    expect(problems({ max_bytes: 1_000, max_entry_bytes: 2_000 })).toEqual([]);
  });
});
