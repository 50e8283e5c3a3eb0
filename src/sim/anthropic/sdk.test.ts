import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startAnthropicSim, type AnthropicSimServer } from './index.js';
import { REDACTED_THINKING_TRIGGER } from './blocks.js';

/** The official @anthropic-ai/sdk (1.x: anthropic-version 2026-10-21, key as Bearer) against the simulator. */
describe('anthropic simulator with @anthropic-ai/sdk', () => {
  let sim: AnthropicSimServer;
  let client: Anthropic;
  const model = 'claude-sonnet-4-6';
  const tools: Anthropic.Tool[] = [{ name: 'lookup', description: 'Looks a query up.', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }];

  beforeAll(async () => {
    sim = await startAnthropicSim({ apiKey: 'sk-ant-sdk' });
    client = new Anthropic({ baseURL: sim.url, apiKey: 'sk-ant-sdk', maxRetries: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers a plain message with text, end_turn and usage, authenticated the SDK way', async () => {
    const m = await client.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(m.type).toBe('message');
    expect(m.content[0]).toMatchObject({ type: 'text', text: `Hello from ${model}! You said: Hello there.` });
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    expect(sim.observed.last).toMatchObject({ auth: 'bearer', version: '2026-10-21' });
  });

  it('thinks when `thinking` is enabled, keeps signed thinking in later turns and refuses a tampered one', async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const m = await client.messages.create({ model, max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'Hello' }] });
    const block = m.content[0];
    if (block?.type !== 'thinking') throw new Error('expected a thinking block first');
    const next = (b: Anthropic.ContentBlockParam): Promise<Anthropic.Message> =>
      client.messages.create({ model, max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'Hello' }, { role: 'assistant', content: [b, { type: 'text', text: 'Hi.' }] }, { role: 'user', content: 'Again' }] });
    await expect(next({ type: 'thinking', thinking: block.thinking, signature: block.signature })).resolves.toMatchObject({ type: 'message' });
    await expect(next({ type: 'thinking', thinking: `${block.thinking} (edited)`, signature: block.signature })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const off = await client.messages.create({ model, max_tokens: 200, thinking: { type: 'disabled' }, messages: [{ role: 'user', content: 'Think step by step, please' }] });
    expect(off.content.map((b) => b.type)).toEqual(['text']);
  });

  it('refuses two tools of one name with the API\'s 400, on messages and count_tokens', async () => {
    const twice = [...tools, { ...tools[0]!, description: 'Looks it up again.' }];
    for (const ask of [() => client.messages.create({ model, max_tokens: 100, tools: twice, messages: [{ role: 'user', content: 'Hello' }] }), () => client.messages.countTokens({ model, tools: twice, messages: [{ role: 'user', content: 'Hello' }] })]) {
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'tools: Tool names must be unique.' } });
    }
  });

  it('refuses a thinking budget under 1,024 tokens or not below max_tokens, as the API does', async () => {
    const ask = (budget: number, maxTokens: number): Promise<unknown> =>
      client.messages.create({ model, max_tokens: maxTokens, thinking: { type: 'enabled', budget_tokens: budget }, messages: [{ role: 'user', content: 'Hello' }] }).catch((e: unknown) => e);
    expect(await ask(512, 4096)).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await ask(2048, 2048)).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('refuses thinking in a tool loop whose assistant turn does not open with thinking, as the API does', async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const signed = (await client.messages.create({ model, max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'Hello' }] })).content[0];
    if (signed?.type !== 'thinking') throw new Error('expected a thinking block first');
    const use: Anthropic.ToolUseBlockParam = { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: 'cats' } };
    const loop = (assistant: Anthropic.ContentBlockParam[], after: Anthropic.MessageParam[] = [], on = true): Promise<unknown> =>
      client.messages
        .create({
          model,
          max_tokens: 2048,
          ...(on ? { thinking } : {}),
          tools,
          messages: [
            { role: 'user', content: 'Please call the tool for cats' },
            { role: 'assistant', content: assistant },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'cats are great' }] },
            ...after,
          ],
        })
        .catch((e: unknown) => e);
    const refused = await loop([{ type: 'text', text: 'Let me look.' }, use]);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as Error).message).toMatch(/Expected `thinking` or `redacted_thinking`, but found `text`.*must start with a thinking block/);
    expect(await loop([{ type: 'thinking', thinking: signed.thinking, signature: signed.signature }, use])).toMatchObject({ type: 'message' });
    expect(await loop([{ type: 'redacted_thinking', data: 'opaque' }, use])).toMatchObject({ type: 'message' });
    expect(await loop([use], [], false)).toMatchObject({ type: 'message' });
    // A new user question starts a new assistant turn, which may think.
    expect(await loop([use], [{ role: 'assistant', content: 'Cats are great.' }, { role: 'user', content: 'And dogs?' }])).toMatchObject({ type: 'message' });
  });

  it('answers with a thinking block first, and streams it as thinking and signature deltas', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Think step by step, please' }];
    const m = await client.messages.create({ model, max_tokens: 200, messages });
    const thinking = m.content[0];
    if (thinking?.type !== 'thinking') throw new Error('expected a thinking block first');
    expect(thinking.thinking).toMatch(/^The user wrote/);
    expect(thinking.signature).not.toBe('');
    const streamed = await client.messages.stream({ model, max_tokens: 200, messages }).finalMessage();
    expect(streamed.content[0]).toEqual(thinking);
    expect(streamed.content[1]).toMatchObject({ type: 'text', text: expect.stringContaining('You said: Think step by step') });
  });

  it('reports prompt-cache writes, then reads, for a cache_control system block', async () => {
    const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: 'A long and stable instruction block.', cache_control: { type: 'ephemeral' } }];
    const first = await client.messages.create({ model, max_tokens: 50, system, messages: [{ role: 'user', content: 'one' }] });
    const second = await client.messages.create({ model, max_tokens: 50, system, messages: [{ role: 'user', content: 'two' }] });
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
  });

  it('reports cache writes by TTL in cache_creation: up to the last one-hour mark for an hour, the rest for five minutes', async () => {
    const hour: Anthropic.TextBlockParam = { type: 'text', text: 'Reference material kept for an hour.', cache_control: { type: 'ephemeral', ttl: '1h' } };
    const minutes: Anthropic.TextBlockParam = { type: 'text', text: ' Notes for this session only.', cache_control: { type: 'ephemeral', ttl: '5m' } };
    const whole = await client.messages.create({ model, max_tokens: 50, system: [hour, minutes], messages: [{ role: 'user', content: 'one' }] });
    const byTtl = whole.usage.cache_creation;
    expect(byTtl?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    expect(byTtl?.ephemeral_5m_input_tokens).toBeGreaterThan(0);
    expect((byTtl?.ephemeral_1h_input_tokens ?? 0) + (byTtl?.ephemeral_5m_input_tokens ?? 0)).toBe(whole.usage.cache_creation_input_tokens);
    // Streamed, the breakdown is in message_start (message_delta repeats only the totals); a read writes nothing.
    const only = [{ ...hour, text: 'Other material, also for an hour.' }];
    const streamed = await client.messages.stream({ model, max_tokens: 50, system: only, messages: [{ role: 'user', content: 'two' }] }).finalMessage();
    expect(streamed.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: streamed.usage.cache_creation_input_tokens });
    const read = await client.messages.create({ model, max_tokens: 50, system: only, messages: [{ role: 'user', content: 'three' }] });
    expect(read.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
  });

  it("answers Anthropic's redacted-thinking test string with a redacted_thinking block after the thinking, whole and streamed, and takes it back in a later turn", async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `Hello ${REDACTED_THINKING_TRIGGER}` }];
    const m = await client.messages.create({ model, max_tokens: 2048, thinking, messages });
    expect(m.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'text']);
    expect(m.content[1]).toEqual({ type: 'redacted_thinking', data: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) });
    const streamed = await client.messages.stream({ model, max_tokens: 2048, thinking, messages }).finalMessage();
    expect(streamed.content).toEqual(m.content);
    const again = await client.messages.create({ model, max_tokens: 2048, thinking, messages: [...messages, { role: 'assistant', content: m.content }, { role: 'user', content: 'Again' }] });
    expect(again.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    // Without thinking there is nothing to redact.
    const plain = await client.messages.create({ model, max_tokens: 200, messages });
    expect(plain.content.map((b) => b.type)).toEqual(['text']);
  });

  it('calls two tools at once for "call both tools": tool_use blocks one after another, whole and streamed, each with its own id', async () => {
    const both: Anthropic.Tool[] = [...tools, { name: 'weather', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }];
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Please call both tools for Oslo' }];
    const m = await client.messages.create({ model, max_tokens: 100, tools: both, messages });
    const uses = m.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(uses.map((u) => [u.name, u.input])).toEqual([
      ['lookup', { query: 'Please call both tools for Oslo' }],
      ['weather', { query: 'Please call both tools for Oslo' }],
    ]);
    expect(uses[0]?.id).not.toBe(uses[1]?.id);
    const events = await client.messages.create({ model, max_tokens: 100, tools: both, messages, stream: true });
    const order: string[] = [];
    for await (const ev of events) if (ev.type.startsWith('content_block_') && ev.type !== 'content_block_delta') order.push(`${ev.type}:${(ev as { index: number }).index}`);
    expect(order).toEqual(['content_block_start:0', 'content_block_stop:0', 'content_block_start:1', 'content_block_stop:1']);
    const streamed = await client.messages.stream({ model, max_tokens: 100, tools: both, messages }).finalMessage();
    expect(streamed.content).toEqual(m.content);
  });

  it('calls a tool and accepts its result', async () => {
    const first = await client.messages.create({ model, max_tokens: 100, tools, messages: [{ role: 'user', content: 'Please call the tool for cats' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'lookup', input: { query: 'Please call the tool for cats' } });
    const second = await client.messages.create({
      model,
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Please call the tool for cats' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: 'cats are great' }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text', text: 'The tool said: cats are great.' });
  });

  it('streams text through the SDK stream helper with usage and stop reason', async () => {
    const stream = client.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'stream me' }] });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(`Hello from ${model}! You said: stream me.`);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(1);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
  });

  it('streams the exact event sequence, tool input as input_json_delta', async () => {
    const stream = await client.messages.create({ model, max_tokens: 100, tools, stream: true, messages: [{ role: 'user', content: 'Please call the tool now' }] });
    const types: string[] = [];
    let json = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') json += ev.delta.partial_json;
      if (ev.type === 'message_delta') expect(ev.delta.stop_reason).toBe('tool_use');
    }
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(JSON.parse(json)).toEqual({ query: 'Please call the tool now' });
  });

  it('throws the in-stream error event as an APIError of its type', async () => {
    sim.faults.add({ stream_error_after_chunks: 2, count: 1 });
    const stream = await client.messages.create({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'this will break' }] });
    let text = '';
    const err = await (async () => {
      for await (const ev of stream) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect(text.length).toBeGreaterThan(0);
  });

  it('refuses a conversation ending on the assistant on Claude 4.6 and later with the API\'s words, and continues it on earlier models', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Hello there' }, { role: 'assistant', content: 'Hello from' }];
    const refused = await client.messages.create({ model, max_tokens: 100, messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'This model does not support assistant message prefill. The conversation must end with a user message.' },
    });
    const continued = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages });
    expect(continued.content[0]).toMatchObject({ type: 'text' });
  });

  it('raises RateLimitError with retry-after on 429', async () => {
    sim.faults.add({ status: 429, retry_after_s: 3, count: 1 });
    const err = await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const apiErr = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(apiErr.headers?.get('retry-after')).toBe('3');
    expect(apiErr.type).toBe('rate_limit_error');
    expect(apiErr.requestID).toMatch(/^req_/);
  });

  it('raises OverloadedError on 529', async () => {
    sim.faults.add({ status: 529, count: 1 });
    const err = await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.OverloadedError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });

  it('rejects temperature under 2026-10-21 but accepts it when the client pins 2023-06-01', async () => {
    // SDK 1.x no longer types `temperature`; a non-literal object still sends it, as older callers do.
    const params: Anthropic.MessageCreateParamsNonStreaming = Object.assign({ model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'x' }] }, { temperature: 0.5 });
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).apiMessage).toMatch(/temperature/);
    const pinned = new Anthropic({ baseURL: sim.url, apiKey: 'sk-ant-sdk', maxRetries: 0, defaultHeaders: { 'anthropic-version': '2023-06-01' } });
    const ok = await pinned.messages.create(params);
    expect(ok.stop_reason).toBe('end_turn');
    expect(sim.observed.last).toMatchObject({ version: '2023-06-01', body: { temperature: 0.5 } });
  });

  it('answers structured outputs (output_config.format) with JSON text valid against the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, nights: { type: 'integer', minimum: 1 } }, required: ['city', 'nights'], additionalProperties: false };
    const m = await client.messages.create({ model, max_tokens: 200, output_config: { format: { type: 'json_schema', schema } }, messages: [{ role: 'user', content: 'Book Paris' }] });
    const block = m.content[0];
    expect(block?.type === 'text' && JSON.parse(block.text)).toEqual({ city: '', nights: 1 });
  });

  it("honours tool_choice: 'none' calls nothing, 'any' and a named tool force a call, disable_parallel_tool_use one at most", async () => {
    const two: Anthropic.Tool[] = [...tools, { name: 'clock', input_schema: { type: 'object', properties: {} } }];
    const names = (m: Anthropic.Message): string[] => m.content.flatMap((b) => (b.type === 'tool_use' ? [b.name] : []));
    const ask = (text: string, tool_choice: Anthropic.ToolChoice) => client.messages.create({ model, max_tokens: 200, tools: two, tool_choice, messages: [{ role: 'user', content: text }] });
    expect(names(await ask('call the tool', { type: 'none' }))).toEqual([]);
    const forced = await ask('Paris', { type: 'any' });
    expect(names(forced)).toEqual(['lookup']);
    expect(forced.stop_reason).toBe('tool_use');
    expect(names(await ask('call both tools', { type: 'tool', name: 'clock' }))).toEqual(['clock']);
    expect(names(await ask('call both tools', { type: 'auto', disable_parallel_tool_use: true }))).toEqual(['lookup']);
    expect(names(await ask('call both tools', { type: 'auto' }))).toEqual(['lookup', 'clock']);
  });

  it('raises AuthenticationError for a wrong key and lists models', async () => {
    const wrong = new Anthropic({ baseURL: sim.url, apiKey: 'nope', maxRetries: 0 });
    await expect(wrong.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain(model);
  });
});
