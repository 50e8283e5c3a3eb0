/**
 * The conformance suite every provider must pass: one table of cases, run through the real server with
 * the official `openai` SDK against the provider's simulator. Adding a provider = passing this suite:
 *
 *   runConformance({ name: 'bedrock', setup: async () => ({ sim, deployment: {...}, errors: {...} }) });
 *
 * The same cases run through each runtime adapter by passing its front (see the adapters' testing/ folders).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { startServer } from '../adapters/node/server.js';
import type { SimServer } from '../sim/server.js';
import type { FaultRule } from '../sim/faults.js';
import type { JsonValue } from '../core/types.js';

/** A fault rule for the simulator and the error the client must then see. */
export interface ErrorCase {
  fault: FaultRule;
  status: number;
  code: string;
}

export interface ConformanceSetup {
  sim: SimServer;
  /** Raw deployment config (as in switchyard.yaml) pointing at the simulator; its id is replaced. */
  deployment: Record<string, unknown>;
  /** Raw deployment config for embeddings, when the provider has them. */
  embeddingDeployment?: Record<string, unknown>;
  /** Environment for `${VAR}` references in the deployment config. */
  env?: Record<string, string>;
  /** Error cases keyed by the taxonomy kind the client should see. */
  errors: {
    rate_limited: ErrorCase;
    unavailable: ErrorCase;
    context_window_exceeded: ErrorCase;
    invalid_request: ErrorCase;
    content_filtered?: ErrorCase;
    authentication?: ErrorCase;
  };
  /** A fault that breaks a stream after some content (cut or in-stream error). */
  midStreamFault: FaultRule;
  /** Every top-level key the provider's upstream chat body may hold: built from mapped fields only. */
  wireKeys: readonly string[];
  /**
   * A field the deployment can be configured to let through (`passthrough`), and where the upstream
   * body then carries it; `refused` when the wire format has no slot and config load must say so.
   */
  passthrough: { field: string; value: JsonValue; carried: (wireBody: Record<string, unknown>) => unknown } | 'refused';
  /**
   * What the upstream reveals of its reasoning for a prompt that asks to "think step by step": the
   * text (the default), or only its token count (Azure OpenAI).
   */
  reasoning?: 'text' | 'tokens';
  close?: () => Promise<void>;
}

/** How the suite's client reaches the gateway: a base URL, and how to stop serving it. */
export interface ConformanceFront {
  readonly name: string;
  serve(gateway: Gateway): Promise<{ url: string; close(): Promise<void> }>;
}

/** The gateway on node:http (`startServer`), the default front. */
export const nodeFront: ConformanceFront = {
  name: 'node',
  async serve(gateway) {
    const server = await startServer(gateway, { port: 0 });
    return { url: server.url, close: () => server.shutdown(500) };
  },
};

export interface ConformanceTarget {
  name: string;
  setup(): Promise<ConformanceSetup>;
}

