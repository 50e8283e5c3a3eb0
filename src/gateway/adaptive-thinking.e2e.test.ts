import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../sim/bedrock/index.js';
import { startVertexSim } from '../sim/vertex/index.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import type { SimServer } from '../sim/server.js';
import { createGateway } from './gateway.js';

const KEY = 'sk-switchyard';
const PROJECT = 'adaptive-project';

/** Where each deployment's upstream keeps Claude's thinking setting, in the body it was sent. */
const TARGETS = [
  { id: 'anthropic-opus', sim: 0, fields: (body: Record<string, unknown>) => body },
  { id: 'bedrock-opus', sim: 1, fields: (body: Record<string, unknown>) => (body.additionalModelRequestFields ?? {}) as Record<string, unknown> },
  { id: 'vertex-opus', sim: 2, fields: (body: Record<string, unknown>) => body },
] as const;

/**
 * Claude Opus 4.7 refuses the budget form of thinking with a 400 (on the Anthropic API, Bedrock and
 * Vertex, whose simulators refuse it in the API's words): every door's reasoning request reaches it
 * as adaptive thinking with output_config.effort, through the real server and the official SDKs.
 */
describe('reasoning requests to Claude Opus 4.7, which takes adaptive thinking only', () => {
  const sims: SimServer[] = [];
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [anthropicSim, bedrockSim, vertexSim] = await Promise.all([
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startBedrockSim({ region: 'us-east-1' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
    ]);
    sims.push(anthropicSim, bedrockSim, vertexSim);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [
          { id: 'anthropic-opus', provider: 'anthropic', model: 'claude-opus-4-7', endpoint: anthropicSim.url, api_key: 'sk-ant' },
          { id: 'bedrock-opus', provider: 'bedrock', model: 'us.anthropic.claude-opus-4-7', region: 'us-east-1', endpoint: bedrockSim.url, access_key_id: '${AWS_ID}', secret_access_key: '${AWS_SECRET}' },
          { id: 'vertex-opus', provider: 'vertex', publisher: 'anthropic', model: 'claude-opus-4-7@20260416', project: PROJECT, region: 'us-east5', endpoint: vertexSim.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
        ],
        groups: [],
      },
      { AWS_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all(sims.map((s) => s.close()));
  });

  const sent = (t: (typeof TARGETS)[number]): Record<string, unknown> => t.fields(JSON.parse(sims[t.sim]?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>);

  describe.each(TARGETS)('on $id', (t) => {
    it("answers the openai SDK's reasoning_effort with Claude's reasoning, asked for as adaptive thinking at that effort", async () => {
      const r = await openai.chat.completions.create({ model: t.id, reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }] });
      const message = r.choices[0]?.message as (OpenAI.ChatCompletionMessage & { reasoning_content?: string }) | undefined;
      expect(message?.reasoning_content).toMatch(/.+/);
      expect(message?.content).toContain('You said: hi.');
      expect(sent(t)).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
    });

    it("streams the Anthropic SDK's adaptive thinking with its effort, the thinking block signed", async () => {
      const m = await anthropic.messages
        .stream({ model: t.id, max_tokens: 16_000, thinking: { type: 'adaptive' }, output_config: { effort: 'medium' }, messages: [{ role: 'user', content: 'hi' }] })
        .finalMessage();
      expect(m.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/.+/) });
      expect(m.content.at(-1)).toMatchObject({ type: 'text', text: expect.stringContaining('You said: hi.') });
      expect(sent(t)).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } });
    });

    it('answers a budget the model refuses at the nearest effort, and says so in x-switchyard-warnings', async () => {
      const { data, response } = await anthropic.messages
        .create({ model: t.id, max_tokens: 16_000, thinking: { type: 'enabled', budget_tokens: 8_000 }, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(data.content[0]).toMatchObject({ type: 'thinking' });
      expect(response.headers.get('x-switchyard-warnings')).toBe('reasoning');
      expect(sent(t)).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } });
    });

    it('answers an openai client\'s temperature and top_p, which the model no longer takes, without them, and says so', async () => {
      const { data, response } = await openai.chat.completions.create({ model: t.id, temperature: 0.2, top_p: 0.9, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(data.choices[0]?.message.content).toContain('You said: hi.');
      expect(response.headers.get('x-switchyard-warnings')?.split(', ').sort()).toEqual(['temperature', 'topP']);
      const body = JSON.parse(sims[t.sim]?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
      expect(JSON.stringify(body)).not.toMatch(/temperature|top_p|topP/);
    });
  });
});
