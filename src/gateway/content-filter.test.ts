import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import type { ConfigInput } from '../config/schema.js';
import type { ChatRequest } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { startAzureSim } from '../sim/azure/index.js';
import type { SimServer } from '../sim/server.js';
import { FakeClock, FakeProvider, failure, rawDeployment, response } from '../routing/testing/fakes.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js';

const KEY = 'az-filter-key';
let sim: SimServer;
const open: Gateway[] = [];

beforeAll(async () => {
  sim = await startAzureSim({
    apiKey: KEY,
    deployments: [
      { name: 'strict', model: 'gpt-4o-2024-08-06' },
      { name: 'lax', model: 'gpt-4o-2024-08-06' },
    ],
  });
});
afterEach(async () => {
  sim.faults.clear();
  await Promise.all(open.splice(0).map((g) => g.close()));
});
afterAll(() => sim.close());

const ask: ChatRequest = userRequest('chat', 'tell me a long story please');
const azure = (id: string) => ({ id, provider: 'azure-openai', model: id, endpoint: sim.url, api_key: KEY });

function gateway(config: ConfigInput, extra: GatewayOptions = {}) {
  const records: AttemptRecord[] = [];
  const g = createGateway(config, { observers: [{ onAttempt: (r) => records.push(r) }], ...extra });
  open.push(g);
  return { g, records };
}

describe('answers filtered by the upstream (200 with finish_reason content_filter), Azure simulator', () => {
  it("go to the group's content_filtered fallback, and the filtered attempt is still billed", async () => {
    const { g, records } = gateway({
      deployments: [azure('strict'), azure('lax')],
      groups: [{ name: 'chat', deployments: ['strict'], fallbacks: { content_filtered: ['lax'] } }],
    });
    sim.faults.add({ model: 'strict', error: 'content_filter_output' });
    const { response: answer, servedBy } = await g.chat({ ...ask });
    expect(servedBy).toMatchObject({ deployment: 'lax', attempts: 2 });
    expect(answer.finishReason).toBe('stop');
    expect(records.map((r) => `${r.deployment}:${r.outcome}:${r.error?.kind ?? ''}`)).toEqual(['strict:error:content_filtered', 'lax:ok:']);
    expect(records[0]?.usage?.completion).toBeGreaterThan(0);
    // The answer's cost counts the filtered attempt the ledger bills.
    expect(servedBy.failed).toEqual([{ deployment: 'strict', provider: 'azure-openai', model: 'strict', region: undefined, usage: records[0]?.usage }]);
    expect(g.status().deployments.find((d) => d.id === 'strict')).toMatchObject({ errors: { content_filtered: 1 }, fallbacksFrom: { content_filtered: 1 }, breaker: { state: 'closed' } });
  });

  it('are returned unchanged where the group configures no content_filtered fallback', async () => {
    const { g, records } = gateway({
      deployments: [azure('strict'), azure('lax')],
      groups: [{ name: 'chat', deployments: ['strict', 'lax'] }],
    });
    sim.faults.add({ model: 'strict', error: 'content_filter_output' });
    const { response: answer, servedBy } = await g.chat({ ...ask });
    expect(servedBy).toMatchObject({ deployment: 'strict', attempts: 1 });
    expect(answer.finishReason).toBe('content_filter');
    expect(records.map((r) => `${r.deployment}:${r.outcome}`)).toEqual(['strict:ok']);
  });
});

describe('answers filtered by the upstream, in-process providers', () => {
  function fakes(config: ConfigInput, setup: (p: Map<string, FakeProvider>) => void) {
    const providers = new Map<string, FakeProvider>();
    const built = gateway(config, {
      clock: new FakeClock(),
      createProvider: (d) => {
        const p = new FakeProvider(d.id);
        providers.set(d.id, p);
        return p;
      },
    });
    setup(providers);
    return { ...built, p: (id: string) => providers.get(id) as FakeProvider };
  }
  const filteredAnswer = (from: string) => ({ ...response(`partial from ${from}`, from), finishReason: 'content_filter' as const });
  const config: ConfigInput = {
    deployments: [rawDeployment('strict'), rawDeployment('lax'), rawDeployment('laxer')],
    groups: [{ name: 'chat', deployments: ['strict'], fallbacks: { content_filtered: ['lax', 'laxer'] } }],
  };

  it('the last filtered answer is returned when every fallback filters or fails, never an error', async () => {
    const { g, p } = fakes(config, (ps) => {
      (ps.get('strict') as FakeProvider).answer = () => filteredAnswer('strict');
      (ps.get('lax') as FakeProvider).answer = () => filteredAnswer('lax');
      (ps.get('laxer') as FakeProvider).script = () => failure('invalid_request');
    });
    const { response: answer, servedBy } = await g.chat({ ...ask });
    expect(servedBy.deployment).toBe('lax');
    // Billed before the answer: strict's filtered answer, not lax's own (it is the answer); laxer refused unsent.
    expect(servedBy.failed?.map((b) => b.deployment)).toEqual(['strict']);
    expect(answer).toMatchObject({ finishReason: 'content_filter', content: [{ type: 'text', text: 'partial from lax' }] });
    expect([p('strict').calls, p('lax').calls, p('laxer').calls]).toEqual([1, 1, 1]);
  });

  it('a request pinned to a deployment gets its filtered answer as is', async () => {
    const { g, p } = fakes(config, (ps) => {
      (ps.get('strict') as FakeProvider).answer = () => filteredAnswer('strict');
    });
    const { response: answer, servedBy } = await g.chat({ ...ask }, { override: 'strict' });
    expect(servedBy.deployment).toBe('strict');
    expect(answer.finishReason).toBe('content_filter');
    expect(p('lax').calls).toBe(0);
  });
});
