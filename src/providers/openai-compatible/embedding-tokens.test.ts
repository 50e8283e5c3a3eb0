import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import type { OpenAICompatibleOptions } from './index.js';
import { OpenAICompatibleProvider } from './provider.js';

const EMBEDDINGS = 'POST /embeddings';

function provider(endpoint: string, extra: Record<string, unknown> = {}): OpenAICompatibleProvider {
  const r = parseConfig({ deployments: [{ id: 'e', provider: 'openai-compatible', model: 'nomic-embed-text', endpoint, ...extra }] }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const d = r.config.deployments[0] as DeploymentConfig;
  return new OpenAICompatibleProvider(d, d.options as OpenAICompatibleOptions);
}

describe('openai-compatible embeddings of token ids', () => {
  let sim: SimServer;
  const ctx = { signal: new AbortController().signal, requestId: 'r1' };

  beforeAll(async () => {
    sim = await startOpenAISim();
  });

  afterAll(async () => {
    await sim.close();
  });

  it('sends token ids as given by default (OpenAI, vLLM)', async () => {
    const p = provider(`${sim.url}/v1`);
    const r = await p.embed({ model: 'm', tokens: [[1212, 318]] }, ctx);
    expect(r.embeddings).toHaveLength(1);
    expect(r.usage.prompt).toBe(2);
    await p.close();
  });

  it('refuses token ids before sending when the server embeds text only (embedding_token_input: false, as for Ollama)', async () => {
    const p = provider(`${sim.url}/v1`, { embedding_token_input: false });
    const before = sim.stats.requests[EMBEDDINGS] ?? 0;
    await expect(p.embed({ model: 'm', tokens: [[1212, 318]] }, ctx)).rejects.toMatchObject({
      kind: 'invalid_request',
      status: 400,
      param: 'input',
      fallbackable: true,
      unsent: true,
      message: expect.stringContaining("This deployment's server embeds text only") as unknown,
    });
    expect(sim.stats.requests[EMBEDDINGS] ?? 0).toBe(before);
    await p.close();
  });

  it('still embeds text when the server embeds text only', async () => {
    const p = provider(`${sim.url}/v1`, { embedding_token_input: false });
    const r = await p.embed({ model: 'm', input: ['alpha', 'beta'] }, ctx);
    expect(r.embeddings).toHaveLength(2);
    await p.close();
  });
});
