import { describe, expect, it } from 'vitest';
import type { ChatRequest, Message } from '../../../core/types.js';
import { encodeChatRequest, encodeEmbeddingRequest, type ChatEncodeOptions } from './encode-request.js';
import { maxTokensFieldFor, reasoningEffortsFor } from './reasoning.js';

const OPTIONS: ChatEncodeOptions = { model: 'gpt-4o', provider: 'test', stream: false };
const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const ask = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'client-name', messages: [user('hi')], ...extra });
const encode = (request: ChatRequest, options: Partial<ChatEncodeOptions> = {}) => encodeChatRequest(request, { ...OPTIONS, ...options });
const bodyOf = (request: ChatRequest, options: Partial<ChatEncodeOptions> = {}) => encode(request, options).body;

describe('openai-chat request encoding', () => {
  it('sends a plain one-text-part message as a string, as the upstream saw it before', () => {
    expect(bodyOf(ask({ temperature: 0.3 }))).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3, stream: false });
  });

  it('maps every canonical setting to its OpenAI field, in the order the upstream saw before', () => {
    const body = bodyOf(
      ask({
        temperature: 0.5,
        topP: 0.9,
        maxOutputTokens: 50,
        stopSequences: ['zzz'],
        responseFormat: { type: 'json' },
        tools: [{ name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true, cacheControl: { type: 'ephemeral' } }],
        toolChoice: { type: 'tool', name: 'f' },
        parallelToolCalls: false,
        user: 'u-1',
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
      }),
    );
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['zzz'],
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      user: 'u-1',
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      stream: false,
    });
    expect(Object.keys(body)).toEqual(['model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stop', 'response_format', 'tools', 'tool_choice', 'parallel_tool_calls', 'user', 'seed', 'presence_penalty', 'frequency_penalty', 'stream']);
  });

  it.each([
    [{ type: 'auto' } as const, 'auto'],
    [{ type: 'none' } as const, 'none'],
    [{ type: 'required' } as const, 'required'],
  ])('sends tool choice %j as %j', (toolChoice, wire) => {
    expect(bodyOf(ask({ tools: [{ name: 'f' }], toolChoice })).tool_choice).toBe(wire);
  });

  it('sends a JSON schema answer format with a name, defaulting it to "response"', () => {
    const schema = { type: 'object' };
    expect(bodyOf(ask({ responseFormat: { type: 'json', schema } })).response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema } });
    expect(bodyOf(ask({ responseFormat: { type: 'json', schema, name: 'city', strict: true, description: 'A city.' } })).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'city', schema, strict: true, description: 'A city.' },
    });
    expect(bodyOf(ask({ responseFormat: { type: 'text' } })).response_format).toEqual({ type: 'text' });
  });

  it('asks for stream usage itself when streaming', () => {
    const body = bodyOf(ask(), { stream: true });
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  describe('output limit', () => {
    it('sends max_tokens by default', () => {
      expect(bodyOf(ask({ maxOutputTokens: 64 }))).toMatchObject({ max_tokens: 64 });
    });

    it('sends max_completion_tokens when the client named that field', () => {
      const body = bodyOf(ask({ maxOutputTokens: 64, providerOptions: { openai: { max_tokens_field: 'max_completion_tokens' } } }));
      expect(body.max_completion_tokens).toBe(64);
      expect(body).not.toHaveProperty('max_tokens');
    });

    it("sends max_completion_tokens to OpenAI's reasoning models, which refuse max_tokens (an Anthropic-door request names no field)", () => {
      for (const model of ['o3', 'o4-mini', 'gpt-5', 'openai/gpt-5-mini']) {
        const body = bodyOf(ask({ maxOutputTokens: 1024 }), { maxTokensField: maxTokensFieldFor(model) });
        expect(body, model).toMatchObject({ max_completion_tokens: 1024 });
        expect(body, model).not.toHaveProperty('max_tokens');
      }
      for (const model of ['gpt-4o', 'qwen3-32b', 'gpt-oss-20b', 'llama3.1']) expect(maxTokensFieldFor(model), model).toBeUndefined();
    });

    it('sends the field the provider requires whatever the client named (Azure)', () => {
      const body = bodyOf(ask({ maxOutputTokens: 64, providerOptions: { openai: { max_tokens_field: 'max_tokens' } } }), { maxTokensField: 'max_completion_tokens' });
      expect(body.max_completion_tokens).toBe(64);
      expect(body).not.toHaveProperty('max_tokens');
    });
  });

  describe('reasoning', () => {
    const gpt5 = { model: 'gpt-5-mini' };
    it('sends the requested effort as reasoning_effort to a reasoning model', () => {
      expect(bodyOf(ask({ reasoning: { enabled: true, effort: 'low' } }), { model: 'o3-mini' }).reasoning_effort).toBe('low');
    });

    it('turns a token budget alone into the effort it amounts to', () => {
      expect(bodyOf(ask({ reasoning: { enabled: true, budgetTokens: 1_024 } }), gpt5).reasoning_effort).toBe('minimal');
      expect(bodyOf(ask({ reasoning: { enabled: true, budgetTokens: 8_000 } }), gpt5).reasoning_effort).toBe('medium');
      expect(bodyOf(ask({ reasoning: { enabled: true, budgetTokens: 32_000 } }), gpt5).reasoning_effort).toBe('high');
    });

    it("sends 'low' for 'minimal' to models outside the GPT-5 family, which refuse 'minimal'", () => {
      expect(bodyOf(ask({ reasoning: { enabled: true, budgetTokens: 1_024 } }), { model: 'o4-mini' }).reasoning_effort).toBe('low');
      expect(bodyOf(ask({ reasoning: { enabled: true, effort: 'minimal' } }), { model: 'deepseek-ai/DeepSeek-R1' }).reasoning_effort).toBe('low');
    });

    it("sends gpt-5-pro, which takes only 'high', 'high' for any effort or budget, with a warning naming what was asked", () => {
      for (const model of ['gpt-5-pro', 'gpt-5-pro-2025-10-06']) {
        for (const reasoning of [{ enabled: true, effort: 'low' as const }, { enabled: true, effort: 'minimal' as const }, { enabled: true, budgetTokens: 8_000 }]) {
          const { body, warnings } = encode(ask({ reasoning }), { model });
          expect(body.reasoning_effort, `${model} ${JSON.stringify(reasoning)}`).toBe('high');
          expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'reasoning', message: expect.stringMatching(/only reasoning effort 'high'.*instead of '(low|minimal|medium)'/) })]);
        }
      }
      const high = encode(ask({ reasoning: { enabled: true, effort: 'high' } }), { model: 'gpt-5-pro' });
      expect([high.body.reasoning_effort, high.warnings]).toEqual(['high', undefined]);
      // No effort asked: the model's default (high), nothing sent and nothing to warn of.
      const unset = encode(ask({ reasoning: { enabled: true } }), { model: 'gpt-5-pro' });
      expect([unset.body.reasoning_effort, unset.warnings]).toEqual([undefined, undefined]);
    });

    it("sends gpt-5.1-chat and gpt-5.2-chat, which take only 'medium', 'medium' for any effort or budget, with a warning naming what was asked", () => {
      for (const model of ['gpt-5.1-chat-latest', 'gpt-5.2-chat-latest', 'gpt-5.2-chat-2025-12-11', 'azure/gpt-5.1-chat']) {
        for (const [reasoning, asked] of [
          [{ enabled: true, effort: 'high' as const }, 'high'],
          [{ enabled: true, effort: 'minimal' as const }, 'minimal'],
          [{ enabled: true, budgetTokens: 2_000 }, 'low'],
        ] as const) {
          const { body, warnings } = encode(ask({ reasoning }), { model });
          expect(body.reasoning_effort, `${model} ${asked}`).toBe('medium');
          expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'reasoning', message: `The upstream model takes only reasoning effort 'medium'; 'medium' was sent instead of '${asked}'.` }]);
        }
        const medium = encode(ask({ reasoning: { enabled: true, effort: 'medium' } }), { model });
        expect([medium.body.reasoning_effort, medium.warnings]).toEqual(['medium', undefined]);
      }
    });

    it("sends the versioned pro models (gpt-5.2-pro, gpt-5.4-pro), which take 'medium' to 'xhigh', 'medium' for a lower effort with a warning, and 'high' and 'xhigh' as asked", () => {
      for (const model of ['gpt-5.2-pro', 'gpt-5.2-pro-2025-12-11', 'gpt-5.4-pro']) {
        for (const [reasoning, asked] of [
          [{ enabled: true, effort: 'low' as const }, 'low'],
          [{ enabled: true, budgetTokens: 1_024 }, 'minimal'],
        ] as const) {
          const { body, warnings } = encode(ask({ reasoning }), { model });
          expect(body.reasoning_effort, `${model} ${asked}`).toBe('medium');
          expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'reasoning', message: `The upstream model takes only reasoning effort 'medium' or 'high' or 'xhigh'; 'medium' was sent instead of '${asked}'.` }]);
        }
        for (const effort of ['medium', 'high', 'xhigh'] as const) {
          const taken = encode(ask({ reasoning: { enabled: true, effort } }), { model });
          expect([taken.body.reasoning_effort, taken.warnings]).toEqual([effort, undefined]);
        }
      }
    });

    describe('whole requests to the newer chat and pro models, as a deployment of each builds them', () => {
      const deployed = (model: string): Partial<ChatEncodeOptions> => ({
        model,
        reasoningEfforts: reasoningEffortsFor(model, undefined),
        maxTokensField: maxTokensFieldFor(model),
      });
      const sampled = { temperature: 0.3, topP: 0.8, maxOutputTokens: 2_000 };

      it("gpt-5.3-chat-latest takes only 'medium' and always reasons: 'medium' for any effort, max_completion_tokens, no temperature or top_p", () => {
        const { body, warnings } = encode(ask({ ...sampled, reasoning: { enabled: true, effort: 'high' } }), deployed('gpt-5.3-chat-latest'));
        expect(body).toEqual({ model: 'gpt-5.3-chat-latest', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 2_000, reasoning_effort: 'medium', stream: false });
        expect(warnings?.map((w) => w.message)).toEqual([
          "The upstream model takes only reasoning effort 'medium'; 'medium' was sent instead of 'high'.",
          'OpenAI gpt-5.x chat and pro models take no temperature but the default (1); it was not sent.',
          'OpenAI gpt-5.x chat and pro models take no top_p but the default (1); it was not sent.',
        ]);
        // Without a reasoning request it reasons all the same, so sampling stays home then too.
        expect(bodyOf(ask(sampled), deployed('gpt-5.3-chat-latest'))).toEqual({ model: 'gpt-5.3-chat-latest', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 2_000, stream: false });
      });

      it("gpt-5.5-pro takes 'medium' to 'xhigh': 'low' raised to 'medium' with a warning, 'xhigh' as asked, 'max' lowered to 'xhigh', max_completion_tokens, no temperature", () => {
        const sent = (effort: 'low' | 'xhigh' | 'max') => encode(ask({ ...sampled, reasoning: { enabled: true, effort } }), deployed('gpt-5.5-pro'));
        const low = sent('low');
        expect(low.body).toEqual({ model: 'gpt-5.5-pro', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 2_000, reasoning_effort: 'medium', stream: false });
        expect(low.warnings?.[0]?.message).toBe("The upstream model takes only reasoning effort 'medium' or 'high' or 'xhigh'; 'medium' was sent instead of 'low'.");
        expect(low.warnings?.map((w) => w.setting)).toEqual(['reasoning', 'temperature', 'topP']);
        expect(sent('xhigh').body.reasoning_effort).toBe('xhigh');
        expect(sent('max').body.reasoning_effort).toBe('xhigh');
        expect(bodyOf(ask(sampled), deployed('gpt-5.5-pro'))).not.toHaveProperty('temperature');
      });
    });

    it("sends 'xhigh' and 'max' to the models that take them, and lowers them to a model's highest effort with a warning", () => {
      const sent = (model: string, effort: 'xhigh' | 'max') => {
        const { body, warnings } = encode(ask({ reasoning: { enabled: true, effort } }), { model });
        return [body.reasoning_effort, warnings?.[0]?.message];
      };
      expect(sent('gpt-5.6-terra', 'max')).toEqual(['max', undefined]);
      expect(sent('gpt-5.6-luna', 'xhigh')).toEqual(['xhigh', undefined]);
      expect(sent('gpt-5.2', 'xhigh')).toEqual(['xhigh', undefined]);
      expect(sent('gpt-5.1-codex-max', 'xhigh')).toEqual(['xhigh', undefined]);
      expect(sent('gpt-5.4', 'max')).toEqual(['xhigh', "The upstream model takes only reasoning effort 'low' or 'medium' or 'high' or 'xhigh'; 'xhigh' was sent instead of 'max'."]);
      expect(sent('o3', 'xhigh')).toEqual(['high', "The upstream model takes only reasoning effort 'low' or 'medium' or 'high'; 'high' was sent instead of 'xhigh'."]);
      expect(sent('gpt-5', 'max')).toEqual(['high', "The upstream model takes only reasoning effort 'minimal' or 'low' or 'medium' or 'high'; 'high' was sent instead of 'max'."]);
      expect(sent('gpt-5-pro', 'xhigh')).toEqual(['high', "The upstream model takes only reasoning effort 'high'; 'high' was sent instead of 'xhigh'."]);
      expect(sent('gpt-5.2-chat-latest', 'max')[0]).toBe('medium');
      // A budget never reads as more than 'high': a budget is a ceiling the client chose.
      expect(encode(ask({ reasoning: { enabled: true, budgetTokens: 100_000 } }), { model: 'gpt-5.6' }).body.reasoning_effort).toBe('high');
    });

    it('prefers the effort over the budget when both are given', () => {
      expect(bodyOf(ask({ reasoning: { enabled: true, effort: 'high', budgetTokens: 1_024 } }), gpt5).reasoning_effort).toBe('high');
    });

    it("sends nothing when reasoning is off, as reasoning_effort 'none' is not universal", () => {
      expect(bodyOf(ask({ reasoning: { enabled: false, effort: 'high' } }), gpt5)).not.toHaveProperty('reasoning_effort');
    });

    it('drops reasoning with a warning for a model that refuses reasoning_effort (gpt-4o, gpt-4.1)', () => {
      for (const model of ['gpt-4o', 'gpt-4.1-mini']) {
        const { body, warnings } = encode(ask({ reasoning: { enabled: true, effort: 'high' } }), { model });
        expect(body).not.toHaveProperty('reasoning_effort');
        expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'reasoning' })]);
      }
    });

    it("sends reasoning to any model whose deployment lists the 'reasoning' capability, and to none that lists others only", () => {
      const listed = reasoningEffortsFor('gpt-4o', ['tools', 'reasoning']);
      expect(bodyOf(ask({ reasoning: { enabled: true, budgetTokens: 1_024 } }), { reasoningEfforts: listed }).reasoning_effort).toBe('low');
      const unlisted = reasoningEffortsFor('o3', ['tools']);
      expect(encode(ask({ reasoning: { enabled: true, effort: 'high' } }), { reasoningEfforts: unlisted }).body).not.toHaveProperty('reasoning_effort');
    });
  });

  describe('which models take reasoning_effort when the deployment declares no capabilities', () => {
    it.each([
      ['o1', 'low-to-high'],
      ['o3-mini', 'low-to-high'],
      ['o4-mini-2025-04-16', 'low-to-high'],
      ['gpt-5', 'minimal-to-high'],
      ['gpt-5-mini-2025-08-07', 'minimal-to-high'],
      ['gpt-5-pro', 'high-only'],
      ['gpt-5-pro-2025-10-06', 'high-only'],
      ['gpt-5.1-codex', 'low-to-high'],
      ['gpt-5.1', 'low-to-high'],
      ['gpt-5.1-codex-mini', 'low-to-high'],
      ['gpt-5.1-codex-max', 'low-to-xhigh'],
      ['gpt-5.2', 'low-to-xhigh'],
      ['gpt-5.2-codex', 'low-to-xhigh'],
      ['gpt-5.4-mini-2026-03-17', 'low-to-xhigh'],
      ['gpt-5.6-sol', 'low-to-max'],
      ['gpt-5.6', 'low-to-max'],
      ['gpt-5.2-pro', 'medium-to-xhigh'],
      ['gpt-5.2-pro-2025-12-11', 'medium-to-xhigh'],
      ['gpt-5.4-pro', 'medium-to-xhigh'],
      ['gpt-5.5-pro', 'medium-to-xhigh'],
      ['gpt-5.5-pro-2026-04-23', 'medium-to-xhigh'],
      ['gpt-5.5', 'low-to-xhigh'],
      ['gpt-5.1-chat-latest', 'medium-only'],
      ['gpt-5.2-chat-latest', 'medium-only'],
      ['gpt-5.3-chat-latest', 'medium-only'],
      ['gpt-5.2-chat-2025-12-11', 'medium-only'],
      ['gpt-5-chat-latest', 'none'],
      ['openai/gpt-oss-120b', 'low-to-high'],
      ['deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', 'low-to-high'],
      ['Qwen/QwQ-32B', 'low-to-high'],
      ['qwen3:8b', 'low-to-high'],
      ['gpt-4o', 'none'],
      ['gpt-4.1', 'none'],
      ['omni-moderation-latest', 'none'],
      ['meta-llama/Llama-3.1-8B-Instruct', 'none'],
    ] as const)('%s: %s', (model, efforts) => {
      expect(reasoningEffortsFor(model, undefined)).toBe(efforts);
    });
  });

  it('drops topK, which OpenAI does not take, with a warning', () => {
    const { body, warnings } = encode(ask({ topK: 40 }));
    expect(body).not.toHaveProperty('top_k');
    expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'topK', message: expect.stringContaining('topK') }]);
    expect(encode(ask()).warnings).toBeUndefined();
  });

  it('sends no tools, tool_choice or parallel_tool_calls without a tool (OpenAI refuses each then)', () => {
    const body = bodyOf(ask({ tools: [], toolChoice: { type: 'auto' }, parallelToolCalls: false }));
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
    expect(bodyOf(ask({ toolChoice: { type: 'none' } }))).not.toHaveProperty('tool_choice');
  });

  it('copies exactly the passthrough fields the deployment lists', () => {
    const request = ask({ passthrough: { data_sources: [{ type: 'azure_search' }], store: true } });
    const body = bodyOf(request, { passthrough: ['data_sources', 'service_tier'] });
    expect(body.data_sources).toEqual([{ type: 'azure_search' }]);
    expect(body).not.toHaveProperty('store');
    expect(body).not.toHaveProperty('service_tier');
    expect(bodyOf(request)).not.toHaveProperty('data_sources');
  });

  it('asks a prefill server (vLLM) to continue a final assistant message, and only then', () => {
    const prefilled = ask({ messages: [user('hi'), { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] }] });
    expect(bodyOf(prefilled, { stream: true, prefill: true })).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect(bodyOf(prefilled, { stream: true })).not.toHaveProperty('continue_final_message');
    expect(bodyOf(ask(), { stream: true, prefill: true })).not.toHaveProperty('continue_final_message');
  });

  it('builds embeddings bodies from mapped fields plus listed passthrough fields', () => {
    const request = { model: 'e', input: ['a'], passthrough: { input_type: 'query', truncate: 'END' } };
    expect(encodeEmbeddingRequest(request, 'text-embedding-3-small', ['input_type'])).toEqual({ model: 'text-embedding-3-small', input: ['a'], encoding_format: 'float', input_type: 'query' });
  });

  it('sends token ids as OpenAI takes them: input as an array of token arrays, as given', () => {
    const tokens = [[1212, 318], [257]];
    expect(encodeEmbeddingRequest({ model: 'e', tokens, dimensions: 8 }, 'text-embedding-3-small')).toEqual({ model: 'text-embedding-3-small', input: tokens, encoding_format: 'float', dimensions: 8 });
  });
});

