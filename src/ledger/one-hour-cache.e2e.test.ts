import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type Anthropic from '@anthropic-ai/sdk';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import type { SimServer } from '../sim/server.js';
import { roundUsd } from './pricing/cost.js';

/** Claude Sonnet 4.5's catalog prices per million: input, 5-minute and one-hour cache writes (2x input), output. */
const SONNET = { input: 3, write5m: 3.75, write1h: 6, output: 15 };

/** What Anthropic bills for a usage object, by hand. */
function billed(u: Anthropic.Usage): number {
  const byTtl = u.cache_creation ?? { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
  const micro = u.input_tokens * SONNET.input + byTtl.ephemeral_5m_input_tokens * SONNET.write5m + byTtl.ephemeral_1h_input_tokens * SONNET.write1h + u.output_tokens * SONNET.output;
  return roundUsd(micro / 1_000_000);
}

describe('one-hour prompt-cache writes through the gateway, the Anthropic door and the ledger', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startAnthropicSim({ apiKey: 'sk-ant', models: ['claude-sonnet-4-5'] });
    const dir = mkdtempSync(join(tmpdir(), 'cache-1h-'));
    const config = resolveConfig({
      deployments: [{ id: 'sonnet', provider: 'anthropic', model: 'claude-sonnet-4-5', endpoint: sim.url, api_key: 'sk-ant' }],
      groups: [{ name: 'claude', deployments: ['sonnet'] }],
      ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false },
    });
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
  });

  const ask = (text: string, stream = false) =>
    request(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude',
        max_tokens: 32,
        stream,
        system: [{ type: 'text', text, cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });

  /** The ledger's cost and cache-write tokens (all, and the one-hour part) of everything recorded so far. */
  async function ledgerTotals(): Promise<{ costUsd: number; cachedWriteTokens: number; cachedWrite1hTokens: number }> {
    await app.flush();
    const [row] = (await app.ledger.store?.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] })) ?? [];
    return { costUsd: row?.costUsd ?? 0, cachedWriteTokens: row?.cachedWriteTokens ?? 0, cachedWrite1hTokens: row?.cachedWrite1hTokens ?? 0 };
  }

  it('bills a one-hour write at twice input in x-switchyard-cost-usd and the ledger, and tells the client its TTL', async () => {
    const res = await ask(`Reference material. ${'Stable context. '.repeat(200)}`);
    const message = (await res.body.json()) as Anthropic.Message;
    const writes = message.usage.cache_creation_input_tokens ?? 0;
    expect(writes).toBeGreaterThan(0);
    expect(message.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: writes });
    const usd = billed(message.usage);
    expect(Number(res.headers['x-switchyard-cost-usd'])).toBeCloseTo(usd, 10);
    // The one-hour part is stored too: the row's cost can be recomputed from its tokens.
    expect(await ledgerTotals()).toEqual({ costUsd: usd, cachedWriteTokens: writes, cachedWrite1hTokens: writes });
  });

  it('does the same for a streamed answer: the breakdown in message_start, the cost in the ledger', async () => {
    const before = await ledgerTotals();
    const text = await (await ask(`Other material. ${'Stable context. '.repeat(200)}`, true)).body.text();
    const start = /event: message_start\ndata: (.*)\n/.exec(text)?.[1] ?? '{}';
    const usage = (JSON.parse(start) as { message: { usage: Anthropic.Usage } }).message.usage;
    expect(usage.cache_creation?.ephemeral_1h_input_tokens).toBe(usage.cache_creation_input_tokens);
    const delta = /event: message_delta\ndata: (.*)\n/.exec(text)?.[1] ?? '{}';
    const output = (JSON.parse(delta) as { usage: { output_tokens: number } }).usage.output_tokens;
    const after = await ledgerTotals();
    expect(after.cachedWriteTokens - before.cachedWriteTokens).toBe(usage.cache_creation_input_tokens);
    expect(after.cachedWrite1hTokens - before.cachedWrite1hTokens).toBe(usage.cache_creation?.ephemeral_1h_input_tokens);
    expect(after.costUsd - before.costUsd).toBeCloseTo(billed({ ...usage, output_tokens: output }), 10);
  });
});
