import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { createGateway } from '../gateway/gateway.js';
import { createLedger, type Ledger } from '../ledger/index.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { startEverySim, type EverySim } from '../sim/testing/every-sim.js';

/*
 * One matrix: every front door, each driven by its own official SDK, × every provider, through the real
 * server, × the cases a client relies on. The simulators answer deterministically ("Hello from <model>!
 * You said: <text>."), reason when the request's own reasoning setting asks for it, and check what the
 * real APIs check (thinking budgets, signatures), so a case passes only when the door and the provider's
 * dialect both carried the request faithfully.
 */

const PROJECT = 'matrix-project';
const KEY = 'sk-matrix';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

interface Target {
  /** The deployment id, which clients name as the model. */
  id: string;
  /** The simulator serving it and the model name faults are scripted for. */
  sim: string;
  model: string;
  /** The provider returns reasoning text (Azure OpenAI reports reasoning tokens only). */
  showsReasoning: boolean;
}

/** All an OpenAI deployment does here, reasoning included (it lets `reasoning_effort` through). */
const REASONS = ['tools', 'vision', 'files', 'json', 'streaming', 'reasoning'];

const TARGETS: readonly Target[] = [
  { id: 'openai', sim: 'openai', model: 'gpt-4o-mini', showsReasoning: true },
  { id: 'azure', sim: 'azure', model: 'gpt-4o', showsReasoning: false },
  { id: 'bedrock', sim: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', showsReasoning: true },
  { id: 'gemini', sim: 'vertex', model: 'gemini-2.5-flash', showsReasoning: true },
  { id: 'vertex-claude', sim: 'vertex', model: 'claude-sonnet-4-5@20250929', showsReasoning: true },
  { id: 'anthropic', sim: 'anthropic', model: 'claude-sonnet-4-6', showsReasoning: true },
];

/** What every door's client must get for each case, whatever the wire. */
interface Door {
  name: string;
  /** The `ingress` the ledger records for a request through this door. */
  ingress: string;
  chat(model: string, text: string): Promise<string>;
  /** Streams an answer; returns its text and the usage the stream reported. */
  stream(model: string, text: string): Promise<{ text: string; inputTokens: number; outputTokens: number }>;
  /** Asks for a tool call, hands back the result 'sunny', and returns the final answer. */
  toolRoundTrip(model: string): Promise<{ arguments: unknown; answer: string }>;
  /** Streams an answer that calls a tool; returns the call's name and parsed arguments as the client assembled them. */
  streamToolCall(model: string): Promise<{ name: string; arguments: unknown }>;
  image(model: string): Promise<string>;
  /** Asks for reasoning through the door's own setting; returns the reasoning text shown and the answer. */
  reason(model: string): Promise<{ reasoning: string; answer: string }>;
  /** The same, streamed: the reasoning and the answer as the client assembled them from the events. */
  streamReasoning(model: string): Promise<{ reasoning: string; answer: string }>;
  /** The error the client raises when the upstream fails before the first byte. */
  failBefore(model: string): Promise<unknown>;
  /** The error the client raises when the stream breaks after its first bytes. */
  failAfter(model: string): Promise<unknown>;
}

const LOOKUP_SCHEMA = { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] };

function openAIChatDoor(client: OpenAI): Door {
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup', description: 'Looks a query up.', parameters: LOOKUP_SCHEMA } }];
  return {
    name: 'Chat Completions (openai SDK)',
    ingress: 'openai-chat',
    async chat(model, text) {
      const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: text }] });
      return r.choices[0]?.message.content ?? '';
    },
    async stream(model, text) {
      const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: text }] });
      let out = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        out += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      return { text: out, inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 };
    },
    async toolRoundTrip(model) {
      const ask: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Please call the tool' };
      const first = await client.chat.completions.create({ model, tools, messages: [ask] });
      const message = first.choices[0]?.message;
      const call = message?.tool_calls?.[0];
      if (!message || call?.type !== 'function') throw new Error('expected a function call');
      const second = await client.chat.completions.create({ model, tools, messages: [ask, message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }] });
      return { arguments: JSON.parse(call.function.arguments) as unknown, answer: second.choices[0]?.message.content ?? '' };
    },
    async streamToolCall(model) {
      const stream = await client.chat.completions.create({ model, tools, stream: true, messages: [{ role: 'user', content: 'Please call the tool' }] });
      let name = '';
      let args = '';
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        for (const d of choice?.delta.tool_calls ?? []) {
          name += d.function?.name ?? '';
          args += d.function?.arguments ?? '';
        }
        finish = choice?.finish_reason ?? finish;
      }
      expect(finish).toBe('tool_calls');
      return { name, arguments: JSON.parse(args) as unknown };
    },
    async image(model) {
      const r = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
      });
      return r.choices[0]?.message.content ?? '';
    },
    async reason(model) {
      const r = await client.chat.completions.create({ model, reasoning_effort: 'low', max_completion_tokens: 4096, messages: [{ role: 'user', content: 'hi' }] });
      const message = r.choices[0]?.message as (OpenAI.ChatCompletionMessage & { reasoning_content?: string }) | undefined;
      expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
      return { reasoning: message?.reasoning_content ?? '', answer: message?.content ?? '' };
    },
    async streamReasoning(model) {
      const stream = await client.chat.completions.create({ model, reasoning_effort: 'low', max_completion_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      let reasoning = '';
      let answer = '';
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as ({ content?: string | null; reasoning_content?: string } | undefined);
        reasoning += delta?.reasoning_content ?? '';
        answer += delta?.content ?? '';
      }
      return { reasoning, answer };
    },
    failBefore: (model) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e),
    async failAfter(model) {
      try {
        const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi there my good friend' }] });
        for await (const chunk of stream) void chunk;
      } catch (error) {
        return error;
      }
      return undefined;
    },
  };
}

