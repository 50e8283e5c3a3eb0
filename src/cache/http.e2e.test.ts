import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import type { Provider } from '../core/provider.js';
import { makeUsage, type StreamPart } from '../core/types.js';
import { replay } from './replay.js';

/** The response cache as a client sees it: `x-switchyard-cache` in and out, and a hit costing nothing. */
describe('response cache through the server', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'cache-sim' });
    const parsed = parseConfig(
      {
        deployments: [
          { id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` },
          { id: 'oai-us', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, tags: ['us'] },
          { id: 'oai-eu', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, tags: ['eu'] },
        ],
        groups: [
          { name: 'cached', deployments: ['oai'], cache: { enabled: true, ttl_ms: 60_000, deterministic_only: false } },
          { name: 'two-regions', strategy: 'priority', deployments: ['oai-us', 'oai-eu'], cache: { enabled: true, ttl_ms: 60_000 } },
          { name: 'plain', deployments: ['oai'] },
        ],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    // A flat price per token, so a paid answer has a cost and a hit visibly has none.
    server = await startServer(createGateway(parsed.config), { port: 0, costOf: (_by, usage) => ({ usd: (usage?.total ?? 0) * 0.000001, priced: true }) });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  async function ask(model: string, content: string, headers: Record<string, string> = {}, temperature?: number) {
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, temperature, messages: [{ role: 'user', content }] }),
    });
    const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
    return { status: res.statusCode, headers: res.headers, text: json.choices[0]?.message.content };
  }

  it('says miss, then hit for the same request; the hit reaches no upstream and costs 0', async () => {
    const first = await ask('cached', 'cache me');
    expect(first.headers['x-switchyard-cache']).toBe('miss');
    expect(Number(first.headers['x-switchyard-cost-usd'])).toBeGreaterThan(0);
    const calls = sim.stats.total;
    const second = await ask('cached', 'cache me');
    expect(second.headers['x-switchyard-cache']).toBe('hit');
    expect(second.headers['x-switchyard-cost-usd']).toBe('0.0');
    expect(second.text).toBe(first.text);
    expect(sim.stats.total).toBe(calls);
  });

  it('never answers a caller bound to a residency from an answer made outside it', async () => {
    const us = await ask('two-regions', 'where am I?', {}, 0);
    expect(us.headers['x-switchyard-deployment']).toBe('oai-us');
    const eu = await ask('two-regions', 'where am I?', { 'x-switchyard-residency': 'eu' }, 0);
    expect(eu.headers['x-switchyard-cache']).toBe('miss');
    expect(eu.headers['x-switchyard-deployment']).toBe('oai-eu');
    const euAgain = await ask('two-regions', 'where am I?', { 'x-switchyard-residency': 'eu' }, 0);
    expect([euAgain.headers['x-switchyard-cache'], euAgain.headers['x-switchyard-deployment']]).toEqual(['hit', 'oai-eu']);
    expect((await ask('two-regions', 'where am I?', {}, 0)).headers['x-switchyard-deployment']).toBe('oai-us');
  });

  it('lets a client opt out with x-switchyard-cache: off, and opt in on a group that does not cache', async () => {
    const off = await ask('cached', 'cache me', { 'x-switchyard-cache': 'off' });
    expect(off.headers['x-switchyard-cache']).toBeUndefined();
    expect((await ask('plain', 'opt in')).headers['x-switchyard-cache']).toBeUndefined();
    // Opting in without a group setting caches deterministic requests only.
    expect((await ask('plain', 'opt in', { 'x-switchyard-cache': 'on' })).headers['x-switchyard-cache']).toBeUndefined();
    expect((await ask('plain', 'opt in', { 'x-switchyard-cache': 'on' }, 0)).headers['x-switchyard-cache']).toBe('miss');
    expect((await ask('plain', 'opt in', { 'x-switchyard-cache': 'on' }, 0)).headers['x-switchyard-cache']).toBe('hit');
  });

  it("answers a hit with the live answer's system_fingerprint, whether either was streamed or not", async () => {
    const fingerprints = async (content: string, stream: boolean): Promise<string[]> => {
      const res = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cached', temperature: 0, stream, messages: [{ role: 'user', content }] }),
      });
      const body = await res.body.text();
      return stream ? [...new Set([...body.matchAll(/"system_fingerprint":("[^"]*"|null)/g)].map((m) => m[1] as string))] : [JSON.stringify((JSON.parse(body) as { system_fingerprint: unknown }).system_fingerprint)];
    };
    for (const [first, then] of [[true, true], [false, true], [true, false]] as const) {
      const content = `fingerprint ${first} ${then}`;
      const live = await fingerprints(content, first);
      expect(live).toEqual(['"fp_sim"']);
      expect(await fingerprints(content, then)).toEqual(live);
    }
  });

  it('refuses a cache header it cannot read rather than ignore it (a misspelt side-effects flag would let a follow-up be answered from the cache)', async () => {
    const calls = sim.stats.total;
    for (const headers of [{ 'x-switchyard-cache': 'yes' }, { 'x-switchyard-tool-side-effects': '1' }]) {
      const res = await request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'cached', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as { error: { param: string } }).error.param).toBe(Object.keys(headers)[0]);
    }
    expect(sim.stats.total).toBe(calls);
    expect((await ask('cached', 'cache me', { 'x-switchyard-cache': 'OFF' })).headers['x-switchyard-cache']).toBeUndefined();
  });
});

/** Claude's thinking blocks, each signed, as a client reads them live and then from the cache. */
describe('a cached stream of signed reasoning through the Messages door', () => {
  const parts: StreamPart[] = [
    { type: 'start', id: 'msg_1', model: 'claude' },
    { type: 'reasoning', delta: 'First thought.', provider: 'anthropic' },
    { type: 'reasoning', delta: '', signature: 'SIG-A', provider: 'anthropic' },
    { type: 'reasoning', delta: 'Second thought.', provider: 'anthropic' },
    { type: 'reasoning', delta: '', signature: 'SIG-B', provider: 'anthropic' },
    { type: 'text', delta: 'Answer.' },
    { type: 'finish', finishReason: 'stop' },
    { type: 'usage', usage: makeUsage({ prompt: 10, completion: 5 }) },
  ];
  const claude: Provider = {
    type: 'fake',
    chat: () => Promise.reject(new Error('not asked')),
    stream: () => Promise.resolve(replay(parts)),
    embed: () => Promise.reject(new Error('not asked')),
    listModels: () => Promise.resolve([]),
    probe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  let server: RunningServer;

  beforeAll(async () => {
    const parsed = parseConfig({ deployments: [{ id: 'claude', provider: 'openai-compatible', model: 'claude', endpoint: 'http://127.0.0.1:9/v1' }], groups: [{ name: 'cached', deployments: ['claude'], cache: { enabled: true } }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config, { createProvider: () => claude }), { port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
  });

  it('replays the blocks the live stream had, each with its own signature', async () => {
    const blocks = async (): Promise<{ cache: unknown; events: string[] }> => {
      const res = await request(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'cached', temperature: 0, max_tokens: 2000, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think twice' }] }),
      });
      const events = (await res.body.text())
        .split('\n')
        .filter((l) => l.startsWith('data: ') && /content_block_(start|delta|stop)/.test(l))
        .map((l) => {
          const e = JSON.parse(l.slice(6)) as { type: string; index: number; delta?: Record<string, string> };
          return `${e.index} ${e.type} ${JSON.stringify(e.delta ?? '')}`;
        });
      return { cache: res.headers['x-switchyard-cache'], events };
    };
    const live = await blocks();
    const replayed = await blocks();
    expect([live.cache, replayed.cache]).toEqual(['miss', 'hit']);
    expect(live.events.filter((e) => e.includes('signature_delta'))).toEqual(['0 content_block_delta {"type":"signature_delta","signature":"SIG-A"}', '1 content_block_delta {"type":"signature_delta","signature":"SIG-B"}']);
    expect(replayed.events).toEqual(live.events);
  });
});
