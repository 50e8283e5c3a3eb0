import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

/*
 * OpenAI's reasoning efforts above 'high' through both OpenAI doors, with the official SDK: 'xhigh'
 * (Codex CLI sends it) and 'max' are taken, sent to a model that takes them as asked, and lowered to
 * the highest a model takes, with a warning (the `x-switchyard-warnings` header names the setting), for one that does not (the simulator refuses them there,
 * as OpenAI does). Anything else is OpenAI's invalid_value.
 */

const KEY = 'sk-efforts';

describe('reasoning efforts above high', () => {
  let sim: SimServer;
  let server: RunningServer;
  let openai: OpenAI;
  const sent = (): unknown => (JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { reasoning_effort?: unknown }).reasoning_effort;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-up' });
    const upstream = { provider: 'openai-compatible', endpoint: `${sim.url}/v1`, api_key: 'sk-up' } as const;
    const parsed = parseConfig({
      api_keys: [{ id: 'k', key: KEY }],
      routing: { max_attempts_per_deployment: 1 },
      deployments: [
        { id: 'sol', model: 'gpt-5.6-sol', ...upstream },
        { id: 'five-two', model: 'gpt-5.2', ...upstream },
        { id: 'o3', model: 'o3', ...upstream },
      ],
      groups: [
        { name: 'sol', deployments: ['sol'] },
        { name: 'five-two', deployments: ['five-two'] },
        { name: 'o3', deployments: ['o3'] },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it("takes reasoning_effort 'xhigh' and 'max' on the chat door and sends them to a model that takes them", async () => {
    for (const [model, effort] of [['five-two', 'xhigh'], ['sol', 'xhigh'], ['sol', 'max']] as const) {
      const { response } = await openai.chat.completions.create({ model, reasoning_effort: effort, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect([sent(), response.headers.get('x-switchyard-warnings')], `${model} ${effort}`).toEqual([effort, null]);
    }
  });

  it("takes reasoning.effort 'xhigh' and 'max' on the Responses door, echoing what was asked", async () => {
    const response = await openai.responses.create({ model: 'five-two', reasoning: { effort: 'xhigh' }, input: 'hi' });
    expect([sent(), response.reasoning?.effort]).toEqual(['xhigh', 'xhigh']);
    await openai.responses.create({ model: 'sol', reasoning: { effort: 'max' }, input: 'hi' });
    expect(sent()).toBe('max');
  });

  it('lowers an effort the model lacks to its highest, and says so in the warnings header', async () => {
    const { response } = await openai.chat.completions.create({ model: 'o3', reasoning_effort: 'xhigh', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(sent()).toBe('high');
    expect(response.headers.get('x-switchyard-warnings')).toBe('reasoning');
    const stream = await openai.responses.create({ model: 'five-two', reasoning: { effort: 'max' }, input: 'hi', stream: true });
    for await (const event of stream) void event;
    expect(sent()).toBe('xhigh');
  });

  it("refuses an effort OpenAI does not know in OpenAI's words, on both doors", async () => {
    const chat = await openai.chat.completions.create({ model: 'sol', reasoning_effort: 'ultra' as 'max', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    const responses = await openai.responses.create({ model: 'sol', reasoning: { effort: 'ultra' as 'max' }, input: 'hi' }).catch((e: unknown) => e);
    for (const [error, param] of [[chat, 'reasoning_effort'], [responses, 'reasoning.effort']] as const) {
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
        message: "Invalid value: 'ultra'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.",
        param,
        code: 'invalid_value',
      });
    }
  });
});
