import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { request } from 'undici';
import { startOpenAISim } from '../../sim/openai/index.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { REDACTED_THINKING_TRIGGER } from '../../sim/anthropic/blocks.js';
import type { SimServer } from '../../sim/server.js';
import type { RunningServer } from '../../adapters/node/server.js';
import { startStoredDoors, type StoredDoors } from './testing/stored-doors.js';

const PROJECT = 'responses-project';
const PROVIDERS = ['openai', 'azure', 'bedrock', 'gemini', 'vertex-claude', 'anthropic'] as const;
const WEATHER = { type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { query: { type: 'string' } } }, strict: false };

/** The `store` field OpenAI sends in a Response (the SDK's type leaves it out). */
const stored = (r: object): unknown => (r as { store?: unknown }).store;

/** The SSE events of a raw stream, in order. */
function events(raw: string): Array<{ event: string; data: Record<string, unknown> }> {
  return raw
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => {
      const event = /^event: (.*)$/m.exec(f)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(f)?.[1] ?? 'null') as Record<string, unknown>;
      return { event, data };
    });
}

describe('the OpenAI Responses front door, through the server and the official SDK', () => {
  const sims: Record<string, SimServer> = {};
  let server: RunningServer;
  let closedServer: RunningServer;
  let client: OpenAI;
  let other: OpenAI;
  let doors: StoredDoors;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [openai, azure, bedrock, vertex, anthropic, primary] = await Promise.all([
      startOpenAISim({ apiKey: 'sk-test' }),
      startAzureSim({ apiKey: 'az-key' }),
      startBedrockSim({ region: 'us-east-1' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startOpenAISim({ apiKey: 'sk-test', name: 'primary' }),
    ]);
    Object.assign(sims, { openai, azure, bedrock, vertex, anthropic, primary });
    const aws = { region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' };
    const gcp = { provider: 'vertex', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true };
    const deployments = [
      { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
      { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: azure.url, api_version: '2024-10-21', api_key: 'az-key' },
      { id: 'bedrock', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...aws },
      { id: 'gemini', model: 'gemini-2.5-flash', ...gcp },
      { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...gcp, region: 'us-east5' },
      { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant', max_output_tokens: 64_000 },
      { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1`, api_key: 'sk-test' },
      { id: 'backup', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
      { id: 'us-openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test', tags: ['us'] },
      { id: 'eu-gemini', model: 'gemini-2.5-flash', ...gcp, tags: ['eu'] },
    ];
    const env = { AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json, K1: 'key-one', K2: 'key-two', K3: 'key-eu' };
    const base = {
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: true },
      api_keys: [
        { id: 'one', key: '${K1}' },
        { id: 'two', key: '${K2}' },
        { id: 'eu', key: '${K3}', residency: 'eu' },
      ],
      deployments,
      groups: [
        { name: 'failover', strategy: 'priority', deployments: ['primary', 'backup'] },
        { name: 'anywhere', strategy: 'priority', deployments: ['us-openai', 'eu-gemini'] },
      ],
    };
    doors = await startStoredDoors(base, env);
    ({ server, closedServer, client, other } = doors);
  });

  afterAll(async () => {
    await doors.close();
    await Promise.all(Object.values(sims).map((s) => s.close()));
  });

  describe.each(PROVIDERS)('routed to %s', (model) => {
    it('answers responses.create with a message item, usage and instructions echoed', async () => {
      const res = await client.responses.create({ model, instructions: 'Be brief.', input: 'Hi there', store: false });
      expect(res.id).toMatch(/^resp_/);
      expect(res.object).toBe('response');
      expect(res.status).toBe('completed');
      expect(res.instructions).toBe('Be brief.');
      expect(res.output_text).toContain('You said: Hi there.');
      expect(res.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', annotations: [] }] });
      expect(res.usage?.input_tokens).toBeGreaterThan(0);
      expect(res.usage?.total_tokens).toBe((res.usage?.input_tokens ?? 0) + (res.usage?.output_tokens ?? 0));
      expect(res.usage?.output_tokens_details.reasoning_tokens).toBe(0);
    });

    it('streams with responses.stream to the same text and a completed response', async () => {
      const stream = client.responses.stream({ model, input: 'Hi there', store: false });
      let deltas = '';
      stream.on('response.output_text.delta', (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      expect(final.status).toBe('completed');
      expect(final.output_text).toContain('You said: Hi there.');
      expect(deltas).toBe(final.output_text);
      expect(final.usage?.output_tokens).toBeGreaterThan(0);
    });

    it('calls a function tool and continues from previous_response_id with its output', async () => {
      const first = await client.responses.create({ model, input: 'Please call the tool for Paris', tools: [WEATHER] });
      const call = first.output.find((o) => o.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      if (call?.type !== 'function_call') throw new Error('no function call');
      expect(JSON.parse(call.arguments)).toEqual({ query: 'Please call the tool for Paris' });
      const second = await client.responses.create({
        model,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' }],
        tools: [WEATHER],
      });
      expect(second.output_text).toBe('The tool said: sunny, 21C.');
      expect(second.previous_response_id).toBe(first.id);
    });

    it('continues a function call handed back as input items, without stored state', async () => {
      const stream = client.responses.stream({ model, input: 'Please call the tool for Oslo', tools: [WEATHER], store: false });
      const argDeltas: string[] = [];
      stream.on('response.function_call_arguments.delta', (e) => argDeltas.push(e.delta));
      const first = await stream.finalResponse();
      const call = first.output.find((o) => o.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('no function call');
      expect(argDeltas.join('')).toBe(call.arguments);
      // The stream helper adds its own `parsed_arguments` to a call, which the API refuses handed back
      // (openai-python#2374): the items go back as the API sent them.
      const handedBack = first.output.map((o) => (o.type === 'function_call' ? { ...o, parsed_arguments: undefined } : o)) as OpenAI.Responses.ResponseInputItem[];
      const second = await client.responses.create({
        model,
        input: [{ role: 'user', content: 'Please call the tool for Oslo' }, ...handedBack, { type: 'function_call_output', call_id: call.call_id, output: 'snow' }],
        tools: [WEATHER],
        store: false,
      });
      expect(second.output_text).toBe('The tool said: snow.');
    });

    it('reasons when asked to think step by step: without reasoning.summary, a reasoning item with summary [] and no summary events, as the API answers', async () => {
      const res = await client.responses.create({ model, input: 'Think step by step: hello', store: false });
      expect(res.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
      const reasoning = res.output.find((o) => o.type === 'reasoning');
      // Azure OpenAI counts reasoning tokens but never sends the reasoning text.
      if (model === 'azure') return expect(reasoning).toBeUndefined();
      expect(reasoning).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [] });
      expect(res.reasoning).toEqual({ effort: null, summary: null });
      const stream = client.responses.stream({ model, input: 'Think step by step: hello', store: false });
      const kinds: string[] = [];
      stream.on('event', (e) => kinds.push(e.type));
      const final = await stream.finalResponse();
      expect(kinds.filter((k) => k.startsWith('response.reasoning_summary'))).toEqual([]);
      expect(final.output.find((o) => o.type === 'reasoning')).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [] });
    });

    it('reasons when asked to think step by step: with reasoning.summary, a reasoning item with a summary (where the API shows reasoning), streamed as summary events', async () => {
      const res = await client.responses.create({ model, input: 'Think step by step: hello', reasoning: { summary: 'auto' }, store: false });
      const reasoning = res.output.find((o) => o.type === 'reasoning');
      if (model === 'azure') return expect(reasoning).toBeUndefined();
      if (reasoning?.type !== 'reasoning') throw new Error(`no reasoning item from ${model}`);
      expect(reasoning.summary[0]?.text).toContain('A short friendly reply will do.');
      expect(res.output.at(-1)?.type).toBe('message');
      const stream = client.responses.stream({ model, input: 'Think step by step: hello', reasoning: { summary: 'auto' }, store: false });
      let summary = '';
      stream.on('response.reasoning_summary_text.delta', (e) => (summary += e.delta));
      await stream.finalResponse();
      expect(summary).toBe(reasoning.summary[0]?.text);
    });
  });

  it('sends text.format json_schema upstream as response_format', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const res = await client.responses.create({ model: 'openai', input: 'Hi', store: false, text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } } });
    expect(res.text?.format).toMatchObject({ type: 'json_schema', name: 'reply' });
    const sent = JSON.parse(sims.openai?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(sent.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } });
    expect(sent).not.toHaveProperty('metadata');
  });

  it('asks Claude to think at the reasoning effort (Claude Sonnet 4.6: adaptive thinking)', async () => {
    await client.responses.create({ model: 'anthropic', input: 'Hi', reasoning: { effort: 'low' }, max_output_tokens: 4096, store: false });
    const sent = JSON.parse(sims.anthropic?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(sent).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
  });

  it('hands signed reasoning back to Claude, from a stored conversation and from encrypted reasoning items', async () => {
    const first = await client.responses.create({ model: 'bedrock', input: 'Think step by step: hello', include: ['reasoning.encrypted_content'] });
    const reasoning = first.output.find((o) => o.type === 'reasoning');
    if (reasoning?.type !== 'reasoning') throw new Error('no reasoning item');
    expect(reasoning.encrypted_content).toMatch(/^swy1\./);
    const resent = (): unknown => (JSON.parse(sims.bedrock?.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: unknown[] }> }).messages[1]?.content[0];
    await client.responses.create({ model: 'bedrock', previous_response_id: first.id, input: 'Thanks', store: false });
    const fromStore = resent();
    // No summary was asked for: the item shows none, and its encrypted content carries the signed text.
    expect(reasoning.summary).toEqual([]);
    expect(fromStore).toEqual({ reasoningContent: { reasoningText: { text: 'The user wrote "Think step by step: hello". A short friendly reply will do.', signature: expect.stringMatching(/.+/) } } });
    const handedBack = first.output as unknown as OpenAI.Responses.ResponseInputItem[];
    await client.responses.create({ model: 'bedrock', input: [{ role: 'user', content: 'Think step by step: hello' }, ...handedBack, { role: 'user', content: 'Thanks' }], store: false });
    expect(resent()).toEqual(fromStore);
  });

  it("answers Claude's redacted thinking with a reasoning item of summary: [] without include, streamed or not, and previous_response_id hands the signed and redacted blocks back to Claude", async () => {
    const input = `Think step by step: hi ${REDACTED_THINKING_TRIGGER}`;
    const reasoningItem = { id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [] };
    const whole = await client.responses.create({ model: 'anthropic', input, max_output_tokens: 4096 });
    const streamed = await client.responses.stream({ model: 'anthropic', input, max_output_tokens: 4096 }).finalResponse();
    for (const answered of [whole, streamed]) {
      // The thinking (its text not asked for) and the redacted thinking: one item each, as OpenAI writes one per reasoning step.
      expect(answered.output.map((o) => o.type)).toEqual(['reasoning', 'reasoning', 'message']);
      expect(answered.output.slice(0, 2)).toEqual([reasoningItem, reasoningItem]);
    }
    const handedBack = async (previous: string): Promise<unknown> => {
      await client.responses.create({ model: 'anthropic', previous_response_id: previous, input: 'Thanks', max_output_tokens: 4096, store: false });
      return (JSON.parse(sims.anthropic?.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: unknown }> }).messages[1]?.content;
    };
    const blocks = [
      { type: 'thinking', thinking: expect.stringContaining('The user wrote'), signature: expect.stringMatching(/.+/) },
      { type: 'redacted_thinking', data: expect.stringMatching(/.+/) },
      { type: 'text', text: expect.stringContaining('Hello from') },
    ];
    expect(await handedBack(whole.id)).toEqual(blocks);
    expect(await handedBack(streamed.id)).toEqual(blocks);
  });

  it('writes the typed events in the documented order, each with a sequence number, as text/event-stream; charset=utf-8 as OpenAI sends them', async () => {
    const res = await request(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-one', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai', input: 'Hi', stream: true, store: false }),
    });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const all = events(await res.body.text());
    const types = all.map((e) => e.event);
    expect(types.filter((t) => t !== 'response.output_text.delta')).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(types.indexOf('response.output_text.delta')).toBe(4);
    expect(all.map((e) => e.data.sequence_number)).toEqual(all.map((_, i) => i));
    expect(all.every((e) => e.data.type === e.event)).toBe(true);
    const completed = all.at(-1)?.data.response as Record<string, unknown>;
    expect(completed).toMatchObject({ status: 'completed', usage: { input_tokens: expect.any(Number) } });
  });

  it('ends a stream that breaks after its first byte with an error event and response.failed, never a completion', async () => {
    sims.anthropic?.faults.add({ stream_error_after_chunks: 2, count: 1 });
    const res = await request(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-one' },
      body: JSON.stringify({ model: 'anthropic', input: 'Hi there my friend', stream: true, store: false }),
    });
    const all = events(await res.body.text());
    expect(all.at(-2)).toMatchObject({ event: 'error', data: { type: 'error', code: 'server_error', message: expect.stringContaining('anthropic') } });
    expect(all.at(-1)).toMatchObject({ event: 'response.failed', data: { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: expect.stringContaining('anthropic') } } } });
    expect(all.map((e) => e.data.sequence_number)).toEqual(all.map((_, i) => i));
    expect(all.some((e) => e.event === 'response.completed')).toBe(false);
    sims.anthropic?.faults.add({ stream_error_after_chunks: 2, count: 1 });
    const stream = client.responses.stream({ model: 'anthropic', input: 'Hi there my friend', store: false });
    await expect(stream.finalResponse()).rejects.toThrow(/anthropic/);
  });

  // As OpenAI's API ends a response that fails mid-item: its `error` event, then `response.failed`, with no
  // `.done` events for the item it was writing (seen from the API: `output_item.added` then `response.failed`).
  it('leaves the item a stream broke in unclosed, as the API does, and the SDK surfaces the failure without hanging', async () => {
    sims.openai?.faults.add({ cut_after_chunks: 3, count: 1 });
    const res = await request(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-one' },
      body: JSON.stringify({ model: 'openai', input: 'Hi there my friend', stream: true, store: false }),
    });
    const all = events(await res.body.text());
    const types = all.map((e) => e.event);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-2)).toEqual(['error', 'response.failed']);
    const deltas = types.slice(4, -2);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((t) => t === 'response.output_text.delta')).toBe(true);
    const text = all.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta).join('');
    const failed = all.at(-1)?.data.response as Record<string, unknown>;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'server_error', message: expect.stringContaining('openai-compatible') } });
    const item = all[2]?.data.item as { id: string };
    expect(failed.output).toEqual([{ id: item.id, type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] }]);

    // The error event's nested `error`, as the live API sends it, makes the SDK raise an APIError: the
    // final response is refused with it, and iterating the stream throws it after the text so far.
    const error = all.at(-2)?.data as Record<string, unknown>;
    expect(error.error).toEqual({ type: 'server_error', code: 'server_error', message: error.message, param: null });
    sims.openai?.faults.add({ cut_after_chunks: 3, count: 1 });
    const stream = client.responses.stream({ model: 'openai', input: 'Hi there my friend', store: false });
    let streamed = '';
    stream.on('response.output_text.delta', (e) => (streamed += e.delta));
    const refused = await stream.finalResponse().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused).toMatchObject({ code: 'server_error', message: expect.stringContaining('openai-compatible') });
    expect(streamed).toBe(text);
    sims.openai?.faults.add({ cut_after_chunks: 3, count: 1 });
    const iterated: string[] = [];
    const iterating = (async () => {
      for await (const event of client.responses.stream({ model: 'openai', input: 'Hi there my friend', store: false })) iterated.push(event.type);
    })();
    await expect(iterating).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(iterated.at(-1)).toBe('response.output_text.delta');
    expect(iterated).not.toContain('response.output_item.done');
  });

  it('answers an upstream failure before the first byte in the OpenAI error shape', async () => {
    sims.bedrock?.faults.add({ status: 400, error: 'ValidationException', count: 2 });
    await expect(client.responses.create({ model: 'bedrock', input: 'Hi', store: false })).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' });
    await expect(client.responses.stream({ model: 'bedrock', input: 'Hi', store: false }).finalResponse()).rejects.toMatchObject({ status: 400 });
  });

  it('fails over and keeps residency exactly as the chat door does', async () => {
    sims.primary?.faults.add({ status: 503, count: 2 });
    const { data, response } = await client.responses.create({ model: 'failover', input: 'Hi', store: false }).withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('backup');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(data.output_text).toContain('gpt-4o-mini');
    const eu = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'key-eu', maxRetries: 0 });
    const served = await eu.responses.create({ model: 'anywhere', input: 'Hi', store: false }).withResponse();
    expect(served.response.headers.get('x-switchyard-deployment')).toBe('eu-gemini');
    const chat = await eu.chat.completions.create({ model: 'anywhere', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(chat.response.headers.get('x-switchyard-deployment')).toBe('eu-gemini');
  });

  it("keeps one key's stored responses from another key", async () => {
    const first = await client.responses.create({ model: 'openai', input: 'Remember me' });
    expect(stored(first)).toBe(true);
    await expect(other.responses.create({ model: 'openai', previous_response_id: first.id, input: 'Hi' })).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
    const unstored = await client.responses.create({ model: 'openai', input: 'Forget me', store: false });
    expect(stored(unstored)).toBe(false);
    await expect(client.responses.create({ model: 'openai', previous_response_id: unstored.id, input: 'Hi' })).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
  });

  it('refuses previous_response_id when storage is disabled, and stores nothing for store: true', async () => {
    const closed = new OpenAI({ baseURL: `${closedServer.url}/v1`, apiKey: 'key-one', maxRetries: 0 });
    const res = await closed.responses.create({ model: 'openai', input: 'Hi', store: true });
    expect(stored(res)).toBe(false);
    await expect(closed.responses.create({ model: 'openai', previous_response_id: res.id, input: 'Hi' })).rejects.toMatchObject({
      status: 400,
      code: 'response_storage_disabled',
      message: expect.stringContaining('storage is disabled'),
    });
  });

  it('refuses a function_call_output that answers no function_call of the conversation, as the API does', async () => {
    const orphan = client.responses.create({ model: 'openai', input: [{ role: 'user', content: 'Hi' }, { type: 'function_call_output', call_id: 'call_nowhere', output: 'sunny' }] });
    await expect(orphan).rejects.toMatchObject({ status: 400, param: 'input', message: expect.stringContaining('No tool call found for function call output with call_id call_nowhere') });
  });

  it('refuses a function_call left without its function_call_output, as the API does, before any upstream is called', async () => {
    const call = { type: 'function_call' as const, call_id: 'call_open', name: 'weather', arguments: '{}' };
    const unanswered = client.responses.create({ model: 'openai', input: [{ role: 'user', content: 'Weather?' }, call, { role: 'user', content: 'And now?' }], store: false });
    await expect(unanswered).rejects.toMatchObject({ status: 400, param: 'input', message: expect.stringContaining('No tool output found for function call call_open.') });
  });

  it('names a media URL the router refuses (a private address) by its place in the Responses body, streamed or not', async () => {
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'http://169.254.169.254/x', detail: 'auto' }] },
    ];
    const refused = { status: 400, code: 'media_url_not_allowed', param: 'input[0].content[1].image_url' };
    await expect(client.responses.create({ model: 'openai', instructions: 'Be brief.', input, store: false })).rejects.toMatchObject(refused);
    await expect(client.responses.stream({ model: 'openai', instructions: 'Be brief.', input, store: false }).finalResponse()).rejects.toMatchObject(refused);
    const res = await request(`${server.url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: JSON.stringify({ model: 'openai', instructions: 'Be brief.', input, store: false }) });
    const text = await res.body.text();
    expect(res.statusCode).toBe(400);
    expect(text).toContain("'input[0].content[1].image_url' is given by URL");
    expect(text).not.toContain('messages[');
  });

  it("names a part a provider's dialect refuses (Bedrock takes no bmp) by its place in the Responses body", async () => {
    const first = await client.responses.create({ model: 'bedrock', input: 'Remember me' });
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: [{ type: 'input_text', text: 'And this?' }, { type: 'input_image', image_url: 'data:image/bmp;base64,Qk0AAAA=', detail: 'auto' }] },
    ];
    await expect(client.responses.create({ model: 'bedrock', instructions: 'Be brief.', previous_response_id: first.id, input, store: false })).rejects.toMatchObject({
      status: 400,
      param: 'input[0].content[1].image_url',
    });
  });

  it('refuses built-in tools by name, and unknown fields, with a 400', async () => {
    await expect(client.responses.create({ model: 'openai', input: 'Hi', tools: [{ type: 'web_search' }] })).rejects.toMatchObject({
      status: 400,
      param: 'tools[0].type',
      message: expect.stringContaining("'web_search' is not supported"),
    });
    const res = await request(`${server.url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: JSON.stringify({ model: 'openai', input: 'Hi', background: true }) });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toMatchObject({ error: { param: 'background', type: 'invalid_request_error' } });
  });

  it('reports a cut at max_output_tokens as an incomplete response', async () => {
    const res = await client.responses.create({ model: 'openai', input: 'Hi there, this is a rather long message to answer', max_output_tokens: 16, store: false });
    expect(res.status).toBe('incomplete');
    expect(res.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });
});