describe('openai-chat message encoding', () => {
  const messagesOf = (messages: Message[]): unknown => bodyOf(ask({ messages })).messages;

  it('sends system messages with role system and never a cache hint (OpenAI caches on its own)', () => {
    const messages = messagesOf([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.', cacheControl: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
    ]);
    expect(JSON.stringify(messages)).not.toMatch(/cache/i);
    expect(messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
    ]);
  });

  it('reassembles an inline image into the data URL it came from, keeping the detail', () => {
    const messages = messagesOf([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' }, detail: 'low' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it.each(['data:image/png;base64,iVBORw0KGgo=', 'data:image/jpeg;base64,/9j/4AAQSkZJRg==', 'data:image/webp;base64,UklGRg=='])(
    'gives the upstream the data URL %s exactly as the client sent it to the OpenAI door',
    (url) => {
      // What the openai-chat front door makes of a data URL: a base64 source.
      const [, mediaType = '', data = ''] = /^data:([^;,]+);base64,(.*)$/s.exec(url) ?? [];
      const messages = messagesOf([{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType, data } }] }]);
      expect(messages).toEqual([{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }]);
    },
  );

  it('sends an inline file as file_data with its name', () => {
    const messages = messagesOf([{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, filename: 'a.pdf' }] }]);
    expect(messages).toEqual([{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } }] }]);
  });

  it('refuses a file given by URL, naming the part, as OpenAI takes no file URLs', () => {
    const request = ask({ messages: [user('hi'), { role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'file', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] });
    expect(() => encode(request)).toThrowError(expect.objectContaining({ kind: 'invalid_request', status: 400, param: 'messages[1].content[1]', fallbackable: true }));
  });

  it("sends the participant's name of system, user and assistant messages, as OpenAI and Azure read it", () => {
    const messages = messagesOf([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }], name: 'ops' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }], name: 'alice' },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{}' }], name: 'bot' },
    ]);
    expect(messages).toEqual([
      { role: 'system', content: 'Be brief.', name: 'ops' },
      { role: 'user', content: 'hi', name: 'alice' },
      { role: 'assistant', content: null, name: 'bot', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
  });

  it('sends assistant turns as joined text plus tool calls, null content when they only call tools, and no reasoning', () => {
    const messages = messagesOf([
      user('hi'),
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Let me think.', signature: 'sig', provider: 'anthropic' },
          { type: 'redacted-reasoning', data: 'opaque' },
          { type: 'text', text: 'Hel' },
          { type: 'text', text: 'lo' },
        ],
      },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'Hm.', provider: 'openai' }, { type: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' }] },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '42' }] },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
    ]);
  });

  it('sends several text parts of a tool result as text parts', () => {
    const messages = messagesOf([{ role: 'tool', toolCallId: 't', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], isError: true }]);
    expect(messages).toEqual([{ role: 'tool', tool_call_id: 't', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }]);
  });

  it('sends a tool result without parts as empty text (OpenAI refuses an empty content array)', () => {
    expect(messagesOf([{ role: 'tool', toolCallId: 't', content: [] }])).toEqual([{ role: 'tool', tool_call_id: 't', content: '' }]);
  });

  it('refuses an image in a tool result rather than answering without it', () => {
    const request = ask({
      messages: [user('hi'), { role: 'tool', toolCallId: 't', content: [{ type: 'text', text: 'chart:' }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' } }] }],
    });
    expect(() => encode(request)).toThrowError(expect.objectContaining({ kind: 'invalid_request', param: 'messages[1].content[1]' }));
  });
});

describe('openai-chat request encoding: a request-level cache hint (automatic caching)', () => {
  it('is not sent, with a warning: OpenAI-compatible upstreams cache prefixes on their own and take no hints', () => {
    const { body, warnings } = encode(ask({ cacheControl: { type: 'ephemeral', ttl: '1h' } }));
    expect(body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'cacheControl' })]);
  });
});
