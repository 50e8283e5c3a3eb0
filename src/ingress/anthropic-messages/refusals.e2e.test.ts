import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startAnthropicSim, validateMessagesBody } from '../../sim/anthropic/index.js';
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
const LONG = { timeout: 30_000 };

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
        { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: claude.url, api_key: 'sk-ant', max_output_tokens: 64_000 },
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

  const USE = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }] };
  const RESULT = (extra: object): object => ({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', ...extra }] });
  const PNG = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };

  // The API's models forbid extra members, and its paths name a union's member by its tag.
  it.each([
    ['tool_choice.auto.disable_parallel_tool_use: Input should be a valid boolean', { tools: [LOOKUP], tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } }],
    ['tool_choice.any.disable_parallel_tool_use: Input should be a valid boolean', { tools: [LOOKUP], tool_choice: { type: 'any', disable_parallel_tool_use: null } }],
    ['tool_choice.tool.parallel: Extra inputs are not permitted', { tools: [LOOKUP], tool_choice: { type: 'tool', name: 'lookup', parallel: false } }],
    ['tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted', { tools: [LOOKUP], tool_choice: { type: 'none', disable_parallel_tool_use: true } }],
    ['tools.0.custom.parameters: Extra inputs are not permitted', { tools: [{ ...LOOKUP, parameters: {} }] }],
    ['tools.0.custom.defer_loading: Input should be a valid boolean', { tools: [{ ...LOOKUP, defer_loading: 'later' }] }],
    ['temprature: Extra inputs are not permitted', { temprature: null }],
    ['messages.0.content.0.cache_control.scope: Extra inputs are not permitted', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral', scope: 'global' } }] }] }],
    ['metadata.plan: Extra inputs are not permitted', { metadata: { user_id: 'u-1', plan: 'pro' } }],
    ['system.0.role: Extra inputs are not permitted', { system: [{ type: 'text', text: 'Be brief.', role: 'system' }] }],
    ['thinking.adaptive.budget_tokens: Extra inputs are not permitted', { thinking: { type: 'adaptive', budget_tokens: 2048 } }],
    ['messages.0.name: Extra inputs are not permitted', { messages: [{ role: 'user', content: 'Hi', name: 'ann' }] }],
    ['messages.0.content.0.text.foo: Extra inputs are not permitted', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', foo: 1 }] }] }],
    ['messages.0.content.0.text.citations: Input should be a valid list', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', citations: true }] }] }],
    ['messages.0.content.0.image.detail: Extra inputs are not permitted', { messages: [{ role: 'user', content: [{ type: 'image', source: PNG, detail: 'high' }] }] }],
    ['messages.0.content.0.image.source.base64.url: Extra inputs are not permitted', { messages: [{ role: 'user', content: [{ type: 'image', source: { ...PNG, url: 'https://example.com/a.png' } }] }] }],
    ['messages.0.content.0.document.name: Extra inputs are not permitted', { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'words' }, name: 'a.txt' }] }] }],
    ['messages.1.content.0.tool_use.text: Extra inputs are not permitted', { messages: [...HI, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {}, text: '' }] }, RESULT({})] }],
    ['messages.2.content.0.tool_result.status: Extra inputs are not permitted', { messages: [...HI, USE, RESULT({ status: 'ok' })] }],
    ['messages.2.content.0.tool_result.content.0.text.id: Extra inputs are not permitted', { messages: [...HI, USE, RESULT({ content: [{ type: 'text', text: 'ok', id: 'x' }] })] }],
    ['messages.1.content.0.thinking.cache_control: Extra inputs are not permitted', { messages: [...HI, { role: 'assistant', content: [{ type: 'thinking', thinking: 'Hm.', signature: 'sig', cache_control: { type: 'ephemeral' } }] }, ...HI] }],
    ['messages.1.content.0.redacted_thinking.signature: Extra inputs are not permitted', { messages: [...HI, { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'opaque', signature: 'sig' }] }, ...HI] }],
  ])('refuses "%s" in the API\'s words, routed to Claude or GPT, and calls no upstream', async (message, fields) => {
    for (const model of ['claude', 'gpt']) {
      const body = { model, max_tokens: 64, messages: HI, ...fields } as unknown as Anthropic.MessageCreateParamsNonStreaming;
      expect(await refusal(() => client.messages.create(body))).toEqual({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } }, upstreamCalls: 0 });
    }
  });

  it('takes every member the API documents for tools, tool_choice and content blocks, including those answers carry back', async () => {
    const tool = { ...LOOKUP, type: 'custom', strict: false, defer_loading: false, allowed_callers: ['direct'], eager_input_streaming: null, input_examples: [{ q: 'x' }], cache_control: null };
    const body = {
      model: 'claude',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.', citations: null, cache_control: null }],
      tools: [tool],
      tool_choice: { type: 'auto', disable_parallel_tool_use: false },
      metadata: { user_id: null },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Look.', citations: [] }, { type: 'image', source: PNG, transformations: null, cache_control: null }, { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'words' }, title: 'a.txt', context: null, citations: { enabled: false } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Calling.', citations: null }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {}, caller: { type: 'direct' }, toolset_name: null, cache_control: null }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'ok' }], is_error: false, toolset_name: null, cache_control: null }] },
      ],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const before = claude.stats.total;
    expect((await client.messages.create(body)).type).toBe('message');
    expect(claude.stats.total - before).toBe(1);
  });

  it.each([
    [0, 'max_tokens: Input should be greater than or equal to 1'],
    [-5, 'max_tokens: Input should be greater than or equal to 1'],
    [1.5, 'max_tokens: Input should be a valid integer, got a number with a fractional part'],
    ['64', 'max_tokens: Input should be a valid integer'],
    [null, 'max_tokens: Field required'],
    [1e9, 'max_tokens: 1000000000 > 10000000, which is the maximum allowed number of output tokens for any model behind Switchyard'],
  ])('refuses max_tokens %s in the API\'s words, and calls no upstream', async (maxTokens, message) => {
    const body = { model: 'gpt', max_tokens: maxTokens, messages: HI } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    // With a timeout of its own the SDK sends a large max_tokens unstreamed, as a client that set one does.
    expect(await refusal(() => client.messages.create(body, LONG))).toEqual({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } }, upstreamCalls: 0 });
  });

  it("refuses a max_tokens above every deployment's output limit naming max_tokens, streamed or not", async () => {
    const message = "max_tokens is too large: 100000. It exceeds the output limit (max_output_tokens) of every deployment of 'claude'.";
    const refused = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } }, upstreamCalls: 0 };
    expect(await refusal(() => client.messages.create({ model: 'claude', max_tokens: 100_000, messages: HI }, LONG))).toEqual(refused);
    expect(await refusal(async () => client.messages.create({ model: 'claude', max_tokens: 100_000, messages: HI, stream: true }))).toEqual(refused);
    expect((await client.messages.create({ model: 'claude', max_tokens: 64_000, messages: HI }, LONG)).type).toBe('message');
  });

  describe('sampling settings under anthropic-version 2026-10-21 and later', () => {
    const SAMPLING = [['temperature', 0.5], ['top_p', 0.9], ['top_k', 5]] as const;
    const at = (version: string): Anthropic => new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0, defaultHeaders: { 'anthropic-version': version } });
    /** The API's words for the refusal, as the simulator (which holds them) writes them. */
    const apiWords = (body: Record<string, unknown>, version: string): string | undefined => validateMessagesBody(body, { requireModel: true, version });

    it.each(SAMPLING)("refuses %s with the API's 400 invalid_request_error in its words, streamed or not, to any upstream, calling none", async (key, value) => {
      // @anthropic-ai/sdk 1.x sends 2026-10-21 itself; a date past it, which the door takes as a newer version, refuses too.
      for (const [version, sdk] of [['2026-10-21', client], ['2027-03-01', at('2027-03-01')]] as const) {
        for (const model of ['claude', 'gpt']) {
          const body = { model, max_tokens: 16, messages: HI, [key]: value };
          const message = apiWords(body, version);
          expect(message).toBe(`${key}: is not supported with anthropic-version ${version}`);
          const refused = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } }, upstreamCalls: 0 };
          expect(await refusal(() => sdk.messages.create(body))).toEqual(refused);
          expect(await refusal(async () => sdk.messages.create({ ...body, stream: true }))).toEqual(refused);
        }
      }
    });

    it.each(SAMPLING)('takes %s under anthropic-version 2023-06-01, as the API does', async (key, value) => {
      for (const model of ['claude', 'gpt']) {
        const body = { model, max_tokens: 16, messages: HI, [key]: value };
        expect(apiWords(body, '2023-06-01')).toBeUndefined();
        await expect(at('2023-06-01').messages.create(body)).resolves.toMatchObject({ type: 'message' });
      }
    });
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
