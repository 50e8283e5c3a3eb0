import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { NEVER_CANCELLED } from '../../core/cancel.js';
import type { CallContext } from '../../core/provider.js';
import { makeUsage, type ChatRequest, type ChatResponse } from '../../core/types.js';
import { createHttpHandler } from '../../http/handler.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';

/*
 * The security review's reproduction in miniature: a key with a hard budget or a token limit sends
 * concurrent requests whose prompt is in the response format's JSON schema (100 KB of it, 25,000
 * tokens a request), which the upstream receives and bills as input. Budgets and token limits reserve
 * the prompt's estimate on admission and book the real usage only when each answer ends: a schema the
 * estimate left out reserved 25 tokens, and all 20 requests passed a $0.05 budget ($5 spent).
 */

const CONCURRENT = 20;
const KEY = 'sk-mallory-0000000000000';
/** USD per million tokens, as the review's `capture` deployment. */
const PRICE = { input: 10, output: 100 };
const schema = { type: 'object', description: 'x'.repeat(100_000), properties: { a: { type: 'string' } } };

/** An upstream that answers once every request was admitted or refused, billing the prompt it received (4 characters a token). */
class BillingUpstream extends FakeProvider {
  private arrived = 0;
  private refused = 0;
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  /** The prompt tokens billed for each answered request. */
  readonly billed: number[] = [];

  override async chat(req: ChatRequest, _ctx: CallContext): Promise<ChatResponse> {
    this.arrived += 1;
    this.check();
    await this.gate;
    const prompt = Math.ceil(JSON.stringify(req).length / 4);
    this.billed.push(prompt);
    return { id: 'r', model: this.id, created: 0, content: [{ type: 'text', text: '{}' }], finishReason: 'stop', usage: makeUsage({ prompt, completion: 1 }) };
  }

  /** A request the gateway refused before calling. */
  refusedOne(): void {
    this.refused += 1;
    this.check();
  }

  private check(): void {
    if (this.arrived + this.refused === CONCURRENT) this.open();
  }
}

const opened: App[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

async function start(limits: Pick<ConfigInput, 'budgets'> & { rate_limit?: Record<string, number> }) {
  const dir = mkdtempSync(join(tmpdir(), 'prompt-estimate-'));
  const config = resolveConfig({
    api_keys: [{ id: 'mallory', key: KEY, ...(limits.rate_limit ? { rate_limit: limits.rate_limit } : {}) }],
    deployments: [rawDeployment('capture')],
    groups: [{ name: 'chat', deployments: ['capture'] }],
    pricing: { deployments: { capture: PRICE } },
    budgets: limits.budgets,
    ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false },
  });
  const upstream = new BillingUpstream('capture');
  const app = await createApp(config, { createProvider: () => upstream });
  opened.push(app);
  const handle = createHttpHandler(app.gateway, app.handlerOptions);
  const send = async (path: string, body: object): Promise<number> => {
    const answer = await handle({
      method: 'POST',
      path,
      query: '',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: Buffer.from(JSON.stringify(body)),
      signal: NEVER_CANCELLED,
    });
    if (answer.status !== 200) upstream.refusedOne();
    return answer.status;
  };
  return { upstream, send };
}

const doors: Array<[string, string, object]> = [
  ['chat completions, response_format', '/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Answer.' }], max_tokens: 1, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } }],
  ['responses, text.format', '/v1/responses', { model: 'chat', input: 'Answer.', max_output_tokens: 16, text: { format: { type: 'json_schema', name: 'answer', schema } } }],
];

describe('a prompt carried in the response format JSON schema', () => {
  it.each(doors)('%s: 20 concurrent requests against a $0.05 hard budget: only what fits passes', async (_, path, body) => {
    const hard = 0.05;
    const { upstream, send } = await start({ budgets: { limits: [{ name: 'mallory-daily', period: 'daily', per: 'key', hard_usd: hard }] } });
    const statuses = await Promise.all(Array.from({ length: CONCURRENT }, () => send(path, body)));
    // Each costs ~$0.25 and reserves it: the first passes (the budget admits while anything is left, the
    // documented one reservation beyond the limit), none of the others.
    expect(upstream.billed).toHaveLength(1);
    expect(upstream.billed[0]).toBeGreaterThan(25_000);
    expect(statuses.filter((s) => s === 429)).toHaveLength(CONCURRENT - 1);
  });

  it.each(doors)('%s: 20 concurrent requests against 1,000 tokens a minute: one passes', async (_, path, body) => {
    const { upstream, send } = await start({ rate_limit: { tokens_per_minute: 1_000 } });
    const statuses = await Promise.all(Array.from({ length: CONCURRENT }, () => send(path, body)));
    // The limiter lets one request of any size into an empty window; the others each reserve 25,000 tokens.
    expect(upstream.billed).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(CONCURRENT - 1);
  });
});
