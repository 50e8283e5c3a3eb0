import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

/*
 * Requests the Messages API refuses, refused by the door in the API's words through the real server
 * with the official SDK, before any upstream is called, whichever upstream the model routes to: what
 * Anthropic would refuse must not be answered because the upstream behind the door is another API.
 */

const KEY = 'sk-refusals';
const LOOKUP = { name: 'lookup', input_schema: { type: 'object' as const } };
const HI = [{ role: 'user' as const, content: 'Hi' }];

describe('the Messages door refuses what the Messages API refuses', () => {
  let claude: SimServer;
  let gpt: SimServer;
  let server: RunningServer;
  let client: Anthropic;
  const calls = (): number => claude.stats.total + gpt.stats.total;

  /** The SDK's error for `ask`, with the count of upstream calls it made. */
  async function refusal(ask: () => Promise<unknown>): Promise<{ status: unknown; body: unknown; upstreamCalls: number }> {
    const before = calls();
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const { status, error } = err as InstanceType<typeof Anthropic.APIError>;
    return { status, body: { ...(error as object), request_id: undefined }, upstreamCalls: calls() - before };
  }

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
        { name: 'gpt', deployments: ['gpt'] },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([claude.close(), gpt.close()]);
  });

  it.each(['claude', 'gpt'])('refuses two tools of one name, "tools: Tool names must be unique.", routed to %s', async (model) => {
    const tools = [LOOKUP, { ...LOOKUP, description: 'Another lookup.' }];
    expect(await refusal(() => client.messages.create({ model, max_tokens: 64, messages: HI, tools }))).toEqual({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'tools: Tool names must be unique.' } },
      upstreamCalls: 0,
    });
    expect(await refusal(() => client.messages.countTokens({ model, messages: HI, tools }))).toMatchObject({ status: 400, upstreamCalls: 0 });
  });

  // count_tokens takes the prompt's fields only (the SDK's MessageCountTokensParams); clients that reuse a create body send the rest.
  it.each([
    ['max_tokens', 64],
    ['temperature', 0.5],
    ['top_p', 0.9],
    ['top_k', 5],
    ['stop_sequences', ['END']],
    ['stream', false],
    ['metadata', { user_id: 'u-1' }],
    ['service_tier', 'auto'],
  ])('counts no body with %s, an extra input to count_tokens, and calls no upstream', async (key, value) => {
    const body = { model: 'claude', messages: HI, [key]: value } as Anthropic.MessageCountTokensParams;
    expect(await refusal(() => client.messages.countTokens(body))).toEqual({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: `${key}: Extra inputs are not permitted` } },
      upstreamCalls: 0,
    });
  });

  it('counts the prompt fields count_tokens takes', async () => {
    const counted = await client.messages.countTokens({ model: 'claude', system: 'Be brief.', messages: HI, tools: [LOOKUP], tool_choice: { type: 'auto' }, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });
});
