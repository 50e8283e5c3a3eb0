import { describe, expect, it } from 'vitest';
import { makeUsage } from '../../core/types.js';
import { pricingSchema } from '../config.js';
import { PriceBook } from './price-book.js';

const book = PriceBook.fromConfig(undefined, []);
const cost = (provider: string, model: string, usage: Parameters<typeof makeUsage>[0], region?: string) =>
  book.costOf({ deployment: 'd', provider, model, region }, makeUsage(usage));

describe('pricing catalog costs match hand-computed values', () => {
  it('openai gpt-4o bills cached reads at the cache price', () => {
    // 6000 x 2.50 + 4000 x 1.25 + 500 x 10 = 25,000 micro-dollars
    expect(cost('openai', 'gpt-4o', { prompt: 10_000, cachedRead: 4_000, completion: 500 })).toEqual({ usd: 0.025, priced: true });
  });

  it('re-resolves a deployment id whose model changed, and usdOf agrees with costOf', () => {
    const u = makeUsage({ prompt: 1_000_000, completion: 1_000_000 });
    expect(book.usdOf({ deployment: 'same-id', provider: 'openai', model: 'gpt-4o-mini', region: undefined }, u)).toBe(0.75);
    expect(book.usdOf({ deployment: 'same-id', provider: 'openai', model: 'gpt-4o', region: undefined }, u)).toBe(book.costOf({ deployment: 'x', provider: 'openai', model: 'gpt-4o', region: undefined }, u).usd);
    expect(book.usdOf({ deployment: 'same-id', provider: 'openai', model: 'no-such-model', region: undefined }, u)).toBeUndefined();
  });

  it('prices openai-compatible as openai and resolves dated aliases', () => {
    expect(cost('openai-compatible', 'gpt-4o-mini-2024-07-18', { prompt: 1_000_000, completion: 1_000_000 }).usd).toBe(0.75);
  });

  it('bills reasoning tokens as part of completion (o3)', () => {
    // 2000 x 2 + 3000 x 8 = 28,000
    expect(cost('openai', 'o3', { prompt: 2_000, completion: 3_000, reasoning: 2_500 }).usd).toBe(0.028);
  });

  it('azure-openai gpt-4.1 with cached input', () => {
    // 2000 x 2 + 6000 x 0.5 + 1000 x 8 = 15,000
    expect(cost('azure-openai', 'gpt-4.1', { prompt: 8_000, cachedRead: 6_000, completion: 1_000 }).usd).toBe(0.015);
  });

  it('anthropic sonnet 4.5 bills cache reads and 5-minute cache writes apart from input', () => {
    // 1000 x 3 + 8000 x 0.30 + 3000 x 3.75 + 700 x 15 = 27,150
    expect(cost('anthropic', 'claude-sonnet-4-5-20250929', { prompt: 12_000, cachedRead: 8_000, cachedWrite: 3_000, completion: 700 }).usd).toBe(0.02715);
  });

  it('anthropic sonnet 4.5 bills one-hour cache writes at twice input ($6), the other writes at the 5-minute price', () => {
    // 10 x 3 + 100,000 x 6 + 10 x 15 = 600,180 (not 375,180: the 5-minute price)
    expect(cost('anthropic', 'claude-sonnet-4-5', { prompt: 100_010, cachedWrite: 100_000, cachedWrite1h: 100_000, completion: 10 }).usd).toBe(0.60018);
    // 10 x 3 + 40,000 x 3.75 + 60,000 x 6 + 10 x 15 = 510,180
    expect(cost('anthropic', 'claude-sonnet-4-5', { prompt: 100_010, cachedWrite: 100_000, cachedWrite1h: 60_000, completion: 10 }).usd).toBe(0.51018);
  });

  it('prices one-hour writes at twice input for Claude on every host and in long context', () => {
    const usage = { prompt: 1_000, cachedWrite: 1_000, cachedWrite1h: 1_000 };
    expect(cost('bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', usage).usd).toBe(0.006);
    expect(cost('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', usage).usd).toBe(0.0066);
    expect(cost('vertex', 'claude-haiku-4-5@20251001', usage, 'global').usd).toBe(0.002);
    // Above 200k the long-context input ($6) doubles: 150,000 x 6 + 100,000 x 12 = 2,100,000
    expect(cost('anthropic', 'claude-sonnet-4-5', { prompt: 250_000, cachedWrite: 100_000, cachedWrite1h: 100_000 }).usd).toBe(2.1);
  });

  it('anthropic sonnet 4.5 above 200k prompt tokens uses the long-context prices for the whole request', () => {
    // 250,000 x 6 + 1000 x 22.5 = 1,522,500
    expect(cost('anthropic', 'claude-sonnet-4-5', { prompt: 250_000, completion: 1_000 }).usd).toBe(1.5225);
  });

  it('sonnet 4.5 and 4 on Bedrock and Vertex above 200k prompt tokens use the long-context prices too, the regional premium on them', () => {
    const long = { prompt: 250_000, completion: 1_000 };
    // 250,000 x 6.6 + 1000 x 24.75 = 1,674,750 (regional); 250,000 x 6 + 1000 x 22.5 = 1,522,500 (global)
    expect(cost('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', long).usd).toBe(1.67475);
    expect(cost('bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', long).usd).toBe(1.5225);
    expect(cost('bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', long).usd).toBe(1.5225);
    expect(cost('vertex', 'claude-sonnet-4-5@20250929', long, 'us-east5').usd).toBe(1.67475);
    expect(cost('vertex', 'claude-sonnet-4-5@20250929', long, 'global').usd).toBe(1.5225);
  });

  it('bedrock geographic profile us. carries the regional premium, global. does not', () => {
    const usage = { prompt: 10_000, cachedRead: 5_000, cachedWrite: 2_000, completion: 1_000 };
    // 3000 x 3.3 + 5000 x 0.33 + 2000 x 4.125 + 1000 x 16.5 = 36,300
    expect(cost('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', usage).usd).toBe(0.0363);
    // 3000 x 3 + 5000 x 0.3 + 2000 x 3.75 + 1000 x 15 = 33,000
    expect(cost('bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', usage).usd).toBe(0.033);
    expect(cost('bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0', usage).usd).toBe(0.0363);
  });

  it('bedrock older Claude through a profile prefix falls back to the base model price', () => {
    // 1000 x 3 + 1000 x 15 = 18,000
    expect(cost('bedrock', 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0', { prompt: 1_000, completion: 1_000 }).usd).toBe(0.018);
  });

  it('bedrock Titan embeddings, Llama and Nova with cache reads', () => {
    expect(cost('bedrock', 'amazon.titan-embed-text-v2:0', { prompt: 1_234 }).usd).toBe(0.00002468);
    expect(cost('bedrock', 'meta.llama3-1-70b-instruct-v1:0', { prompt: 1_000, completion: 1_000 }).usd).toBe(0.00144);
    // 1000 x 0.8 + 3000 x 0.2 + 200 x 3.2 = 2,040
    expect(cost('bedrock', 'amazon.nova-pro-v1:0', { prompt: 4_000, cachedRead: 3_000, completion: 200 }).usd).toBe(0.00204);
  });

  it('vertex gemini 2.5 flash with cached content and thinking tokens', () => {
    // 3000 x 0.30 + 2000 x 0.03 + 1000 x 2.50 = 3,460
    expect(cost('vertex', 'gemini-2.5-flash', { prompt: 5_000, cachedRead: 2_000, completion: 1_000, reasoning: 600 }).usd).toBe(0.00346);
  });

  it('vertex gemini 2.5 pro above 200k prompt tokens uses the higher tier', () => {
    // 200,000 x 2.5 + 100,000 x 0.25 + 2000 x 15 = 555,000
    expect(cost('vertex', 'gemini-2.5-pro', { prompt: 300_000, cachedRead: 100_000, completion: 2_000 }).usd).toBe(0.555);
  });

  it('vertex Claude is cheaper on the global location than on a regional one', () => {
    expect(cost('vertex', 'claude-sonnet-4-5@20250929', { prompt: 1_000, completion: 1_000 }, 'global').usd).toBe(0.018);
    expect(cost('vertex', 'claude-sonnet-4-5@20250929', { prompt: 1_000, completion: 1_000 }, 'us-east5').usd).toBe(0.0198);
  });

  it('vertex embeddings', () => {
    expect(cost('vertex', 'gemini-embedding-001', { prompt: 1_000 }).usd).toBe(0.00015);
  });

  it('prices the GPT-5.x family, dated snapshots and codex ids included, with the long-context tier above 272k', () => {
    const usage = { prompt: 10_000, cachedRead: 4_000, completion: 1_000 };
    // 6000 x 1.25 + 4000 x 0.125 + 1000 x 10 = 18,000
    for (const model of ['gpt-5.1', 'gpt-5.1-2025-11-13', 'gpt-5.1-codex', 'gpt-5-codex']) expect(cost('openai', model, usage).usd, model).toBe(0.018);
    // 6000 x 1.75 + 4000 x 0.175 + 1000 x 14 = 25,200
    for (const model of ['gpt-5.2', 'gpt-5.2-2025-12-11', 'gpt-5.2-codex', 'gpt-5.3-codex']) expect(cost('openai', model, usage).usd, model).toBeCloseTo(0.0252, 12);
    // 6000 x 2.5 + 4000 x 0.25 + 1000 x 15 = 31,000; past 272k: 296,000 x 5 + 4000 x 0.5 + 1000 x 22.5 = 1,504,500
    expect(cost('openai', 'gpt-5.4-2026-03-05', usage).usd).toBe(0.031);
    expect(cost('openai', 'gpt-5.4', { prompt: 300_000, cachedRead: 4_000, completion: 1_000 }).usd).toBe(1.5045);
    // A Pro model has no cached-input price: cached tokens at the input price. 10,000 x 30 + 1000 x 180 = 480,000
    expect(cost('openai', 'gpt-5.5-pro', usage).usd).toBe(0.48);
    expect(cost('openai-compatible', 'gpt-5.1-codex-mini', { prompt: 1_000_000, completion: 0 }).usd).toBe(0.25);
  });

  it('prices Gemini 3 on Vertex AI, with the higher tier above 200k prompt tokens for the Pro previews', () => {
    // 6000 x 2 + 4000 x 0.2 + 1000 x 12 = 24,800; past 200k: 246,000 x 4 + 4000 x 0.4 + 1000 x 18 = 1,003,600
    expect(cost('vertex', 'gemini-3-pro-preview', { prompt: 10_000, cachedRead: 4_000, completion: 1_000 }).usd).toBe(0.0248);
    expect(cost('vertex', 'gemini-3.1-pro-preview', { prompt: 250_000, cachedRead: 4_000, completion: 1_000 }).usd).toBe(1.0036);
    // 6000 x 0.5 + 4000 x 0.05 + 1000 x 3 = 6,200
    expect(cost('vertex', 'gemini-3-flash-preview', { prompt: 10_000, cachedRead: 4_000, completion: 1_000 }).usd).toBe(0.0062);
    expect(cost('vertex', 'gemini-3.1-flash-lite-preview', { prompt: 1_000_000, completion: 1_000_000 }).usd).toBe(1.75);
  });

  it('reports a model without a price as unpriced, never as $0', () => {
    expect(cost('openai-compatible', 'llama-3.1-8b-instruct', { prompt: 100, completion: 100 })).toEqual({ usd: undefined, priced: false });
    expect(cost('nobody', 'gpt-4o', { prompt: 100 })).toEqual({ usd: undefined, priced: false });
  });

  it('every shipped price names its date and public source', () => {
    for (const provider of ['openai', 'azure-openai', 'anthropic', 'bedrock', 'vertex']) {
      const p = book.lookup({ deployment: 'x', provider, model: provider === 'bedrock' ? 'amazon.nova-lite-v1:0' : provider === 'vertex' ? 'gemini-2.5-flash' : provider === 'anthropic' ? 'claude-haiku-4-5' : 'gpt-4o', region: undefined });
      expect(p?.source).toMatch(/^https:\/\//);
      expect(p?.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});

describe("the newer Claude models, priced from Anthropic's own pages", () => {
  const anthropic = (model: string) => book.lookup({ deployment: model, provider: 'anthropic', model, region: undefined });

  it('bills Opus 4.6 to Opus 5 at $5 input, $0.50 cache reads, $6.25 5-minute and $10 one-hour writes, $25 output', () => {
    const usage = { prompt: 10_000, cachedRead: 4_000, cachedWrite: 2_000, cachedWrite1h: 1_000, completion: 1_000 };
    // 4000 x 5 + 4000 x 0.5 + 1000 x 6.25 + 1000 x 10 + 1000 x 25 = 63,250
    for (const model of ['claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5']) {
      expect(cost('anthropic', model, usage), model).toEqual({ usd: 0.06325, priced: true });
    }
  });

  it('bills Sonnet 5 at $2 input, $0.20 cache reads, $2.50 5-minute and $4 one-hour writes, $10 output', () => {
    // 4000 x 2 + 4000 x 0.2 + 1000 x 2.5 + 1000 x 4 + 1000 x 10 = 25,300
    expect(cost('anthropic', 'claude-sonnet-5', { prompt: 10_000, cachedRead: 4_000, cachedWrite: 2_000, cachedWrite1h: 1_000, completion: 1_000 }).usd).toBe(0.0253);
  });

  it('bills the same Claude models on Bedrock and Vertex AI at the API price globally, 10% more in a region or geography', () => {
    const usage = { prompt: 10_000, cachedRead: 4_000, cachedWrite: 2_000, completion: 1_000 };
    // 4000 x 5 + 4000 x 0.5 + 2000 x 6.25 + 1000 x 25 = 59,500; x 1.1 = 65,450
    for (const model of ['anthropic.claude-opus-4-6-v1', 'anthropic.claude-opus-4-6-v1:0', 'anthropic.claude-opus-4-7', 'anthropic.claude-opus-4-8', 'anthropic.claude-opus-5']) {
      expect(cost('bedrock', `global.${model}`, usage).usd, model).toBe(0.0595);
      expect(cost('bedrock', `us.${model}`, usage).usd, model).toBeCloseTo(0.06545, 12);
      expect(cost('bedrock', model, usage).usd, model).toBeCloseTo(0.06545, 12);
    }
    for (const model of ['claude-opus-4-6', 'claude-opus-4-7@default', 'claude-opus-4-8', 'claude-opus-5']) {
      expect(cost('vertex', model, usage, 'global').usd, model).toBe(0.0595);
      expect(cost('vertex', model, usage, 'europe-west1').usd, model).toBeCloseTo(0.06545, 12);
    }
    // Sonnet 4.6: 4000 x 3 + 4000 x 0.3 + 2000 x 3.75 + 1000 x 15 = 35,700
    expect(cost('anthropic', 'claude-sonnet-4-6', usage).usd).toBe(0.0357);
    expect(cost('bedrock', 'global.anthropic.claude-sonnet-4-6', usage).usd).toBe(0.0357);
    expect(cost('vertex', 'claude-sonnet-4-6', usage, 'us-east5').usd).toBeCloseTo(0.03927, 12);
    // Sonnet 5 ($2/$10, launch price made standard): 4000 x 2 + 4000 x 0.2 + 2000 x 2.5 + 1000 x 10 = 23,800
    expect(cost('bedrock', 'global.anthropic.claude-sonnet-5-v1:0', usage).usd).toBe(0.0238);
    expect(cost('bedrock', 'eu.anthropic.claude-sonnet-5', usage).usd).toBeCloseTo(0.02618, 12);
    expect(cost('vertex', 'claude-sonnet-5', usage, 'global').usd).toBe(0.0238);
    // Fable 5: 4000 x 10 + 4000 x 1 + 2000 x 12.5 + 1000 x 50 = 119,000
    expect(cost('anthropic', 'claude-fable-5', usage).usd).toBe(0.119);
    expect(cost('bedrock', 'global.anthropic.claude-fable-5', usage).usd).toBe(0.119);
    expect(cost('vertex', 'claude-fable-5@default', usage, 'us-east5').usd).toBeCloseTo(0.1309, 12);
  });

  it('names the page each price was read from and when, not the provider block of older models', () => {
    expect(anthropic('claude-opus-4-7')).toMatchObject({ source: 'https://platform.claude.com/docs/en/about-claude/pricing', date: '2026-12-04' });
    expect(anthropic('claude-sonnet-5')).toMatchObject({ source: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview', date: '2026-12-04' });
    expect(anthropic('claude-opus-4-5')?.date).toBe('2025-11-24');
  });

  it('budgets a request to Opus 4.7 at its price rather than refusing it as unpriced', () => {
    // 100,000 x 6.25 (the dearest prompt rate, a 5-minute write) + 4,000 x 25 = 725,000
    expect(book.maxCost({ deployment: 'opus', provider: 'anthropic', model: 'claude-opus-4-7', region: undefined }, 100_000, 4_000)).toBe(0.725);
  });
});

describe('models released since the 2025-11 catalog, priced from their provider\'s own pages', () => {
  const usage = { prompt: 10_000, cachedRead: 4_000, cachedWrite: 2_000, completion: 1_000 };

  it('bills the GPT-6 models\' cache writes apart from input and cache reads', () => {
    // 4000 x 2 + 4000 x 0.10 + 2000 x 2.50 + 1000 x 10 = 23,400
    expect(cost('openai', 'gpt-6.2-sol', usage)).toEqual({ usd: 0.0234, priced: true });
    expect(cost('openai', 'gpt-6.1-sol', usage).usd).toBe(0.0234);
    // 4000 x 2 + 4000 x 0.20 + 2000 x 2.50 + 1000 x 10 = 23,800
    expect(cost('openai', 'gpt-6-sol', usage).usd).toBe(0.0238);
    // 4000 x 1 + 4000 x 0.05 + 2000 x 1.25 + 1000 x 5 = 11,700
    expect(cost('openai', 'gpt-6.1-terra', usage).usd).toBe(0.0117);
    // 4000 x 0.10 + 4000 x 0.01 + 2000 x 0.125 + 1000 x 0.50 = 1,190
    expect(cost('openai-compatible', 'gpt-6-luna', usage).usd).toBeCloseTo(0.00119, 12);
  });

  it('bills a GPT-6 request past 272K input tokens at twice the input and cache rates and 1.5x output, the whole request', () => {
    // 180,000 x 4 + 100,000 x 0.20 + 20,000 x 5 + 1000 x 15 = 855,000
    expect(cost('openai', 'gpt-6.2-sol', { prompt: 300_000, cachedRead: 100_000, cachedWrite: 20_000, completion: 1_000 }).usd).toBe(0.855);
    // 272,000 is still short context: 272,000 x 2 = 544,000; one more token: 272,001 x 4 = 1,088,004
    expect(cost('openai', 'gpt-6.2-sol', { prompt: 272_000 }).usd).toBe(0.544);
    expect(cost('openai', 'gpt-6.2-sol', { prompt: 272_001 }).usd).toBe(1.088004);
    // 180,000 x 2 + 100,000 x 0.10 + 20,000 x 2.50 + 1000 x 7.50 = 427,500
    expect(cost('openai', 'gpt-6.1-terra', { prompt: 300_000, cachedRead: 100_000, cachedWrite: 20_000, completion: 1_000 }).usd).toBe(0.4275);
  });

  it('prices GPT-5.6 Sol (also called gpt-5.6) at $4/$20 and Luna at its cut price, cache writes at 1.25x input', () => {
    // 4000 x 4 + 4000 x 0.40 + 2000 x 5 + 1000 x 20 = 47,600
    expect(cost('openai', 'gpt-5.6', usage).usd).toBe(0.0476);
    expect(cost('openai', 'gpt-5.6-sol', usage).usd).toBe(0.0476);
    // 4000 x 0.20 + 4000 x 0.02 + 2000 x 0.25 + 1000 x 1.20 = 2,580
    expect(cost('openai', 'gpt-5.6-luna', usage).usd).toBeCloseTo(0.00258, 12);
  });

  it('bills Claude Opus 5.5 cache reads at 0.05x input and Fable 5.1 at 0.025x, one-hour writes at their own price', () => {
    const withOneHour = { ...usage, cachedWrite1h: 1_000 };
    // 4000 x 4 + 4000 x 0.20 + 1000 x 5 + 1000 x 8 + 1000 x 20 = 49,800
    expect(cost('anthropic', 'claude-opus-5-5', withOneHour)).toEqual({ usd: 0.0498, priced: true });
    // 4000 x 10 + 4000 x 0.25 + 1000 x 12.50 + 1000 x 20 + 1000 x 50 = 123,500
    expect(cost('anthropic', 'claude-fable-5-1', withOneHour).usd).toBe(0.1235);
  });

  it('names the provider page each new price was read from, and the day', () => {
    for (const [provider, model, page] of [
      ['openai', 'gpt-6.2-sol', 'https://developers.openai.com/api/docs/models/gpt-6.2-sol'],
      ['openai', 'gpt-5.6-luna', 'https://developers.openai.com/api/docs/models/gpt-5.6-luna'],
      ['anthropic', 'claude-fable-5-1', 'https://platform.claude.com/docs/en/about-claude/pricing'],
      ['anthropic', 'claude-sonnet-4-6', 'https://platform.claude.com/docs/en/docs/about-claude/pricing'],
    ] as const) {
      expect(book.lookup({ deployment: model, provider, model, region: undefined }), model).toMatchObject({ source: page, date: '2026-12-05' });
    }
  });

});

describe('pricing overrides from config', () => {
  const config = pricingSchema.parse({
    provider_aliases: { 'my-proxy': 'anthropic' },
    models: [
      { provider: 'openai', model: 'ft:gpt-4o-mini:acme', input: 0.3, output: 1.2, cache_read: 0.15 },
      { provider: 'openai', model: 'gpt-4o', aliases: ['gpt-4o-2024-08-06'], input: 2, output: 8 },
    ],
    deployments: { 'vllm-b': { input: 0, output: 0, note: 'self-hosted' } },
  });
  const custom = PriceBook.fromConfig(config, []);

  it('adds models, replaces catalog entries and prices deployments directly', () => {
    const u = makeUsage({ prompt: 1_000_000, cachedRead: 500_000, completion: 1_000_000 });
    expect(custom.costOf({ deployment: 'a', provider: 'openai', model: 'ft:gpt-4o-mini:acme', region: undefined }, u).usd).toBe(1.425);
    // The replacement has no cache price, so cached tokens fall back to its input price.
    expect(custom.costOf({ deployment: 'a', provider: 'openai', model: 'gpt-4o', region: undefined }, u).usd).toBe(10);
    expect(custom.costOf({ deployment: 'vllm-b', provider: 'openai-compatible', model: 'llama', region: undefined }, u)).toEqual({ usd: 0, priced: true });
    expect(custom.costOf({ deployment: 'a', provider: 'my-proxy', model: 'claude-haiku-4-5', region: undefined }, makeUsage({ prompt: 1_000_000 })).usd).toBe(1);
  });
});

describe('one-hour cache write prices from config', () => {
  const config = pricingSchema.parse({
    models: [
      { provider: 'anthropic', model: 'claude-negotiated', input: 2, output: 10, cache_write: 2.5, cache_write_1h: 3 },
      { provider: 'openai', model: 'gpt-cached', input: 1, output: 4, cache_write: 1.5 },
    ],
    deployments: { 'claude-direct': { input: 1, output: 5, cache_write: 1.25 } },
  });
  const custom = PriceBook.fromConfig(config, []);
  const oneHour = makeUsage({ prompt: 1_000_000, cachedWrite: 1_000_000, cachedWrite1h: 1_000_000 });
  const key = (deployment: string, provider: string, model: string) => ({ deployment, provider, model, region: undefined });

  it('uses cache_write_1h where a price gives it, and twice input for a Claude price that does not', () => {
    expect(custom.costOf(key('a', 'anthropic', 'claude-negotiated'), oneHour).usd).toBe(3);
    // A deployment priced directly is Claude's when its model is.
    expect(custom.costOf(key('claude-direct', 'anthropic', 'claude-haiku-4-5'), oneHour).usd).toBe(2);
  });

  it('bills one-hour writes of a model with no such price at its cache_write price', () => {
    expect(custom.costOf(key('a', 'openai', 'gpt-cached'), oneHour).usd).toBe(1.5);
  });

  it('reserves budgets at the five-minute write price: the one-hour rate is for the requests that ask for it', () => {
    expect(custom.maxCost(key('a', 'anthropic', 'claude-negotiated'), 1_000_000, 0)).toBe(2.5);
    expect(custom.maxCost(key('a', 'anthropic', 'claude-negotiated'), 1_000_000, 0, '5m')).toBe(2.5);
  });

  it('reserves a request with a one-hour cache breakpoint at the one-hour write price, so its reservation covers a prompt written whole to that cache', () => {
    expect(custom.maxCost(key('a', 'anthropic', 'claude-negotiated'), 1_000_000, 0, '1h')).toBe(3);
    // Claude's default: twice input (1.25x for five minutes).
    expect(custom.maxCost(key('claude-direct', 'anthropic', 'claude-haiku-4-5'), 1_000_000, 0, '1h')).toBe(2);
    // A model without a one-hour price bills such writes at cache_write, as it reserves them.
    expect(custom.maxCost(key('a', 'openai', 'gpt-cached'), 1_000_000, 0, '1h')).toBe(1.5);
  });

  it("bounds what a Claude answer with its prompt written to the one-hour cache costs, in long context too", () => {
    const shipped = PriceBook.fromConfig(undefined, []);
    const sonnet = key('s', 'anthropic', 'claude-sonnet-4-5');
    for (const prompt of [750, 300_000]) {
      const usage = makeUsage({ prompt, cachedWrite: prompt, cachedWrite1h: prompt, completion: 10 });
      const cost = shipped.costOf(sonnet, usage).usd ?? Number.NaN;
      expect(shipped.maxCost(sonnet, prompt, 10, '1h')).toBe(cost);
      expect(shipped.maxCost(sonnet, prompt, 10)).toBeLessThan(cost);
    }
  });

  it('refuses a negative cache_write_1h', () => {
    expect(pricingSchema.safeParse({ models: [{ provider: 'anthropic', model: 'm', input: 1, output: 1, cache_write_1h: -1 }] }).success).toBe(false);
  });
});

describe('a deployment whose model ARN hides its model, priced by its base_model', () => {
  const OPUS_45 = 'anthropic.claude-opus-4-5-20251101-v1:0';
  const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
  const based = PriceBook.fromConfig(pricingSchema.parse({ deployments: { 'fixed': { input: 1, output: 1 } } }), [
    { id: 'regional', base_model: OPUS_45 },
    { id: 'global', base_model: `global.${OPUS_45}` },
    { id: 'fixed', base_model: OPUS_45 },
    { id: 'plain' },
  ]);
  const u = makeUsage({ prompt: 1_000_000, completion: 1_000_000 });
  const at = (deployment: string) => based.costOf({ deployment, provider: 'bedrock', model: PROFILE_ARN, region: 'us-east-1' }, u);

  it("prices the ARN's usage at the base model's catalog price, and at a cross-region profile's where base_model is one", () => {
    expect(at('regional')).toEqual({ usd: 33, priced: true });
    expect(at('global')).toEqual({ usd: 30, priced: true });
  });

  it('leaves a deployment price first, and an ARN without base_model unpriced', () => {
    expect(at('fixed')).toEqual({ usd: 2, priced: true });
    expect(at('plain')).toEqual({ usd: undefined, priced: false });
  });
});
