import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { reasoningEffortProblem, startOpenAISim } from './index.js';
import type { SimServer } from '../server.js';

// The official SDK must parse everything the simulator sends; if it cannot, the simulator is wrong.
describe('OpenAI simulator, checked by the official openai SDK', () => {
  let sim: SimServer;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-sim', seed: 7 });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-sim', maxRetries: 0 });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.faults.clear());

  /** A chat request at `effort`: its answer, or the error it was refused with (not thrown). */
  const ask = (model: string, effort: OpenAI.ReasoningEffort): Promise<unknown> =>
    client.chat.completions.create({ model, reasoning_effort: effort, messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);

  it('answers chat completions', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]?.message.content).toBe('Hello from gpt-4o-mini! You said: ping.');
    expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('reasons when reasoning_effort asks for it (vLLM-style reasoning_content) and refuses an unknown effort', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', reasoning_effort: 'low', messages: [{ role: 'user', content: 'ping' }] });
    expect((r.choices[0]?.message as { reasoning_content?: string }).reasoning_content).toMatch(/^The user wrote/);
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    const bad = await client.chat.completions.create({ model: 'gpt-4o-mini', reasoning_effort: 'extreme' as 'low', messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('reasoning_effort');
  });

  it("takes 'xhigh' and 'max' where OpenAI's models do, and refuses them, as OpenAI does, on a reasoning model without them", async () => {
    for (const [model, effort] of [['gpt-5.2', 'xhigh'], ['gpt-5.4', 'xhigh'], ['gpt-5.6-sol', 'max'], ['gpt-4o-mini', 'max']] as const) {
      expect(await ask(model, effort), `${model} ${effort}`).not.toBeInstanceOf(Error);
    }
    const refused = await ask('gpt-5.4', 'max');
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: "Unsupported value: 'reasoning_effort' does not support 'max' with this model. Supported values are: 'none', 'low', 'medium', 'high', and 'xhigh'.",
      param: 'reasoning_effort',
      code: 'unsupported_value',
    });
    for (const model of ['o3', 'gpt-5', 'gpt-5.1']) expect(await ask(model, 'xhigh'), model).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("takes 'minimal' on gpt-5 alone and refuses it, as OpenAI does, from gpt-5.1 on, which take 'none' instead", async () => {
    const refused = await ask('gpt-5.1', 'minimal');
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      message: "Unsupported value: 'reasoning_effort' does not support 'minimal' with this model. Supported values are: 'none', 'low', 'medium', and 'high'.",
      type: 'invalid_request_error',
      param: 'reasoning_effort',
      code: 'unsupported_value',
    });
    const later = await ask('gpt-5.6-sol', 'minimal');
    expect((later as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: "Unsupported value: 'reasoning_effort' does not support 'minimal' with this model. Supported values are: 'none', 'low', 'medium', 'high', 'xhigh', and 'max'.",
    });
    for (const model of ['gpt-5.2', 'gpt-5.4', 'gpt-5.5-2026-04-23']) expect(await ask(model, 'minimal'), model).toBeInstanceOf(OpenAI.BadRequestError);
    for (const model of ['gpt-5.1', 'gpt-5.4', 'gpt-5.6-sol']) expect(await ask(model, 'none'), model).not.toBeInstanceOf(Error);
    for (const model of ['gpt-5', 'gpt-5-mini', 'gpt-5-nano-2025-08-07']) expect(await ask(model, 'minimal'), model).not.toBeInstanceOf(Error);
  });

  it("refuses, as OpenAI does, an effort a model with a narrow set does not take: the gpt-5.x chat models take 'medium' alone, the pro models nothing below 'medium'", async () => {
    const refused = await ask('gpt-5.3-chat-latest', 'low');
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      message: "Unsupported value: 'reasoning_effort' does not support 'low' with this model. Supported values are: 'medium'.",
      type: 'invalid_request_error',
      param: 'reasoning_effort',
      code: 'unsupported_value',
    });
    for (const model of ['gpt-5.1-chat-latest', 'gpt-5.2-chat-latest', 'gpt-5.3-chat-latest']) {
      for (const effort of ['none', 'high', 'xhigh'] as const) expect(await ask(model, effort), `${model} ${effort}`).toBeInstanceOf(OpenAI.BadRequestError);
      expect(await ask(model, 'medium'), model).not.toBeInstanceOf(Error);
    }
    for (const model of ['gpt-5.4-pro', 'gpt-5.5-pro-2026-04-23']) {
      for (const effort of ['none', 'minimal', 'low'] as const) expect(await ask(model, effort), `${model} ${effort}`).toBeInstanceOf(OpenAI.BadRequestError);
      for (const effort of ['medium', 'high', 'xhigh'] as const) expect(await ask(model, effort), `${model} ${effort}`).not.toBeInstanceOf(Error);
    }
    const pro = await ask('gpt-5.4-pro', 'low');
    expect((pro as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: "Unsupported value: 'reasoning_effort' does not support 'low' with this model. Supported values are: 'medium', 'high', and 'xhigh'.",
    });
    // gpt-5-pro and gpt-5.2-pro are Responses-only here (a 404 before any effort is judged); the Azure simulator judges them by the same rule.
    const problem = (model: string, effort: string) => reasoningEffortProblem({ model, reasoning_effort: effort })?.status;
    expect([problem('gpt-5-pro', 'medium'), problem('gpt-5-pro', 'high')]).toEqual([400, undefined]);
    expect([problem('gpt-5.2-pro', 'low'), problem('gpt-5.2-pro', 'medium')]).toEqual([400, undefined]);
  });

  it("opens a stream as OpenAI does: the role chunk with a null refusal, or for a tool call the call's first chunk carrying the role", async () => {
    const firstDelta = async (body: Record<string, unknown>): Promise<unknown> => {
      const res = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-sim', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, ...body }) });
      const first = (await res.text()).split('\n\n')[0] ?? '';
      return (JSON.parse(first.slice('data: '.length)) as { choices: Array<{ delta: unknown }> }).choices[0]?.delta;
    };
    expect(await firstDelta({ messages: [{ role: 'user', content: 'ping' }] })).toEqual({ role: 'assistant', content: '', refusal: null });
    const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
    expect(await firstDelta({ tools, messages: [{ role: 'user', content: 'call the tool: Paris' }] })).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: expect.any(String), type: 'function', function: { name: 'weather', arguments: expect.any(String) } }],
      refusal: null,
    });
  });

  it('refuses a model OpenAI serves on the Responses API only as OpenAI does: 404, invalid_request_error naming model', async () => {
    for (const model of ['o3-pro', 'o1-pro-2025-03-19', 'gpt-5-pro', 'gpt-5.1-codex-max', 'codex-mini-latest']) {
      const bad = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);
      expect(bad, model).toBeInstanceOf(OpenAI.NotFoundError);
      expect((bad as InstanceType<typeof OpenAI.NotFoundError>).error, model).toEqual({
        message: 'This model is only supported in v1/responses and not in v1/chat/completions.',
        type: 'invalid_request_error',
        param: 'model',
        code: null,
      });
    }
    const served = await client.chat.completions.create({ model: 'o3', messages: [{ role: 'user', content: 'ping' }] });
    expect(served.choices[0]?.message.content).toBe('Hello from o3! You said: ping.');
  });

  it("refuses an empty tools list as OpenAI does (empty_array), rather than reading it as none", async () => {
    const bad = await client.chat.completions.create({ model: 'm', tools: [], messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      message: "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      type: 'invalid_request_error',
      param: 'tools',
      code: 'empty_array',
    });
  });

  it('answers with a tool call and streams its arguments', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
    const r = await client.chat.completions.create({ model: 'm', tools, messages: [{ role: 'user', content: 'call the tool: Paris' }] });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('weather');
    const stream = client.chat.completions.stream({ model: 'm', tools, messages: [{ role: 'user', content: 'call the tool: Paris' }] });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual({ query: 'call the tool: Paris' });
  });

  it('calls two tools at once for "call both tools", streamed interleaved by index, which the SDK puts back together', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = ['weather', 'clock'].map((name) => ({ type: 'function' as const, function: { name, parameters: { type: 'object' } } }));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'call both tools: Lima' }];
    const r = await client.chat.completions.create({ model: 'm', tools, messages });
    const whole = r.choices[0]?.message.tool_calls ?? [];
    expect(whole.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments) as unknown])).toEqual([
      ['weather', { query: 'call both tools: Lima' }],
      ['clock', { query: 'call both tools: Lima' }],
    ]);
    expect(whole[0]?.id).not.toBe(whole[1]?.id);
    const res = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-sim', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', tools, messages, stream: true }) });
    const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('data: {'));
    const indexes = frames.flatMap((f) => ((JSON.parse(f.slice('data: '.length)) as OpenAI.Chat.ChatCompletionChunk).choices[0]?.delta.tool_calls ?? []).map((tc) => tc.index));
    expect(indexes.slice(0, 4)).toEqual([0, 1, 0, 1]);
    const final = await client.chat.completions.stream({ model: 'm', tools, messages }).finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls).toEqual(whole);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('declines a prompt that asks it to refuse as OpenAI does: refusal, null content, stop; streamed as refusal deltas', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Please refuse to answer.' }];
    const r = await client.chat.completions.create({ model: 'm', messages });
    expect(r.choices[0]).toMatchObject({ message: { role: 'assistant', content: null, refusal: "I'm sorry, I can't help with that." }, finish_reason: 'stop' });
    const raw = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const deltas: unknown[] = [];
    for await (const c of raw) deltas.push(c.choices[0]?.delta);
    expect(deltas[0]).toEqual({ role: 'assistant', content: null, refusal: '' });
    expect(deltas.slice(1, -1)).toEqual(["I'm ", 'sorry, ', 'I ', "can't ", 'help ', 'with ', 'that.'].map((refusal) => ({ refusal })));
    const pieces: string[] = [];
    const stream = client.chat.completions.stream({ model: 'm', messages }).on('refusal.delta', (e) => pieces.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message).toMatchObject({ content: null, refusal: "I'm sorry, I can't help with that." });
    expect(pieces.join('')).toBe("I'm sorry, I can't help with that.");
  });

  it('streams with a usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      usage = c.usage ?? usage;
    }
    expect(text).toBe('Hello from m! You said: hi.');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('sends errors the SDK raises as typed errors, including mid-stream', async () => {
    sim.faults.add({ status: 429, retry_after_s: 1, count: 1 });
    const rate = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect((rate as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
    sim.faults.add({ status: 400, error: 'context_length_exceeded', count: 1 });
    const long = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((long as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    sim.faults.add({ stream_error_after_chunks: 1, count: 1 });
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toThrow(/Simulated mid-stream failure/);
    const denied = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(denied.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('creates embeddings and lists models', async () => {
    const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', dimensions: 16, encoding_format: 'float' });
    expect(e.data[0]?.embedding).toHaveLength(16);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('injects faults deterministically per model and per count', async () => {
    sim.faults.add({ model: 'only-this', status: 503, count: 2 });
    await expect(client.chat.completions.create({ model: 'only-this', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
    await expect(client.chat.completions.create({ model: 'only-this', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(client.chat.completions.create({ model: 'only-this', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
  });

  it('takes fault rules over its control endpoint', async () => {
    const res = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ status: 502, count: 1 }) });
    expect(res.status).toBe(200);
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const bad = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ status: 'soon' }) });
    expect(bad.status).toBe(400);
  });

  it('adds a fault rule only on POST: a GET answers 405 and leaves the next request alone', async () => {
    const res = await fetch(`${sim.url}/__sim/faults`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, DELETE');
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
  });

  it('answers a fault rule that is not JSON with 400 naming the problem, and keeps serving', async () => {
    const res = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: 'status=503' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/^the body is not JSON: /) as unknown } });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeTruthy();
  });
});

describe('OpenAI simulator: endpoints, structured outputs and tool choice as OpenAI serves them (official SDK)', () => {
  let sim: SimServer;
  let client: OpenAI;
  const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
  const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };
  const user = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];
  const calls = (r: OpenAI.ChatCompletion): string[] => (r.choices[0]?.message.tool_calls ?? []).map((c) => (c.type === 'function' ? c.function.name : c.type));

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-sim' });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-sim', maxRetries: 0 });
  });
  afterAll(() => sim.close());

  it('refuses an embedding model on chat completions (404) and a chat model on embeddings (403), in OpenAI’s words', async () => {
    const chat = await client.chat.completions.create({ model: 'text-embedding-3-small', messages: user('Hi') }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.NotFoundError);
    expect((chat as InstanceType<typeof OpenAI.NotFoundError>).error).toEqual({
      message: 'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?',
      type: 'invalid_request_error',
      param: 'model',
      code: null,
    });
    const embed = await client.embeddings.create({ model: 'gpt-4o', input: 'Hi' }).catch((e: unknown) => e);
    expect(embed).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((embed as InstanceType<typeof OpenAI.PermissionDeniedError>).error).toMatchObject({ message: 'You are not allowed to generate embeddings from this model', type: 'invalid_request_error' });
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'Hi' })).resolves.toMatchObject({ object: 'list' });
    await expect(client.embeddings.create({ model: 'my-own-model', input: 'Hi' }), 'a self-hosted server serves any name').resolves.toMatchObject({ object: 'list' });
  });

  it("refuses embeddings from a self-hosted chat model as vLLM does (400 BadRequestError), one whose name says it chats", async () => {
    await expect(client.embeddings.create({ model: 'llama-3.1-8b-instruct', input: 'Hi' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    // vLLM's error shape has no `error` member for the SDK to read: its words, as sent.
    const raw = await fetch(`${sim.url}/v1/embeddings`, { method: 'POST', headers: { authorization: 'Bearer sk-sim' }, body: JSON.stringify({ model: 'llama-3.1-8b-instruct', input: 'Hi' }) });
    expect(await raw.json()).toEqual({ object: 'error', message: 'The model does not support Embeddings API', type: 'BadRequestError', param: null, code: 400 });
  });

  it('answers chat.completions.parse() with an instance of the zod schema, whole and streamed', async () => {
    const Event = z.object({ name: z.string(), date: z.iso.date(), attendees: z.array(z.string()), online: z.boolean(), kind: z.enum(['talk', 'meetup']) });
    const r = await client.chat.completions.parse({ model: 'gpt-4o', messages: user('Alice and Bob meet on Friday.'), response_format: zodResponseFormat(Event, 'event') });
    expect(r.choices[0]?.message.parsed).toEqual({ name: '', date: '2025-01-01', attendees: [], online: false, kind: 'talk' });
    const stream = client.chat.completions.stream({ model: 'gpt-4o', messages: user('Alice and Bob meet on Friday.'), response_format: zodResponseFormat(Event, 'event') });
    expect((await stream.finalChatCompletion()).choices[0]?.message.parsed).toEqual(r.choices[0]?.message.parsed);
  });

  it("answers JSON mode with a JSON object, and refuses it, as OpenAI does, when no message says 'json'", async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: user('Answer in JSON: hi'), response_format: { type: 'json_object' } });
    expect(JSON.parse(r.choices[0]?.message.content ?? '')).toEqual({ answer: 'Hello from gpt-4o! You said: Answer in JSON: hi.' });
    const refused = await client.chat.completions.create({ model: 'gpt-4o', messages: user('hi'), response_format: { type: 'json_object' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ message: "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", param: 'messages' });
  });

  it('refuses a strict schema with an object open to additional properties, naming where', async () => {
    const schema = { type: 'object', properties: { place: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }, required: ['place'], additionalProperties: false };
    const refused = await client.chat.completions
      .create({ model: 'gpt-4o', messages: user('hi'), response_format: { type: 'json_schema', json_schema: { name: 'trip', strict: true, schema } } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: "Invalid schema for response_format 'trip': In context=('properties', 'place'), 'additionalProperties' is required to be supplied and to be false.",
      param: 'response_format',
    });
    const loose = await client.chat.completions.create({ model: 'gpt-4o', messages: user('hi'), response_format: { type: 'json_schema', json_schema: { name: 'trip', schema } } });
    expect(JSON.parse(loose.choices[0]?.message.content ?? '')).toEqual({ place: { city: '' } });
  });

  it("honours tool_choice 'none', 'required' and a named function, and parallel_tool_calls: false", async () => {
    const tools = [weather, time];
    const ask = (content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) => client.chat.completions.create({ model: 'gpt-4o', messages: user(content), tools, ...extra });
    const none = await ask('call the tool for Paris', { tool_choice: 'none' });
    expect(calls(none)).toEqual([]);
    expect(none.choices[0]?.message.content).toBe('Hello from gpt-4o! You said: call the tool for Paris.');
    expect(calls(await ask('Paris, please', { tool_choice: 'required' }))).toEqual(['get_weather']);
    expect(calls(await ask('call both tools', { tool_choice: { type: 'function', function: { name: 'get_time' } } }))).toEqual(['get_time']);
    expect(calls(await ask('call both tools', { parallel_tool_calls: false }))).toEqual(['get_weather']);
    expect(calls(await ask('call both tools', {}))).toEqual(['get_weather', 'get_time']);
  });
});

