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

describe('ledger wired into the gateway', () => {
  let sim: SimServer;
  let ledger: Ledger;
  let gateway: Gateway;
  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    const dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
    const config = resolveConfig({
      deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east', endpoint: `${sim.url}/v1` }],
      groups: [{ name: 'chat', deployments: ['oai'] }],
      ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
      budgets: { limits: [{ name: 'g', period: 'daily', hard_usd: 100 }] },
    });
    ledger = await createLedger(config);
    gateway = createGateway(config, { observers: [ledger.observer], admission: ledger.admission, priceOf: ledger.priceOf });
  });
  afterAll(async () => {
    await gateway.close();
    await ledger.close();
    await sim.close();
  });

  const rows = async () => (await ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: ['status'] })).reduce((m, r) => ({ ...m, [r.keys.status ?? '']: r }), {} as Record<string, { attempts: number; costUsd: number; estimatedAttempts: number }>);

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