function anthropicDoor(client: Anthropic): Door {
  const tools: Anthropic.Tool[] = [{ name: 'lookup', description: 'Looks a query up.', input_schema: LOOKUP_SCHEMA }];
  const textOf = (m: Anthropic.Message): string => m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  return {
    name: 'Messages (@anthropic-ai/sdk)',
    ingress: 'anthropic-messages',
    chat: async (model, text) => textOf(await client.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: text }] })),
    async stream(model, text) {
      const m = await client.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: text }] }).finalMessage();
      return { text: textOf(m), inputTokens: m.usage.input_tokens, outputTokens: m.usage.output_tokens };
    },
    async toolRoundTrip(model) {
      const ask: Anthropic.MessageParam = { role: 'user', content: 'Please call the tool' };
      const first = await client.messages.create({ model, max_tokens: 256, tools, messages: [ask] });
      const use = first.content.find((b) => b.type === 'tool_use');
      if (use?.type !== 'tool_use') throw new Error('expected a tool_use block');
      const second = await client.messages.create({
        model,
        max_tokens: 256,
        tools,
        messages: [ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] }],
      });
      return { arguments: use.input, answer: textOf(second) };
    },
    async streamToolCall(model) {
      const m = await client.messages.stream({ model, max_tokens: 256, tools, messages: [{ role: 'user', content: 'Please call the tool' }] }).finalMessage();
      expect(m.stop_reason).toBe('tool_use');
      const use = m.content.find((b) => b.type === 'tool_use');
      return use?.type === 'tool_use' ? { name: use.name, arguments: use.input } : { name: '', arguments: undefined };
    },
    async image(model) {
      const m = await client.messages.create({
        model,
        max_tokens: 256,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }],
      });
      return textOf(m);
    },
    async reason(model) {
      const m = await client.messages.create({ model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] });
      const thinking = m.content.find((b) => b.type === 'thinking');
      // The thinking goes back in the next turn, as extended thinking requires; the upstream checks it.
      const next = await client.messages.create({
        model,
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: m.content }, { role: 'user', content: 'and again' }],
      });
      expect(textOf(next)).toContain('You said: and again.');
      return { reasoning: thinking?.type === 'thinking' ? thinking.thinking : '', answer: textOf(m) };
    },
    async streamReasoning(model) {
      const m = await client.messages.stream({ model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      const thinking = m.content.find((b) => b.type === 'thinking');
      return { reasoning: thinking?.type === 'thinking' ? thinking.thinking : '', answer: textOf(m) };
    },
    failBefore: (model) => client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e),
    failAfter: (model) =>
      client.messages
        .stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'hi there my good friend' }] })
        .finalMessage()
        .then(() => undefined)
        .catch((e: unknown) => e),
  };
}

