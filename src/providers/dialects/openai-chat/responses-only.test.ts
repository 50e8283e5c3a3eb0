import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { main } from '../../../cli/main.js';
import { isResponsesOnly } from './responses-only.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import { OpenAICompatibleProvider } from '../../openai-compatible/provider.js';
import type { OpenAICompatibleOptions } from '../../openai-compatible/index.js';
import type { DeploymentConfig } from '../../../config/schema.js';
import { GatewayError } from '../../../core/errors.js';

const REFUSAL = '"This model is only supported in v1/responses and not in v1/chat/completions."';
const openai = (model: string, extra: Record<string, unknown> = {}) => ({ id: 'oa', provider: 'openai-compatible', model, api_key: 'sk-x', ...extra });
const azure = (model: string) => ({ id: 'az', provider: 'azure-openai', model, deployment_name: 'prod', endpoint: 'https://r.openai.azure.com', api_key: 'k' });

/** The problems a config of these deployments gets, `path: message`; none when it loads. */
function problems(...deployments: Array<Record<string, unknown>>): string[] {
  const parsed = parseConfig({ deployments: deployments.map((d, i) => ({ ...d, id: `d${i}` })) }, {});
  return parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('OpenAI models served on the Responses API only', () => {
  it('knows the Responses-only models and their dated snapshots, and no model Chat Completions serves', () => {
    for (const model of ['o1-pro', 'o3-pro-2025-06-10', 'o3-deep-research', 'o4-mini-deep-research-2025-06-26', 'computer-use-preview', 'gpt-5-pro-2025-10-06', 'gpt-5-codex', 'gpt-5.1-codex', 'gpt-5.1-codex-mini', 'gpt-5.1-codex-max', 'codex-mini-latest', 'gpt-5.2-pro', 'gpt-5.2-codex', 'gpt-5.3-codex', 'O3-PRO']) {
      expect(isResponsesOnly(model), model).toBe(true);
    }
    for (const model of ['o3', 'o1', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5.1', 'gpt-5.2', 'gpt-5-mini', 'gpt-5.2-chat-latest', 'gpt-5.3-chat-latest', 'gpt-5.4', 'gpt-4o', 'o3-pro-max']) {
      expect(isResponsesOnly(model), model).toBe(false);
    }
  });

  it('refuses such a model on an openai-compatible deployment that goes to OpenAI, naming the exact path', () => {
    expect(problems(openai('gpt-4o'), openai('o3'), openai('o3-pro'))).toEqual([
      `deployments[2].model: o3-pro is served by OpenAI's Responses API only; the openai-compatible provider speaks Chat Completions, where OpenAI refuses it (${REFUSAL}): choose a model Chat Completions serves`,
    ]);
    expect(problems(openai('gpt-5-pro-2025-10-06', { endpoint: 'https://eu.api.openai.com/v1' }))).toHaveLength(1);
  });

  it('takes the same name on an openai-compatible server that is not OpenAI (a proxy may serve it on Chat Completions)', () => {
    expect(problems(openai('o3-pro', { endpoint: 'https://litellm.internal/v1' }))).toEqual([]);
  });

  it('refuses such a model on Azure, whose model field names the model apart from deployment_name', () => {
    expect(problems(azure('gpt-4o'), azure('codex-mini'))).toEqual([
      `deployments[1].model: codex-mini is served by OpenAI's Responses API only; the azure-openai provider speaks Chat Completions, where OpenAI refuses it (${REFUSAL}): choose a model Chat Completions serves`,
    ]);
  });

  it('check-config shows the problem and fails', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchyard-respmodels-')), 'switchyard.yaml');
    writeFileSync(file, 'deployments:\n  - { id: a, provider: openai-compatible, model: o3-pro, api_key: sk-x }\ngroups:\n  - { name: chat, deployments: [a] }\n');
    const err: string[] = [];
    const code = await main(['check-config', file], { out: () => {}, err: (l: string) => err.push(l), env: {} });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain("deployments[0].model: o3-pro is served by OpenAI's Responses API only");
  });

  it('is what such a deployment would meet at request time: OpenAI refuses it on Chat Completions (404, naming model)', async () => {
    const sim = await startOpenAISim();
    // On loopback the config check does not apply (another server may serve the name): the upstream's 404 shows what it prevents.
    const parsed = parseConfig({ deployments: [openai('o3-pro', { endpoint: `${sim.url}/v1` })] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0] as DeploymentConfig;
    const provider = new OpenAICompatibleProvider(d, d.options as OpenAICompatibleOptions);
    try {
      const failed = await provider.chat({ model: 'o3-pro', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, { signal: new AbortController().signal, requestId: 'r1' }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(GatewayError);
      expect(failed).toMatchObject({ kind: 'not_found', upstreamStatus: 404, param: 'model', upstreamText: 'This model is only supported in v1/responses and not in v1/chat/completions.' });
    } finally {
      await provider.close();
      await sim.close();
    }
  });
});
