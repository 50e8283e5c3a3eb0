import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { resolveConfig } from '../config/load.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createLedger, type Ledger } from './index.js';
import { userRequest } from '../testing/canonical.js';

/** The gateway with a SQLite ledger and a daily budget, on an OpenAI simulator; `deployment` adds to its one deployment. */
async function ledgerGateway(deployment: Record<string, unknown> = {}): Promise<{ sim: SimServer; ledger: Ledger; gateway: Gateway }> {
  const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
  const dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
  const config = resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east', endpoint: `${sim.url}/v1`, ...deployment }],
    groups: [{ name: 'chat', deployments: ['oai'] }],
    ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
    budgets: { limits: [{ name: 'g', period: 'daily', hard_usd: 100 }] },
  });
  const ledger = await createLedger(config);
  return { sim, ledger, gateway: createGateway(config, { observers: [ledger.observer], admission: ledger.admission, priceOf: ledger.priceOf }) };
}

/** The ledger's rows by status. */
async function rowsByStatus(ledger: Ledger): Promise<Record<string, { attempts: number; costUsd: number; estimatedAttempts: number }>> {
  const rows = await ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: ['status'] });
  return Object.fromEntries(rows.map((r) => [r.keys.status ?? '', r]));
}

describe('ledger wired into the gateway', () => {
  let sim: SimServer;
  let ledger: Ledger;
  let gateway: Gateway;
  beforeAll(async () => {
    ({ sim, ledger, gateway } = await ledgerGateway());
  });
  afterAll(async () => {
    await gateway.close();
    await ledger.close();
    await sim.close();
  });

  const rows = () => rowsByStatus(ledger);

  it('records a chat answer with the same cost the server would show', async () => {
    const { response, servedBy } = await gateway.chat(userRequest('chat', 'Hello there'), { tags: { key: 'k1' } });
    const cost = ledger.costOf(servedBy, response.usage);
    expect(cost.priced).toBe(true);
    expect(cost.usd).toBe(Math.round(((response.usage.prompt - response.usage.cachedRead) * 0.15 + response.usage.cachedRead * 0.075 + response.usage.completion * 0.6) * 1e4) / 1e10);
    await ledger.flush();
    const r = await rows();
    expect(r.ok?.attempts).toBe(1);
    expect(r.ok?.costUsd).toBe(cost.usd);
  });

  it('writes no row for a request refused before anything went upstream (no usage, nothing to record)', async () => {
    await ledger.flush();
    const before = await rows();
    const ask = userRequest('chat', 'What is in the picture?');
    const request = {
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant' as const, content: [{ type: 'tool-call' as const, id: 't', name: 'look', arguments: '{}' }] },
        { role: 'tool' as const, toolCallId: 't', content: [{ type: 'image' as const, source: { type: 'base64' as const, mediaType: 'image/png', data: 'AAAA' } }] },
      ],
    };
    await expect(gateway.chat(request)).rejects.toMatchObject({ kind: 'invalid_request', unsent: true });
    await ledger.flush();
    expect(await rows()).toEqual(before);
  });

  it('still records and bills a stream whose client disconnects before the final usage, marked estimated', async () => {
    sim.faults.add({ inter_chunk_ms: 30, count: 1 });
    const { parts } = await gateway.stream(userRequest('chat', 'Tell me a long story please'));
    let seen = 0;
    for await (const p of parts) {
      if (p.type === 'text' && ++seen === 2) break; // the client goes away mid-answer
    }
    await ledger.flush();
    const r = await rows();
    expect(r.cancelled?.attempts).toBe(1);
    expect(r.cancelled?.estimatedAttempts).toBe(1);
    expect(r.cancelled?.costUsd).toBeGreaterThan(0);
  });

  it('gives cost-optimised routing a blended price per million tokens', () => {
    expect(ledger.priceOf('oai')).toBe((3 * 0.15 + 0.6) / 4);
    expect(ledger.priceOf('nope')).toBeUndefined();
  });
});

describe('ledger and budgets for a client that leaves before or after its request went upstream', () => {
  let sim: SimServer;
  let ledger: Ledger;
  let gateway: Gateway;
  beforeAll(async () => {
    // One connection: a second request waits for it in the pool.
    ({ sim, ledger, gateway } = await ledgerGateway({ max_connections: 1 }));
  });
  afterAll(async () => {
    await gateway.close();
    await ledger.close();
    await sim.close();
  });

  const rows = () => rowsByStatus(ledger);
  const spent = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 10)); // budget settlements land asynchronously
    return (await ledger.budgetSpending())[0]?.spentUsd ?? 0;
  };

  it("writes no row and spends no budget for a request whose client left while it waited for the pool's one connection", async () => {
    sim.faults.add({ latency_ms: 300, count: 1 });
    const before = await spent();
    const holding = gateway.chat(userRequest('chat', 'I hold the only connection'));
    const client = new AbortController();
    const waiting = gateway.chat(userRequest('chat', 'I wait for it'), { signal: client.signal });
    await new Promise((r) => setTimeout(r, 50));
    client.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });
    const { response, servedBy } = await holding;
    await ledger.flush();
    const r = await rows();
    expect(r.ok?.attempts).toBe(1);
    expect(r.cancelled).toBeUndefined();
    expect(sim.stats.total).toBe(1);
    expect((await spent()) - before).toBeCloseTo(ledger.costOf(servedBy, response.usage).usd ?? 0, 12);
  });

  it('still records and bills a request whose client left after it was written upstream: the upstream had it', async () => {
    sim.faults.add({ latency_ms: 300, count: 1 });
    await ledger.flush();
    const earlier = (await rows()).cancelled ?? { attempts: 0, costUsd: 0 };
    const before = await spent();
    const client = new AbortController();
    const asked = gateway.chat(userRequest('chat', 'Answer me slowly'), { signal: client.signal });
    await new Promise((r) => setTimeout(r, 50));
    client.abort();
    await expect(asked).rejects.toMatchObject({ kind: 'cancelled' });
    await ledger.flush();
    const r = await rows();
    expect((r.cancelled?.attempts ?? 0) - earlier.attempts).toBe(1);
    expect((r.cancelled?.costUsd ?? 0) - earlier.costUsd).toBeGreaterThan(0);
    expect((await spent()) - before).toBeGreaterThan(0);
  });
});
