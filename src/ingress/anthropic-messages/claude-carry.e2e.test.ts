import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startEverySim, type EverySim } from '../../sim/testing/every-sim.js';
import type { SimServer } from '../../sim/server.js';

/*
 * What the official SDK's request types hold that the door carries to every Claude upstream (Anthropic,
 * Claude on Vertex, Claude on Bedrock through Converse) rather than dropping on the way: each spec reads
 * the body the simulator received.
 */

const KEY = 'sk-carry';
const LOOKUP = { name: 'lookup', description: 'Looks a query up.', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } } };
const HI = [{ role: 'user' as const, content: 'Hi' }];

type Body = Record<string, unknown>;

describe('the Messages door carries the SDK fields Claude takes to every Claude upstream', () => {
  let sims: EverySim;
  let server: RunningServer;
  let client: Anthropic;
  const sent = (sim: SimServer): Body => JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Body;

  beforeAll(async () => {
    sims = await startEverySim('carry-project');
    const parsed = parseConfig(
      {
        api_keys: [{ id: 'k', key: KEY }],
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: sims.anthropic.url, api_key: sims.keys.anthropic },
          { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...sims.gcp, region: 'us-east5' },
          { id: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', ...sims.aws },
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sims.openai.url}/v1`, api_key: sims.keys.openai },
        ],
      },
      sims.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sims.close();
  });

  it("sends a tool's strict: true to Anthropic and Claude on Vertex as the tool's field, to Bedrock in its toolSpec", async () => {
    const tools = [{ ...LOOKUP, strict: true }];
    for (const [model, sim] of [['anthropic', sims.anthropic], ['vertex-claude', sims.vertex]] as const) {
      expect((await client.messages.create({ model, max_tokens: 64, messages: HI, tools })).type).toBe('message');
      expect((sent(sim).tools as Body[])[0]).toMatchObject({ name: 'lookup', strict: true });
    }
    expect((await client.messages.create({ model: 'bedrock', max_tokens: 64, messages: HI, tools })).type).toBe('message');
    const config = sent(sims.bedrock).toolConfig as { tools: Array<{ toolSpec: Body }> };
    expect(config.tools[0]?.toolSpec).toMatchObject({ name: 'lookup', strict: true });
  });

  it("sends a tool_use block's cache_control to Anthropic and Claude on Vertex on the block, to Bedrock as a cache point after the toolUse", async () => {
    const marked = { type: 'ephemeral' as const, ttl: '1h' as const };
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Look it up.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: 'x' }, cache_control: marked }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'found' }] },
    ];
    for (const [model, sim] of [['anthropic', sims.anthropic], ['vertex-claude', sims.vertex]] as const) {
      expect((await client.messages.create({ model, max_tokens: 64, messages, tools: [LOOKUP] })).type).toBe('message');
      expect((sent(sim).messages as Array<{ content: Body[] }>)[1]?.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: 'x' }, cache_control: marked }]);
    }
    expect((await client.messages.create({ model: 'bedrock', max_tokens: 64, messages, tools: [LOOKUP] })).type).toBe('message');
    expect((sent(sims.bedrock).messages as Array<{ content: Body[] }>)[1]?.content).toEqual([{ toolUse: { toolUseId: 'toolu_1', name: 'lookup', input: { query: 'x' } } }, { cachePoint: { type: 'default', ttl: '1h' } }]);
  });

  it("sends role: 'system' messages before the first turn as the system prompt's continuation, to Claude and to other upstreams", async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'system', content: 'Answer in French.' }, ...HI];
    for (const [model, sim] of [['anthropic', sims.anthropic], ['vertex-claude', sims.vertex]] as const) {
      expect((await client.messages.create({ model, max_tokens: 64, system: 'Be brief.', messages })).type).toBe('message');
      expect(sent(sim)).toMatchObject({ system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Answer in French.' }], messages: [{ role: 'user' }] });
    }
    expect((await client.messages.create({ model: 'bedrock', max_tokens: 64, messages })).type).toBe('message');
    expect(sent(sims.bedrock).system).toEqual([{ text: 'Answer in French.' }]);
    expect((await client.messages.create({ model: 'openai', max_tokens: 64, messages })).type).toBe('message');
    expect((sent(sims.openai).messages as Body[])[0]).toEqual({ role: 'system', content: 'Answer in French.' });
  });

  it("refuses a role: 'system' message after a turn with a 400 naming it, for every upstream, before calling any", async () => {
    const before = sims.anthropic.stats.total + sims.openai.stats.total;
    for (const model of ['anthropic', 'openai']) {
      const messages: Anthropic.MessageParam[] = [...HI, { role: 'assistant', content: 'Hello.' }, { role: 'system', content: 'Now be terse.' }, ...HI];
      const err = (await client.messages.create({ model, max_tokens: 64, messages }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^messages\.2\.role: 'system' is taken only before the first user or assistant message/) } });
    }
    expect(sims.anthropic.stats.total + sims.openai.stats.total).toBe(before);
  });
});