function responsesDoor(client: OpenAI): Door {
  const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'lookup', description: 'Looks a query up.', parameters: LOOKUP_SCHEMA, strict: false }];
  return {
    name: 'Responses (openai SDK)',
    ingress: 'openai-responses',
    chat: async (model, text) => (await client.responses.create({ model, input: text })).output_text,
    async stream(model, text) {
      const r = await client.responses.stream({ model, input: text }).finalResponse();
      return { text: r.output_text, inputTokens: r.usage?.input_tokens ?? 0, outputTokens: r.usage?.output_tokens ?? 0 };
    },
    async toolRoundTrip(model) {
      const ask: OpenAI.Responses.ResponseInputItem = { role: 'user', content: 'Please call the tool' };
      const first = await client.responses.create({ model, tools, input: [ask] });
      const call = first.output.find((o) => o.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('expected a function_call item');
      const second = await client.responses.create({ model, tools, input: [ask, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] });
      return { arguments: JSON.parse(call.arguments) as unknown, answer: second.output_text };
    },
    async streamToolCall(model) {
      const r = await client.responses.stream({ model, tools, input: 'Please call the tool' }).finalResponse();
      const call = r.output.find((o) => o.type === 'function_call');
      return call?.type === 'function_call' ? { name: call.name, arguments: JSON.parse(call.arguments) as unknown } : { name: '', arguments: undefined };
    },
    async image(model) {
      const r = await client.responses.create({
        model,
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' }] }],
      });
      return r.output_text;
    },
    async reason(model) {
      const r = await client.responses.create({ model, reasoning: { effort: 'low', summary: 'auto' }, max_output_tokens: 4096, input: 'hi' });
      expect(r.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
      const item = r.output.find((o) => o.type === 'reasoning');
      const reasoning = item?.type === 'reasoning' ? item.summary.map((s) => s.text).join('') : '';
      return { reasoning, answer: r.output_text };
    },
    async streamReasoning(model) {
      const r = await client.responses.stream({ model, reasoning: { effort: 'low', summary: 'auto' }, max_output_tokens: 4096, input: 'hi' }).finalResponse();
      const item = r.output.find((o) => o.type === 'reasoning');
      return { reasoning: item?.type === 'reasoning' ? item.summary.map((s) => s.text).join('') : '', answer: r.output_text };
    },
    failBefore: (model) => client.responses.create({ model, input: 'hi' }).catch((e: unknown) => e),
    failAfter: (model) =>
      client.responses
        .stream({ model, input: 'hi there my good friend' })
        .finalResponse()
        .then(() => undefined)
        .catch((e: unknown) => e),
  };
}

describe('every front door × every provider, through the server and each door’s official SDK', () => {
  const sims: Record<string, SimServer> = {};
  let every: EverySim;
  const attempts: AttemptRecord[] = [];
  let server: RunningServer;
  const doors: Door[] = [];

  beforeAll(async () => {
    every = await startEverySim(PROJECT, 'sk-oa');
    const { openai, azure, bedrock, vertex, anthropic, gcp } = every;
    Object.assign(sims, { openai, azure, bedrock, vertex, anthropic });
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [
          // The simulators reason with any model: `reasoning` is how an operator says so of gpt-4o(-mini).
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-oa', capabilities: REASONS },
          { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: azure.url, api_version: '2024-10-21', api_key: 'az-key', capabilities: REASONS },
          { id: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...every.aws },
          { id: 'gemini', model: 'gemini-2.5-flash', ...gcp },
          { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...gcp, region: 'us-east5' },
          { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant' },
        ],
      },
      every.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config, { observers: [{ onAttempt: (r) => attempts.push(r) }] }), { port: 0 });
    const openAIClient = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    doors.push(openAIChatDoor(openAIClient), anthropicDoor(new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 })), responsesDoor(openAIClient));
  });

  afterAll(async () => {
    await server.shutdown(100);
    await every.close();
  });

  beforeEach(() => {
    for (const sim of Object.values(sims)) sim.faults.clear();
    attempts.length = 0;
  });

  const door = (i: number): Door => doors[i] as Door;

  it('names the settings a provider could not honour in x-switchyard-warnings, whole and streamed', async () => {
    const ask = async (stream: boolean): Promise<string | string[] | undefined> => {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: 'anthropic', seed: 7, frequency_penalty: 0.5, stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.text();
      return res.headers.get('x-switchyard-warnings') ?? undefined;
    };
    expect(await ask(false)).toBe('seed, frequencyPenalty');
    expect(await ask(true)).toBe('seed, frequencyPenalty');
  });

  const sim = (t: Target): SimServer => sims[t.sim] as SimServer;

  describe.each([0, 1, 2].map((index) => ({ index, name: ['Chat Completions', 'Messages', 'Responses'][index] })))('$name door', ({ index }) => {
    describe.each(TARGETS)('routed to $id', (t) => {
      it('answers', async () => {
        expect(await door(index).chat(t.id, 'hi')).toBe(`Hello from ${t.model}! You said: hi.`);
        expect(attempts.map((a) => [a.deployment, a.tags.ingress])).toEqual([[t.id, door(index).ingress]]);
      });

      it('streams with usage', async () => {
        const s = await door(index).stream(t.id, 'stream this');
        expect(s.text).toBe(`Hello from ${t.model}! You said: stream this.`);
        expect(s.inputTokens).toBeGreaterThan(0);
        expect(s.outputTokens).toBeGreaterThan(0);
      });

      it('round-trips a tool call', async () => {
        expect(await door(index).toolRoundTrip(t.id)).toEqual({ arguments: { query: 'Please call the tool' }, answer: 'The tool said: sunny.' });
      });

      it('streams a tool call', async () => {
        expect(await door(index).streamToolCall(t.id)).toEqual({ name: 'lookup', arguments: { query: 'Please call the tool' } });
      });

      it('takes an image', async () => {
        expect(await door(index).image(t.id)).toBe(`Hello from ${t.model}! I see 1 image(s). You said: What is this?.`);
      });

      it(`reasons when the door's own setting asks${t.showsReasoning ? ', showing the reasoning' : ''}`, async () => {
        const r = await door(index).reason(t.id);
        expect(r.answer).toBe(`Hello from ${t.model}! You said: hi.`);
        if (t.showsReasoning) expect(r.reasoning).toMatch(/^The user wrote "hi"/);
        else expect(r.reasoning).toBe('');
      });

      it(`streams the reasoning the door's own setting asked for${t.showsReasoning ? '' : ' (none shown by this provider)'}`, async () => {
        const r = await door(index).streamReasoning(t.id);
        expect(r.answer).toBe(`Hello from ${t.model}! You said: hi.`);
        if (t.showsReasoning) expect(r.reasoning).toMatch(/^The user wrote "hi"/);
        else expect(r.reasoning).toBe('');
      });

      it('reports an upstream failure before the first byte with its status, in the door’s error shape', async () => {
        sim(t).faults.add({ model: t.model, status: 503, count: 1 });
        const error = await door(index).failBefore(t.id);
        const expected = index === 1 ? Anthropic.APIError : OpenAI.APIError;
        expect(error).toBeInstanceOf(expected);
        expect((error as { status?: number }).status).toBe(503);
      });

      it('raises a stream that breaks after its first byte, never a clean end', async () => {
        sim(t).faults.add({ model: t.model, stream_error_after_chunks: 2, count: 1 });
        const error = await door(index).failAfter(t.id);
        // Every door's SDK raises an APIError (the Responses door's `error` event nests its fields under `error`, as the live API does).
        expect(error).toBeInstanceOf(index === 1 ? Anthropic.APIError : OpenAI.APIError);
        if (index === 2) expect(error).toMatchObject({ message: expect.stringContaining(t.id) });
      });
    });
  });
});

