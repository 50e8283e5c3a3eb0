import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { Logger } from '../../core/logger.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest } from '../../core/types.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import type { SimServer } from '../../sim/server.js';
import { bedrock, type BedrockOptions } from './index.js';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
const PROVISIONED_ARN = 'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123';
const OPUS_47 = 'anthropic.claude-opus-4-7';
const HAIKU_35 = 'anthropic.claude-3-5-haiku-20241022-v1:0';

const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'req1' });
const reasoning = (text: string): ChatRequest => ({ model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text }] }], reasoning: { enabled: true, budgetTokens: 4_000 }, temperature: 0.5 });

function deployment(extra: Record<string, unknown>): Record<string, unknown> {
  return { id: 'd', provider: 'bedrock', model: PROFILE_ARN, region: 'us-east-1', access_key_id: SIM_CREDENTIALS.accessKeyId, secret_access_key: SIM_CREDENTIALS.secretAccessKey, ...extra };
}

/** The problems a config with this one deployment gets, `path: message`; none when it loads. */
function problems(d: Record<string, unknown>): string[] {
  const parsed = parseConfig({ deployments: [d] }, {});
  return parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`);
}

function warningsLogger(lines: string[]): Logger {
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (_obj, msg) => lines.push(msg ?? ''), error: () => {}, child: () => logger };
  return logger;
}

describe('base_model in the config', () => {
  it('takes the model behind an application inference profile or a provisioned model ARN', () => {
    expect(problems(deployment({ base_model: OPUS_47 }))).toEqual([]);
    expect(problems(deployment({ model: PROVISIONED_ARN, base_model: `us.${HAIKU_35}` }))).toEqual([]);
  });

  it('refuses an ARN as base_model, naming where the ARN goes', () => {
    expect(problems(deployment({ base_model: PROVISIONED_ARN }))).toEqual([
      'deployments[0].base_model: must name the model itself (e.g. anthropic.claude-opus-4-7), not an ARN: the ARN requests go to is model',
    ]);
  });

  it('refuses an id that is no Bedrock model id (read as one, claude-opus-4-7 would not even be Claude)', () => {
    expect(problems(deployment({ base_model: 'claude-opus-4-7' }))).toEqual([
      'deployments[0].base_model: expected the Bedrock id of the model behind the ARN, its provider and model joined by a dot (anthropic.claude-opus-4-7, amazon.nova-pro-v1:0), not "claude-opus-4-7"',
    ]);
  });

  it('refuses base_model where the model id names its model already (a base id, an inference profile, an ARN naming either)', () => {
    for (const model of [HAIKU_35, `us.${HAIKU_35}`, `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_35}`, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${HAIKU_35}`]) {
      expect(problems(deployment({ model, base_model: OPUS_47 }))).toEqual([
        `deployments[0].base_model: model "${model}" names its model already: base_model is only for an ARN that does not (an application inference profile, a provisioned or custom model); remove it`,
      ]);
    }
  });

  it('refuses base_model on Azure, whose model already names the model apart from deployment_name, and on providers whose model names it', () => {
    const azure = { id: 'a', provider: 'azure-openai', model: 'prod-chat', base_model: 'gpt-4o', endpoint: 'https://r.openai.azure.com', api_key: 'k' };
    expect(problems(azure)).toEqual([
      "deployments[0].base_model: an Azure deployment names its model in model and its Azure deployment in deployment_name: set model to the model behind it (e.g. gpt-4o), deployment_name to the Azure deployment's name, and remove base_model",
    ]);
    const openai = { id: 'o', provider: 'openai-compatible', model: 'served-name', base_model: 'gpt-4o', endpoint: 'https://api.example.com/v1', api_key: 'k' };
    expect(problems(openai)[0]).toMatch(/^deployments\[0\]\.base_model: provider "openai-compatible" follows model itself: base_model is only for a Bedrock model ARN/);
  });

  it("refuses passthrough of the fields it writes for the Claude behind the ARN, as for Claude named outright", () => {
    expect(problems(deployment({ base_model: OPUS_47, passthrough: ['thinking'] }))).toEqual([
      'deployments[0].passthrough: "thinking" is a Claude model field Switchyard writes itself into additionalModelRequestFields',
    ]);
  });
});