describe('OpenAI simulator as Ollama (textOnlyEmbeddings), checked by the official openai SDK', () => {
  let sim: SimServer;
  let client: OpenAI;
  const OLLAMA_501 = { message: 'This server does not support embeddings. Start it with `--embeddings`', type: 'api_error', param: null, code: null };

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'ollama', textOnlyEmbeddings: true });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'ollama', maxRetries: 0 });
  });
  afterAll(() => sim.close());

  it('refuses embeddings from a chat model as Ollama 0.30 on does: a 501 of llama-server’s words in its OpenAI shape, a gpt-oss model too', async () => {
    for (const model of ['llama-3.1-8b-instruct', 'gpt-oss-20b']) {
      const refused = await client.embeddings.create({ model, input: 'Hi' }).catch((e: unknown) => e);
      expect(refused, model).toBeInstanceOf(OpenAI.InternalServerError);
      expect((refused as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(501);
      expect((refused as InstanceType<typeof OpenAI.InternalServerError>).error).toEqual(OLLAMA_501);
    }
    await expect(client.embeddings.create({ model: 'nomic-embed-text', input: 'Hi' })).resolves.toMatchObject({ object: 'list' });
  });

  it('reads the input before it finds the model cannot embed: token ids are its 400 first', async () => {
    const refused = await client.embeddings.create({ model: 'llama-3.1-8b-instruct', input: [1, 2, 3] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ message: 'invalid input type' });
  });
});
