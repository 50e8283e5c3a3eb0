import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { estimateTokens } from '../core/estimate.js';
import { startAnthropicSim, type AnthropicSimServer } from '../sim/anthropic/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { userRequest } from '../testing/canonical.js';
import { createGateway, type Gateway } from './gateway.js';

/**
 * An upstream that answers 200 with a body the gateway cannot read (JSON cut off, a stream of garbage)
 * ran the request and bills it: the attempt is recorded at the prompt's likely cost, marked estimated,
 * not at nothing, whether another deployment then answers or not.
 */
describe('a garbled 2xx answer', () => {
  let claude: AnthropicSimServer;
  let openai: SimServer;
  let gateway: Gateway;
  const records: AttemptRecord[] = [];

  beforeAll(async () => {
    claude = await startAnthropicSim({ apiKey: 'sk-ant' });
    openai = await startOpenAISim({ name: 'openai', models: ['gpt-4o-mini'] });
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: claude.url, api_key: 'sk-ant' },
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1` },
        ],
        groups: [{ name: 'fb', strategy: 'priority', deployments: ['claude', 'openai'] }],
      },
      {},
    );
    gateway = createGateway(config, { observers: [{ onAttempt: (r) => records.push(r) }] });
  });

  afterEach(() => {
    records.length = 0;
    claude.faults.clear();
  });

  afterAll(async () => {
    await gateway.close();
    await claude.close();
    await openai.close();
  });

  const request = userRequest('fb', 'Tell me about routers, please, in some detail.');

  for (const stream of [false, true]) {
    it(`bills a ${stream ? 'stream of garbage' : 'malformed JSON body'} the prompt's likely cost, and the fallback's answer its own`, async () => {
      claude.faults.add({ malformed: true, count: 1 });
      if (stream) {
        const { parts } = await gateway.stream(request);
        for await (const p of parts) void p;
      } else await gateway.chat(request);
      expect(records.map((r) => [r.deployment, r.outcome, r.error?.kind])).toEqual([
        ['claude', 'error', 'bad_upstream_response'],
        ['openai', 'ok', undefined],
      ]);
      const garbled = records[0] as AttemptRecord;
      expect(garbled.usageEstimated).toBe(true);
      expect(garbled.usage?.completion).toBe(0);
      // The likely prompt: at least the text's estimate, never nothing.
      expect(garbled.usage?.prompt).toBeGreaterThanOrEqual(estimateTokens('Tell me about routers, please, in some detail.'));
    });
  }
});