describe('a Bedrock deployment whose model ARN hides its model', () => {
  let sim: SimServer;
  const providers: Provider[] = [];

  function make(extra: Record<string, unknown>, warnings: string[] = []): Provider {
    const parsed = parseConfig({ deployments: [deployment({ endpoint: sim.url, ...extra })] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    const p = bedrock.create(d, d.options as BedrockOptions, { logger: warningsLogger(warnings) });
    providers.push(p);
    return p;
  }

  beforeAll(async () => {
    sim = await startBedrockSim({ region: 'us-east-1', profiles: { [PROFILE_ARN]: OPUS_47, [PROVISIONED_ARN]: HAIKU_35 } });
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await sim.close();
  });

  const sent = (): { path: string; body: Record<string, unknown> } => ({
    path: decodeURIComponent(sim.lastRequest?.path ?? ''),
    body: JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>,
  });

  it("follows base_model's rules: Claude Opus 4.7 takes adaptive thinking without temperature, no prefill, and counts tokens", async () => {
    const p = make({ base_model: OPUS_47 });
    expect({ prefill: p.prefill, counts: p.countTokens !== undefined }).toEqual({ prefill: false, counts: true });
    const answer = await p.chat(reasoning('hi'), ctx());
    expect(answer.content[0]).toMatchObject({ type: 'reasoning', provider: 'anthropic' });
    expect(sent().path).toBe(`/model/${PROFILE_ARN}/converse`);
    expect(sent().body.additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } });
    expect(sent().body.inferenceConfig).not.toHaveProperty('temperature');
  });

  it("follows an older Claude's rules behind a provisioned model: the budget form, with temperature, and a prefill", async () => {
    const p = make({ model: PROVISIONED_ARN, base_model: HAIKU_35 });
    expect(p.prefill).toBe(true);
    await p.chat(reasoning('hi'), ctx());
    expect(sent().path).toBe(`/model/${PROVISIONED_ARN}/converse`);
    expect(sent().body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 4_000 } });
  });

  it('streams reasoning named as Claude\'s, so it goes back to Claude on the next turn', async () => {
    const parts = [];
    for await (const part of await make({ base_model: OPUS_47 }).stream(reasoning('hi'), ctx())) parts.push(part);
    expect(parts.find((part) => part.type === 'reasoning')).toMatchObject({ provider: 'anthropic' });
  });

  it('counts tokens under the model behind the ARN, which CountTokens takes (it refuses the ARN)', async () => {
    const p = make({ base_model: `us.${OPUS_47}` });
    await expect(p.countTokens?.(reasoning('count me'), ctx())).resolves.toBeGreaterThan(0);
    expect(sent().path).toBe(`/model/${OPUS_47}/count-tokens`);
  });

  it('logs once, when built, which rules it guesses for an ARN without base_model, and nothing with one or for a named model', () => {
    const guessed: string[] = [];
    make({}, guessed);
    expect(guessed).toHaveLength(1);
    expect(guessed[0]).toMatch(/^model is an ARN that does not name its model, so its wire rules are guessed \(taken for a model other than Claude: reasoning and top_k are not sent, /);
    expect(guessed[0]).toMatch(/set base_model to the model behind it, e\.g\. anthropic\.claude-opus-4-7$/);
    const quiet: string[] = [];
    make({ base_model: OPUS_47 }, quiet);
    make({ model: HAIKU_35 }, quiet);
    expect(quiet).toEqual([]);
  });
});

describe('explicit keys in the config', () => {
  it('refuses a key id or session token that could not travel in a header, at its path and without its value', () => {
    expect(problems(deployment({ model: HAIKU_35, session_token: 'FwoGZXIvYXdzE\nInjected: 1' }))).toEqual(['deployments[0].session_token: the value has a character a header value cannot carry (control characters, CR/LF, non-ASCII); it is sent in a header']);
    expect(problems(deployment({ model: HAIKU_35, access_key_id: 'AKIA\u0000EXAMPLE' })).map((p) => p.split(':')[0])).toEqual(['deployments[0].access_key_id']);
    expect(problems(deployment({ model: HAIKU_35, session_token: 'FwoGZXIvYXdzEPlainToken' }))).toEqual([]);
  });
});
