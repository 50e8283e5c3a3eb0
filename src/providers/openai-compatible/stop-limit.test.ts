import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { DeploymentConfig } from '../../config/schema.js';
import type { ChatRequest } from '../../core/types.js';
import type { OpenAICompatibleOptions } from './index.js';
import { OpenAICompatibleProvider } from './provider.js';

function provider(endpoint: string): OpenAICompatibleProvider {
  const r = parseConfig({ deployments: [{ id: 'oa', provider: 'openai-compatible', model: 'gpt-4o', endpoint, api_key: 'sk-test' }] }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const d = r.config.deployments[0] as DeploymentConfig;
  return new OpenAICompatibleProvider(d, d.options as OpenAICompatibleOptions);
}

const five: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stopSequences: ['a', 'b', 'c', 'd', 'e'] };

describe('openai-compatible stop sequence limit', () => {
  it("refuses more than OpenAI's 4 stop sequences for api.openai.com before any connection is made", async () => {
    const p = provider('https://api.openai.com/v1');
    const ctx = { signal: new AbortController().signal, requestId: 'r1' };
    await expect(p.chat(five, ctx)).rejects.toMatchObject({ kind: 'invalid_request', param: 'stop', fallbackable: true, unsent: true });
    await expect(p.stream(five, ctx)).rejects.toMatchObject({ kind: 'invalid_request', param: 'stop' });
    await p.close();
  });
});
