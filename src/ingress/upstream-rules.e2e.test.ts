import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

/*
 * A request the client's own API takes but the upstream the plan picked refuses (two tools of one name:
 * OpenAI takes them, Claude answers "tools: Tool names must be unique."), through the real server with
 * the official SDK: refused before anything is sent, in the door's error shape naming the upstream's
 * rule, or served by the group's next deployment whose upstream takes it.
 */

const KEY = 'sk-upstream-rules';
const LOOKUP: OpenAI.ChatCompletionFunctionTool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
const TWICE = [LOOKUP, { type: 'function' as const, function: { ...LOOKUP.function, description: 'Looks it up again.' } }];
const RULE = "Invalid 'tools': Claude requires tool names to be unique, and 'lookup' is given more than once.";

describe("an upstream's rule the client's API does not have", () => {
  let claude: SimServer;
  let gpt: SimServer;
  let server: RunningServer;
  let openai: OpenAI;

  beforeAll(async () => {
    [claude, gpt] = await Promise.all([startAnthropicSim({ apiKey: 'sk-ant' }), startOpenAISim({ apiKey: 'sk-oa' })]);
    const parsed = parseConfig({
      api_keys: [{ id: 'k', key: KEY }],
      routing: { max_attempts_per_deployment: 1 },
      deployments: [
        { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: claude.url, api_key: 'sk-ant' },
        { id: 'gpt', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${gpt.url}/v1`, api_key: 'sk-oa' },
      ],
      groups: [
        { name: 'claude', deployments: ['claude'] },
        { name: 'claude-then-gpt', strategy: 'priority', deployments: ['claude', 'gpt'] },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([claude.close(), gpt.close()]);
  });

  const calls = (): [number, number] => [claude.stats.total, gpt.stats.total];

  it('refuses two tools of one name for a Claude upstream with a 400 naming tools and the rule, calling no upstream (chat and Responses)', async () => {
    const before = calls();
    const chat = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], tools: TWICE }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chat as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ message: RULE, type: 'invalid_request_error', param: 'tools' });
    const tools = TWICE.map(({ function: f }) => ({ type: 'function' as const, name: f.name, parameters: f.parameters ?? null, strict: false }));
    const responses = await openai.responses.create({ model: 'claude', input: 'Hi', tools, store: false }).catch((e: unknown) => e);
    expect(responses).toBeInstanceOf(OpenAI.BadRequestError);
    expect((responses as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ message: RULE, param: 'tools' });
    expect(calls()).toEqual(before);
  });

  it("serves them from the group's next deployment, whose upstream takes them, without calling Claude", async () => {
    const before = calls();
    const answer = await openai.chat.completions.create({ model: 'claude-then-gpt', messages: [{ role: 'user', content: 'Hi' }], tools: TWICE });
    expect(answer.choices[0]?.message.role).toBe('assistant');
    expect(calls()).toEqual([before[0], before[1] + 1]);
  });
});