const TOOL = {
  type: 'function' as const,
  function: {
    name: 'lookup',
    description: 'Looks a query up.',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

// A 1x1 transparent PNG.
const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** Defines the suite for one provider, served through `front`. Call at the top level of a `*.test.ts` file. */
export function runConformance(target: ConformanceTarget, front: ConformanceFront = nodeFront): void {
  describe(front === nodeFront ? `conformance: ${target.name}` : `conformance: ${target.name} through ${front.name}`, () => {
    let setup: ConformanceSetup;
    let server: { url: string; close(): Promise<void> };
    let client: OpenAI;

    beforeAll(async () => {
      setup = await target.setup();
      const deployments: Array<Record<string, unknown>> = [{ ...setup.deployment, id: 'conf' }];
      if (setup.passthrough !== 'refused') deployments.push({ ...setup.deployment, id: 'conf-pass', passthrough: [setup.passthrough.field] });
      const groups: Array<Record<string, unknown>> = [];
      if (setup.embeddingDeployment) {
        deployments.push({ ...setup.embeddingDeployment, id: 'conf-embed' });
        groups.push({ name: 'embed', deployments: ['conf-embed'] });
      }
      const parsed = parseConfig(
        // Cases share one deployment: a 429 case without retry-after must not cool it for the next one.
        { routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, rate_limit: { default_cool_down_ms: 1 }, allow_direct_deployments: true }, deployments, groups },
        setup.env ?? {},
      );
      if (!parsed.ok) throw new Error(`conformance config invalid: ${JSON.stringify(parsed.problems)}`);
      server = await front.serve(createGateway(parsed.config));
      client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    });

    afterAll(async () => {
      await server?.close();
      await setup?.sim.close();
      await setup?.close?.();
    });

    const ask = (content: string): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: 'user', content }];

    it('answers a plain prompt with text, stop and usage', async () => {
      const r = await client.chat.completions.create({ model: 'conf', messages: ask('Hello there') });
      expect(r.choices[0]?.message.content).toContain('You said: Hello there');
      expect(r.choices[0]?.finish_reason).toBe('stop');
      expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(r.usage?.completion_tokens).toBeGreaterThan(0);
      expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
    });

    it('passes a system prompt', async () => {
      const withSystem = await client.chat.completions.create({
        model: 'conf',
        messages: [{ role: 'system', content: 'You are a terse assistant with a long system prompt.' }, ...ask('Hi')],
      });
      const without = await client.chat.completions.create({ model: 'conf', messages: ask('Hi') });
      expect(withSystem.choices[0]?.message.content).toContain('You said: Hi');
      expect(withSystem.usage?.prompt_tokens).toBeGreaterThan(without.usage?.prompt_tokens ?? 0);
    });

    it('answers the last turn of a multi-turn conversation', async () => {
      const r = await client.chat.completions.create({
        model: 'conf',
        messages: [
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: 'first answer' },
          { role: 'user', content: 'second question' },
        ],
      });
      expect(r.choices[0]?.message.content).toContain('You said: second question');
    });

    it('round-trips a tool call', async () => {
      const first = await client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool for cats'), tools: [TOOL] });
      const choice = first.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      const call = choice?.message.tool_calls?.[0];
      expect(call?.type).toBe('function');
      if (call?.type !== 'function') throw new Error('expected a function tool call');
      expect(call.function.name).toBe('lookup');
      expect(JSON.parse(call.function.arguments)).toEqual({ query: 'Please call the tool for cats' });
      const second = await client.chat.completions.create({
        model: 'conf',
        tools: [TOOL],
        messages: [
          ...ask('Please call the tool for cats'),
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: 'cats are great' },
        ],
      });
      expect(second.choices[0]?.message.content).toContain('The tool said: cats are great');
      expect(second.choices[0]?.finish_reason).toBe('stop');
    });

    it('answers a new question that follows a tool result', async () => {
      const first = await client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool for dogs'), tools: [TOOL] });
      const call = first.choices[0]?.message.tool_calls?.[0];
      if (call?.type !== 'function') throw new Error('expected a function tool call');
      const r = await client.chat.completions.create({
        model: 'conf',
        tools: [TOOL],
        messages: [
          ...ask('Please call the tool for dogs'),
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: 'dogs are loyal' },
          { role: 'user', content: 'and cats?' },
        ],
      });
      expect(r.choices[0]?.message.content).toContain('You said: and cats?');
    });

    it('passes an image', async () => {
      const r = await client.chat.completions.create({
        model: 'conf',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PIXEL } }] }],
      });
      expect(r.choices[0]?.message.content).toContain('I see 1 image(s)');
    });

    it('honours a stop sequence', async () => {
      const r = await client.chat.completions.create({ model: 'conf', messages: ask('stop here'), stop: ['said'] });
      expect(r.choices[0]?.message.content).not.toContain('said');
      expect(r.choices[0]?.finish_reason).toBe('stop');
    });

    it('reports finish_reason length when max tokens is hit', async () => {
      const r = await client.chat.completions.create({ model: 'conf', messages: ask('a long answer please'), max_tokens: 3 });
      expect(r.choices[0]?.finish_reason).toBe('length');
      expect(r.usage?.completion_tokens).toBeLessThanOrEqual(3);
    });

    it('streams the same text as the plain answer, with usage', async () => {
      const plain = await client.chat.completions.create({ model: 'conf', messages: ask('stream me') });
      const stream = await client.chat.completions.create({ model: 'conf', messages: ask('stream me'), stream: true, stream_options: { include_usage: true } });
      let text = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      expect(chunks).toBeGreaterThan(2);
      expect(text).toBe(plain.choices[0]?.message.content);
      expect(finish).toBe('stop');
      expect(usage?.completion_tokens).toBe(plain.usage?.completion_tokens);
      expect(usage?.prompt_tokens).toBe(plain.usage?.prompt_tokens);
    });

    /** The raw `data:` payloads of a streamed answer, [DONE] included, as the client receives them. */
    async function rawStream(body: Record<string, unknown>): Promise<string[]> {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'conf', stream: true, messages: ask('stream my shape'), ...body }),
      });
      expect(res.status).toBe(200);
      return (await res.text())
        .split('\n\n')
        .filter((f) => f.startsWith('data: '))
        .map((f) => f.slice('data: '.length));
    }

    it('streams the exact shape of OpenAI chunks with include_usage: usage null on each, the usage chunk last', async () => {
      const frames = await rawStream({ stream_options: { include_usage: true } });
      expect(frames.at(-1)).toBe('[DONE]');
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f) as { choices: unknown[]; usage?: unknown });
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
      expect(chunks.length).toBeGreaterThan(2);
      for (const c of chunks.slice(0, -1)) {
        expect(c.choices).toHaveLength(1);
        expect(c.usage).toBeNull();
      }
    });

    it('streams no chunk with empty choices (nor extras) without include_usage', async () => {
      const frames = await rawStream({});
      expect(frames.at(-1)).toBe('[DONE]');
      for (const f of frames.slice(0, -1)) {
        const c = JSON.parse(f) as Record<string, unknown>;
        expect(c.choices).toHaveLength(1);
        expect(c).not.toHaveProperty('usage');
        expect(c).not.toHaveProperty('switchyard_extensions');
      }
    });

    it('returns and streams the reasoning, and counts its tokens', async () => {
      const messages = ask('Please think step by step about greetings');
      const plain = await client.chat.completions.create({ model: 'conf', messages });
      const reasoningTokens = plain.usage?.completion_tokens_details?.reasoning_tokens ?? 0;
      expect(reasoningTokens).toBeGreaterThan(0);
      expect(reasoningTokens).toBeLessThan(plain.usage?.completion_tokens ?? 0);
      const reasoningOf = (m: object): unknown => (m as { reasoning_content?: unknown }).reasoning_content;
      const message = plain.choices[0]?.message;
      if (!message) throw new Error('expected a message');
      expect(message.content).toContain('You said: Please think step by step');
      const stream = await client.chat.completions.create({ model: 'conf', messages, stream: true, stream_options: { include_usage: true } });
      let reasoning = '';
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta;
        if (delta) {
          const r = reasoningOf(delta);
          if (typeof r === 'string') {
            expect(text).toBe('');
            reasoning += r;
          }
          text += delta.content ?? '';
        }
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(message.content);
      expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(reasoningTokens);
      if (setup.reasoning === 'tokens') {
        expect(reasoningOf(message)).toBeUndefined();
        expect(reasoning).toBe('');
        return;
      }
      expect(reasoningOf(message)).toMatch(/^The user wrote ".*think step by step.*"\. A short friendly reply will do\.$/);
      expect(reasoning).toBe(reasoningOf(message));
    });

    it('streams tool-call arguments', async () => {
      const stream = await client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool now'), tools: [TOOL], stream: true });
      let args = '';
      let name: string | undefined;
      let finish: string | null = null;
      for await (const chunk of stream) {
        const tc = chunk.choices[0]?.delta.tool_calls?.[0];
        if (tc?.function?.name) name = tc.function.name;
        args += tc?.function?.arguments ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(name).toBe('lookup');
      expect(JSON.parse(args)).toEqual({ query: 'Please call the tool now' });
      expect(finish).toBe('tool_calls');
    });

    it('creates embeddings when the provider has them', async (ctx) => {
      if (!setup.embeddingDeployment) return ctx.skip();
      const r = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'] });
      expect(r.data).toHaveLength(2);
      expect(r.data[0]?.embedding.length).toBeGreaterThan(0);
      expect(r.data[0]?.embedding).not.toEqual(r.data[1]?.embedding);
      expect(r.usage.prompt_tokens).toBeGreaterThan(0);
    });

    it('surfaces a mid-stream failure as an error, never a clean end', async () => {
      setup.sim.faults.add({ ...setup.midStreamFault, count: 1 });
      const stream = await client.chat.completions.create({ model: 'conf', messages: ask('this stream will break after a while'), stream: true });
      let text = '';
      await expect(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })(),
      ).rejects.toThrow();
      expect(text.length).toBeGreaterThan(0);
    });

    describe('no passthrough', () => {
      const apiError = (e: unknown) => e as InstanceType<typeof OpenAI.APIError>;
      // Extension fields real clients send (Azure "On Your Data", vLLM): not in the SDK's types.
      const extra = { data_sources: [{ type: 'azure_search', parameters: { endpoint: 'https://search.example' } }], chat_template: '{{ messages }}' };
      const sentBody = (): Record<string, unknown> => JSON.parse(setup.sim.lastRequest?.body.toString('utf8') ?? '{}') as Record<string, unknown>;

      it('refuses an unknown field with a 400 naming it, and calls no upstream', async () => {
        const before = setup.sim.stats.total;
        const params = { model: 'conf', messages: ask('hello'), ...extra };
        const err = apiError(await client.chat.completions.create(params).catch((e: unknown) => e));
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect(err.status).toBe(400);
        expect(err.param).toBe('data_sources');
        expect(err.message).toContain('data_sources');
        const streamParams = { model: 'conf', messages: ask('hello'), stream: true as const, chat_template: '{{ x }}' };
        const streamed = apiError(await client.chat.completions.create(streamParams).catch((e: unknown) => e));
        expect(streamed.status).toBe(400);
        expect(streamed.param).toBe('chat_template');
        expect(setup.sim.stats.total).toBe(before);
      });

      it('sends an upstream body of mapped keys only', async () => {
        await client.chat.completions.create({
          model: 'conf',
          messages: ask('Please call the tool for mapped keys'),
          temperature: 0.5,
          top_p: 0.9,
          max_tokens: 50,
          stop: ['zzz'],
          user: 'u-1',
          seed: 7,
          tools: [TOOL],
          tool_choice: 'auto',
        });
        const keys = Object.keys(sentBody());
        expect(keys.length).toBeGreaterThan(1);
        for (const key of keys) expect(setup.wireKeys).toContain(key);
      });

      it('lets exactly the fields of the passthrough list through', async (ctx) => {
        const pass = setup.passthrough;
        if (pass === 'refused') return ctx.skip();
        const params = { model: 'conf-pass', messages: ask('hello'), [pass.field]: pass.value };
        const withUnlisted = { ...params, chat_template: 'x' };
        const refused = apiError(await client.chat.completions.create(withUnlisted).catch((e: unknown) => e));
        expect(refused.status).toBe(400);
        expect(refused.param).toBe('chat_template');
        const r = await client.chat.completions.create(params);
        expect(r.choices[0]?.message.content).toContain('You said: hello');
        expect(pass.carried(sentBody())).toEqual(pass.value);
        // The same field to a deployment that does not list it is refused.
        const elsewhere = apiError(await client.chat.completions.create({ ...params, model: 'conf' }).catch((e: unknown) => e));
        expect(elsewhere.status).toBe(400);
        expect(elsewhere.param).toBe(pass.field);
      });

      it('refuses passthrough at config load where the wire format cannot carry it', (ctx) => {
        if (setup.passthrough !== 'refused') return ctx.skip();
        const parsed = parseConfig({ deployments: [{ ...setup.deployment, id: 'x', passthrough: ['service_tier'] }] }, setup.env ?? {});
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(parsed.problems.map((p) => p.path)).toContain('deployments[0].passthrough');
      });

      it('refuses an unknown embeddings field with a 400 naming it', async (ctx) => {
        if (!setup.embeddingDeployment) return ctx.skip();
        const before = setup.sim.stats.total;
        const err = apiError(await client.embeddings.create({ model: 'embed', input: 'alpha', input_type: 'query' } as OpenAI.EmbeddingCreateParams).catch((e: unknown) => e));
        expect(err.status).toBe(400);
        expect(err.param).toBe('input_type');
        expect(setup.sim.stats.total).toBe(before);
      });
    });

    const kinds = ['rate_limited', 'unavailable', 'context_window_exceeded', 'invalid_request', 'content_filtered', 'authentication'] as const;
    for (const kind of kinds) {
      it(`maps the upstream's ${kind} error to the taxonomy`, async (ctx) => {
        const c = setup.errors[kind];
        if (!c) return ctx.skip();
        setup.sim.faults.add({ ...c.fault, count: 1 });
        const err = await client.chat.completions.create({ model: 'conf', messages: ask('trigger') }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(c.status);
        expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe(c.code);
      });
    }
  });
}