describe('accounting and budgets are the same whichever door a request used', () => {
  let sim: SimServer;
  let ledger: Ledger;
  let server: RunningServer;
  const ask = { model: 'chat', text: 'How much does this cost?' };

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-oa' });
    const dir = mkdtempSync(join(tmpdir(), 'matrix-ledger-'));
    const parsed = parseConfig({
      api_keys: [
        { id: 'free', key: 'sk-free' },
        { id: 'tight', key: 'sk-tight' },
      ],
      deployments: [{ id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-oa' }],
      groups: [{ name: 'chat', deployments: ['openai'] }],
      ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
      budgets: { limits: [{ name: 'tight', period: 'daily', match: { key: 'tight' }, hard_usd: 0.000_000_1 }] },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    ledger = await createLedger(parsed.config);
    server = await startServer(createGateway(parsed.config, { observers: [ledger.observer], admission: ledger.admission, priceOf: ledger.priceOf }), { port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await ledger.close();
    await sim.close();
  });

  const doorsFor = (key: string): Door[] => {
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    return [openAIChatDoor(openai), anthropicDoor(new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 })), responsesDoor(openai)];
  };

  it('records every door in the ledger as the ingress tag, each answer priced alike', async () => {
    for (const d of doorsFor('sk-free')) expect(await d.chat(ask.model, ask.text)).toBe(`Hello from gpt-4o-mini! You said: ${ask.text}.`);
    await ledger.flush();
    const rows = await ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: ['tag:ingress'] });
    expect(rows.map((r) => r.keys['tag:ingress']).sort()).toEqual(['anthropic-messages', 'openai-chat', 'openai-responses']);
    const costs = rows.map((r) => r.costUsd);
    expect(costs[0]).toBeGreaterThan(0);
    // The same prompt costs the same whichever door it came through (the Messages door has no system prompt either).
    expect(new Set(costs).size).toBe(1);
  });

  it("refuses a spent budget on every door, in that door's own error shape", async () => {
    const [chat, messages, responses] = doorsFor('sk-tight') as [Door, Door, Door];
    // Admission refuses once the spend has reached the limit: the first answer spends it.
    expect(await messages.chat(ask.model, ask.text)).toContain('You said');
    const refused = await Promise.all([chat.failBefore(ask.model), messages.failBefore(ask.model), responses.failBefore(ask.model)]);
    expect(refused[0]).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused[0] as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('budget_exceeded');
    expect(refused[1]).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused[1] as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: 'error', error: { type: expect.any(String) } });
    expect(refused[2]).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused[2] as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('budget_exceeded');
  });
});
