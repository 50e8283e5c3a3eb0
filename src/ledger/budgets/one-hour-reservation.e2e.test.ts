import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import { NEVER_CANCELLED } from '../../core/cancel.js';
import type { CallContext } from '../../core/provider.js';
import { makeUsage, textOf, type ChatRequest, type ChatResponse } from '../../core/types.js';
import { createHttpHandler } from '../../http/handler.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';

/*
 * The accounting review's reproduction: 60 concurrent Messages requests whose 750-token system prompt
 * carries `cache_control: {type: "ephemeral", ttl: "1h"}`, against a $0.05 hard budget. Each answer
 * bills its prompt as a one-hour cache write (2x input); reserved at the five-minute price (1.25x),
 * 17 were let in and spent $0.079, 58% past the limit rather than the documented one reservation.
 */

const CONCURRENT = 60;
const KEY = 'sk-team-0000000000000000';
/** USD per million tokens: Claude Sonnet's prices. */
const PRICE = { input: 3, output: 15, cache_write: 3.75, cache_write_1h: 6 };
const SYSTEM = 'Policy clause. '.repeat(200);

/** An upstream answering once every request was admitted or refused, its system prompt (4 characters a token) written to the one-hour cache. */
class OneHourWriter extends FakeProvider {
  private arrived = 0;
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  override async chat(req: ChatRequest, _ctx: CallContext): Promise<ChatResponse> {
    this.arrive();
    await this.gate;
    const system = req.messages.flatMap((m) => (m.role === 'system' ? [textOf(m.content)] : [])).join('');
    const written = Math.ceil(system.length / 4);
    return { id: 'r', model: this.id, created: 0, content: [{ type: 'text', text: 'ok' }], finishReason: 'stop', usage: makeUsage({ prompt: written + 1, cachedWrite: written, cachedWrite1h: written, completion: 10 }) };
  }

  /** Counts a request that reached the upstream or was refused; the last one opens the gate. */
  arrive(): void {
    this.arrived += 1;
    if (this.arrived === CONCURRENT) this.open();
  }
}

const opened: App[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

describe('a hard budget under requests writing their prompt to the one-hour cache', () => {
  it('is passed by at most one answer: each reserves its prompt at the one-hour write price', async () => {
    const hard = 0.05;
    const dir = mkdtempSync(join(tmpdir(), 'one-hour-reservation-'));
    const config = resolveConfig({
      api_keys: [{ id: 'team', key: KEY, team: 'gamma' }],
      deployments: [rawDeployment('sonnet')],
      groups: [{ name: 'claude', deployments: ['sonnet'] }],
      pricing: { deployments: { sonnet: PRICE } },
      budgets: { limits: [{ name: 'gamma-daily', period: 'daily', per: 'team', hard_usd: hard }] },
      ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false },
    });
    const upstream = new OneHourWriter('sonnet');
    const app = await createApp(config, { createProvider: () => upstream });
    opened.push(app);
    const handle = createHttpHandler(app.gateway, app.handlerOptions);
    const body = { model: 'claude', max_tokens: 10, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral', ttl: '1h' } }], messages: [{ role: 'user', content: 'hi' }] };
    const send = async (): Promise<number> => {
      const answer = await handle({
        method: 'POST',
        path: '/v1/messages',
        query: '',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
        body: Buffer.from(JSON.stringify(body)),
        signal: NEVER_CANCELLED,
      });
      if (answer.status !== 200) upstream.arrive();
      return answer.status;
    };
    const statuses = await Promise.all(Array.from({ length: CONCURRENT }, send));
    await app.flush();
    const [total] = (await app.ledger.store?.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] })) ?? [];
    // 750 tokens written at $6 and 10 answered at $15 a million.
    const answer = (750 * PRICE.cache_write_1h + 10 * PRICE.output) / 1_000_000;
    expect(statuses.filter((s) => s === 200)).toHaveLength(11);
    expect(total?.costUsd ?? 0).toBeLessThanOrEqual(hard + answer);
  });
});
