import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI, { AzureOpenAI } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startAzureSim } from './index.js';
import { embedText } from '../answer.js';
import type { SimServer } from '../server.js';

/** The official `openai` package (AzureOpenAI and, for the v1 API, OpenAI) must accept every answer. */

const KEY = 'az-sdk-key';
const TOKEN = 'entra-token-for-sim';
const TOOL = {
  type: 'function' as const,
  function: { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } },
};

let sim: SimServer;
let azure: AzureOpenAI;

beforeAll(async () => {
  sim = await startAzureSim({ apiKey: KEY, acceptToken: (t) => t === TOKEN });
  azure = new AzureOpenAI({ endpoint: sim.url, apiKey: KEY, apiVersion: '2024-10-21', maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.faults.clear());

type AzureExtras = { prompt_filter_results?: Array<{ content_filter_results: Record<string, unknown> }> };

describe('AzureOpenAI client against the Azure simulator', () => {
  it('parses a plain completion with Azure filter annotations', async () => {
    const r = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello Azure' }] });
    expect(r.choices[0]?.message.content).toBe('Hello from gpt-4o! You said: Hello Azure.');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.model).toBe('gpt-4o-2024-08-06');
    expect((r as unknown as AzureExtras).prompt_filter_results?.[0]?.content_filter_results).toHaveProperty('jailbreak');
    expect(r.choices[0]).toHaveProperty('content_filter_results.violence.filtered', false);
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
    expect(sim.stats.requests['POST /openai/deployments/{deployment}/chat/completions']).toBeGreaterThan(0);
  });

  it('parses a tool call', async () => {
    const r = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'call the tool for dogs' }], tools: [TOOL] });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(r.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('lookup');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ query: 'call the tool for dogs' });
  });

  it('streams with the leading prompt-filter chunk and a usage chunk', async () => {
    const stream = await azure.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]?.choices).toEqual([]);
    expect((chunks[0] as unknown as AzureExtras).prompt_filter_results).toHaveLength(1);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from gpt-4o! You said: stream please.');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("opens a stream as Azure does: the prompt-filter chunk, then the role chunk, or for a tool call the call's first chunk carrying the role", async () => {
    const deltas = async (body: Record<string, unknown>): Promise<unknown[]> => {
      const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ stream: true, ...body }),
      });
      const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('data: {'));
      return frames.map((f) => (JSON.parse(f.slice('data: '.length)) as { choices: Array<{ delta: unknown }> }).choices[0]?.delta);
    };
    const text = await deltas({ messages: [{ role: 'user', content: 'ping' }] });
    expect(text.slice(0, 2)).toEqual([undefined, { content: '', refusal: null, role: 'assistant' }]);
    const call = await deltas({ tools: [TOOL], messages: [{ role: 'user', content: 'call the tool' }] });
    expect(call[1]).toEqual({
      content: null,
      refusal: null,
      role: 'assistant',
      tool_calls: [{ index: 0, id: expect.any(String), type: 'function', function: { name: 'lookup', arguments: expect.any(String) } }],
    });
    expect(call.slice(2).some((d) => typeof d === 'object' && d !== null && 'role' in d)).toBe(false);
  });

  it("refuses an empty tools list as Azure does ([] is too short), rather than reading it as none", async () => {
    const bad = await azure.chat.completions.create({ model: 'gpt-4o', tools: [], messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({ message: "[] is too short - 'tools'", type: 'invalid_request_error', param: null, code: null });
  });

  it('streams tool-call arguments', async () => {
    const stream = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'call the tool' }], tools: [TOOL], stream: true });
    let args = '';
    for await (const c of stream) args += c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ query: 'call the tool' });
  });

  it('decodes embeddings in the default base64 encoding and as floats', async () => {
    const b64 = await azure.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    const floats = await azure.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float' });
    expect(b64.data).toHaveLength(2);
    expect(floats.data[0]?.embedding).toEqual(embedText('alpha', 8));
    b64.data[0]?.embedding.forEach((v, i) => expect(v).toBeCloseTo(embedText('alpha', 8)[i] as number, 5));
    expect(b64.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('raises RateLimitError with Azure throttling headers', async () => {
    sim.faults.add({ status: 429, retry_after_s: 2, count: 1 });
    const err = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.headers.get('retry-after')).toBe('2');
    expect(e.headers.get('retry-after-ms')).toBe('2000');
    expect(e.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(e.message).toContain('exceeded token rate limit');
  });

  it.each([
    [401, '401', 'Access denied due to invalid subscription key', OpenAI.AuthenticationError],
    [404, 'DeploymentNotFound', 'The API deployment for this resource does not exist', OpenAI.NotFoundError],
  ])('answers a %i fault in Azure\'s shape (code %s), with its own words or the fault\'s', async (status, code, stock, type) => {
    const send = () => azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    sim.faults.add({ status, count: 1 });
    const plain = await send();
    expect(plain).toBeInstanceOf(type);
    expect([(plain as InstanceType<typeof OpenAI.APIError>).code, (plain as Error).message]).toEqual([code, expect.stringContaining(stock)]);
    sim.faults.add({ status, error_message: 'Words of this fault.', count: 1 });
    const worded = await send();
    expect(worded).toBeInstanceOf(type);
    expect([(worded as InstanceType<typeof OpenAI.APIError>).code, (worded as Error).message]).toEqual([code, `${status} Words of this fault.`]);
  });

  it('raises BadRequestError for a prompt blocked by the content filter', async () => {
    sim.faults.add({ status: 400, error: 'content_filter', count: 1 });
    const err = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe('content_filter');
    expect(e.error).toHaveProperty('innererror.code', 'ResponsibleAIPolicyViolation');
  });

  it('parses an answer the output filter cut short', async () => {
    sim.faults.add({ error: 'content_filter_output', count: 2 });
    const r = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'tell me a long story' }] });
    expect(r.choices[0]?.finish_reason).toBe('content_filter');
    expect(r.choices[0]).toHaveProperty('content_filter_results.violence', { filtered: true, severity: 'medium' });
    const stream = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'tell me a long story' }], stream: true });
    let finish: string | null = null;
    for await (const c of stream) finish = c.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe('content_filter');
  });

  it('raises an APIError for an in-stream error', async () => {
    sim.faults.add({ stream_error_after_chunks: 2, count: 1 });
    const stream = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'this will break' }], stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
  });

  it('accepts an Entra ID token from azureADTokenProvider and rejects a bad one with 401', async () => {
    const good = new AzureOpenAI({ endpoint: sim.url, azureADTokenProvider: () => Promise.resolve(TOKEN), apiVersion: '2024-10-21', maxRetries: 0 });
    const r = await good.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]?.message.content).toContain('You said: hi');
    const bad = new AzureOpenAI({ endpoint: sim.url, azureADTokenProvider: () => Promise.resolve('forged'), apiVersion: '2024-10-21', maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const wrongKey = new AzureOpenAI({ endpoint: sim.url, apiKey: 'nope', apiVersion: '2024-10-21', maxRetries: 0 });
    await expect(wrongKey.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('raises NotFoundError for an unknown deployment', async () => {
    const err = await azure.chat.completions.create({ model: 'no-such-deployment', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('DeploymentNotFound');
  });
});

describe('OpenAI client against the Azure v1 API', () => {
  let v1: OpenAI;
  beforeAll(() => {
    v1 = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: KEY, maxRetries: 0 });
  });

  it('chats, streams with usage and embeds with the deployment name as model', async () => {
    const r = await v1.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'v1 hello' }] });
    expect(r.choices[0]?.message.content).toBe('Hello from gpt-4o! You said: v1 hello.');
    const stream = await v1.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'v1 hello' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      usage = c.usage ?? usage;
    }
    expect(text).toBe(r.choices[0]?.message.content);
    expect(usage?.completion_tokens).toBe(r.usage?.completion_tokens);
    const e = await v1.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha' });
    expect(e.data[0]?.embedding).toHaveLength(8);
    expect(sim.stats.requests['POST /openai/v1/chat/completions']).toBe(2);
    expect(sim.stats.requests['POST /openai/v1/embeddings']).toBe(1);
  });

  it('lists models and maps a 429 to RateLimitError', async () => {
    const models = await v1.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-2024-08-06');
    sim.faults.add({ status: 429, count: 1 });
    await expect(v1.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('rejects a wrong key with 401', async () => {
    const bad = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('AzureOpenAI client: operations, structured outputs and tool choice as Azure serves them', () => {
  const user = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];

  it("refuses chat on an embedding deployment and embeddings on a chat deployment with Azure's 400 OperationNotSupported", async () => {
    const chat = await azure.chat.completions.create({ model: 'text-embedding-3-small', messages: user('Hi') }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chat as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      code: 'OperationNotSupported',
      message:
        'The chatCompletion operation does not work with the specified model, text-embedding-3-small. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.',
    });
    const embed = await azure.embeddings.create({ model: 'gpt-4o', input: 'Hi' }).catch((e: unknown) => e);
    expect(embed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((embed as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ code: 'OperationNotSupported', message: expect.stringMatching(/^The embeddings operation does not work with the specified model, gpt-4o\. /) as unknown });
  });

  it('answers chat.completions.parse() with an instance of the zod schema, and refuses JSON mode without the word json', async () => {
    const Reply = z.object({ summary: z.string(), confidence: z.number().min(0).max(1) });
    const r = await azure.chat.completions.parse({ model: 'gpt-4o', messages: user('Summarise'), response_format: zodResponseFormat(Reply, 'reply') });
    expect(r.choices[0]?.message.parsed).toEqual({ summary: '', confidence: 0 });
    await expect(azure.chat.completions.create({ model: 'gpt-4o', messages: user('hi'), response_format: { type: 'json_object' } })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("honours tool_choice 'none' and a named function", async () => {
    const none = await azure.chat.completions.create({ model: 'gpt-4o', messages: user('call the tool for dogs'), tools: [TOOL], tool_choice: 'none' });
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
    const named = await azure.chat.completions.create({ model: 'gpt-4o', messages: user('dogs'), tools: [TOOL], tool_choice: { type: 'function', function: { name: 'lookup' } } });
    expect(named.choices[0]?.message.tool_calls?.map((c) => (c.type === 'function' ? c.function.name : c.type))).toEqual(['lookup']);
  });
});
