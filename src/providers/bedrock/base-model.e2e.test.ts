import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import type { SimServer } from '../../sim/server.js';

const KEY = 'sk-switchyard';
/** An application inference profile made from Claude Opus 4.7: its ARN does not say which model it is. */
const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
/** The price the config gives Claude Opus 4.7 (USD per million tokens): the profile's usage is billed at it. */
const OPUS = { input: 5, output: 25 };

/**
 * Claude Opus 4.7 behind an application inference profile, which the simulator serves (and refuses) as
 * the model behind it, as AWS does: the deployment's base_model makes the gateway speak to it as to
 * Opus 4.7 (adaptive thinking only, no temperature or top_p) and price it so, while every call still
 * goes to the profile's ARN. Without base_model the ARN hides the model, and each of these requests
 * would fail or lose its reasoning.
 */
describe('a Bedrock application inference profile with base_model, through the real server', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    sim = await startBedrockSim({ region: 'us-east-1', profiles: { [PROFILE_ARN]: 'anthropic.claude-opus-4-7' } });
    const config = resolveConfig({
      routing: { max_attempts_per_deployment: 1 },
      api_keys: [{ id: 'k', key: KEY }],
      deployments: [
        {
          id: 'opus-profile',
          provider: 'bedrock',
          model: PROFILE_ARN,
          base_model: 'anthropic.claude-opus-4-7',
          region: 'us-east-1',
          endpoint: sim.url,
          access_key_id: SIM_CREDENTIALS.accessKeyId,
          secret_access_key: SIM_CREDENTIALS.secretAccessKey,
        },
      ],
      groups: [{ name: 'opus', deployments: ['opus-profile'] }],
      pricing: { models: [{ provider: 'bedrock', model: 'anthropic.claude-opus-4-7', ...OPUS }] },
      ledger: { enabled: false },
    });
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
  });

  const sentPath = (): string => decodeURIComponent(sim.lastRequest?.path ?? '');
  const sentFields = (): Record<string, unknown> => {
    const body = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { additionalModelRequestFields?: Record<string, unknown> };
    return body.additionalModelRequestFields ?? {};
  };

  it("answers the openai SDK's reasoning_effort with Claude's reasoning, asked of the profile's ARN as adaptive thinking", async () => {
    const r = await openai.chat.completions.create({ model: 'opus', reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }] });
    const message = r.choices[0]?.message as (OpenAI.ChatCompletionMessage & { reasoning_content?: string }) | undefined;
    expect(message?.reasoning_content).toMatch(/.+/);
    expect(message?.content).toContain('You said: hi.');
    expect(sentPath()).toBe(`/model/${PROFILE_ARN}/converse`);
    expect(sentFields()).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
  });

  it("streams the Anthropic SDK's thinking budget as adaptive thinking at the nearest effort, the thinking block signed", async () => {
    const stream = anthropic.messages.stream({ model: 'opus', max_tokens: 16_000, thinking: { type: 'enabled', budget_tokens: 8_000 }, messages: [{ role: 'user', content: 'hi' }] });
    const m = await stream.finalMessage();
    expect(m.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/.+/) });
    expect(sentPath()).toBe(`/model/${PROFILE_ARN}/converse-stream`);
    expect(sentFields()).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } });
  });

  it('answers temperature and top_p, which Opus 4.7 refuses, without them and says so', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'opus', temperature: 0.2, top_p: 0.9, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]?.message.content).toContain('You said: hi.');
    expect(response.headers.get('x-switchyard-warnings')?.split(', ').sort()).toEqual(['temperature', 'topP']);
    expect(sim.lastRequest?.body.toString()).not.toMatch(/temperature|top_p|topP/);
  });

  it("prices the profile's usage as Claude Opus 4.7's in x-switchyard-cost-usd", async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'opus', messages: [{ role: 'user', content: 'price me' }] }).withResponse();
    const usage = data.usage ?? { prompt_tokens: 0, completion_tokens: 0 };
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    const usd = (usage.prompt_tokens * OPUS.input + usage.completion_tokens * OPUS.output) / 1_000_000;
    expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBeCloseTo(usd, 9);
  });

  it('counts tokens with CountTokens under the model behind the profile, which the ARN itself is refused', async () => {
    const counted = await anthropic.messages.countTokens({ model: 'opus', messages: [{ role: 'user', content: 'count me' }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(sentPath()).toBe('/model/anthropic.claude-opus-4-7/count-tokens');
  });
});
