import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../core/types.js';
import { ZERO_USAGE } from '../../core/types.js';
import { ChunkEncoder, encodeChatResponse } from './encode-response.js';

function answer(content: ChatResponse['content'], more: Partial<ChatResponse> = {}): ChatResponse {
  return { id: 'chatcmpl-1', model: 'upstream-model', created: 7, content, finishReason: 'stop', usage: ZERO_USAGE, ...more };
}

const messageOf = (res: ChatResponse): unknown => (encodeChatResponse(res, 'chatcmpl-1', 'chat').choices as Array<{ message: unknown }>)[0]?.message;

describe('encodeChatResponse', () => {
  it("writes OpenAI's chat.completion, keys in OpenAI's order and every key it always sends, with the model the client asked for", () => {
    const body = encodeChatResponse(answer([{ type: 'text', text: 'Hello' }], { id: 'msg_upstream' }), 'chatcmpl-gw1', 'chat', { switchyard: { cost_usd: 0.5 } });
    expect(JSON.stringify(body)).toBe(
      '{"id":"chatcmpl-gw1","object":"chat.completion","created":7,"model":"chat","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],' +
        '"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},' +
        '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0},"switchyard":{"cost_usd":0.5}},' +
        '"service_tier":null,"system_fingerprint":null}',
    );
  });

  it('joins text parts into content and writes tool calls, refusal and reasoning after it, in that order', () => {
    const res = answer(
      [
        { type: 'reasoning', text: 'Think', signature: 'sig', provider: 'anthropic' },
        { type: 'redacted-reasoning', data: 'opaque' },
        { type: 'reasoning', text: 'ing.' },
        { type: 'text', text: 'Let me ' },
        { type: 'text', text: 'look.' },
        { type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'tool-call', id: 'c2', name: 'fetch', arguments: '{}' },
      ],
      { finishReason: 'tool_calls' },
    );
    expect(JSON.stringify(messageOf(res))).toBe(
      '{"role":"assistant","content":"Let me look.","tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"x\\"}"}},' +
        '{"id":"c2","type":"function","function":{"name":"fetch","arguments":"{}"}}],"refusal":null,"annotations":[],"reasoning_content":"Thinking."}',
    );
  });

  it('gives null content to an answer of only tool calls or a refusal, and empty content to an empty answer', () => {
    expect(messageOf(answer([{ type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }]))).toMatchObject({ content: null });
    expect(messageOf(answer([], { refusal: 'I cannot help with that.' }))).toEqual({ role: 'assistant', content: null, refusal: 'I cannot help with that.', annotations: [] });
    expect(messageOf(answer([]))).toEqual({ role: 'assistant', content: '', refusal: null, annotations: [] });
    expect(messageOf(answer([{ type: 'text', text: '' }, { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }]))).toMatchObject({ content: '' });
  });

  it('writes provider metadata as switchyard_extensions only for a client that opted in', () => {
    const withMetadata = answer([{ type: 'text', text: 'x' }], { providerMetadata: { azure: { content_filter_results: {} } } });
    expect(encodeChatResponse(withMetadata, 'chatcmpl-1', 'chat', undefined, true).switchyard_extensions).toEqual({ azure: { content_filter_results: {} } });
    expect(encodeChatResponse(withMetadata, 'chatcmpl-1', 'chat')).not.toHaveProperty('switchyard_extensions');
    expect(encodeChatResponse(answer([]), 'chatcmpl-1', 'chat', undefined, true)).not.toHaveProperty('switchyard_extensions');
  });
});

type Chunk = { choices: Array<{ delta: unknown; finish_reason?: string | null }> };
/** The chunks one encoded part makes: the first part's string also holds the role chunk, as a frame before it. */
const framesOf = (encoded: string | undefined): Chunk[] => (encoded ?? '').split('\n\ndata: ').map((f) => JSON.parse(f) as Chunk);

describe('ChunkEncoder', () => {
  it("opens with OpenAI's role chunk, then writes the same JSON a plain serialisation would", () => {
    const e = new ChunkEncoder('id"1', 'model\\x', 7);
    const base = { id: 'id"1', object: 'chat.completion.chunk', created: 7, model: 'model\\x', service_tier: null, system_fingerprint: null };
    expect(framesOf(e.encode({ type: 'text', delta: 'a"b\n' }))).toEqual([
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'a"b\n' }, logprobs: null, finish_reason: null }] },
    ]);
    const toolChunk = e.encode({ type: 'tool-call', index: 1, id: 't', name: 'f', argumentsDelta: '{' }) ?? '';
    expect(toolChunk).toContain('"function":{"name":"f","arguments":"{"}');
    expect(JSON.parse(toolChunk).choices[0].delta).toEqual({ tool_calls: [{ index: 1, id: 't', type: 'function', function: { name: 'f', arguments: '{' } }] });
    expect(JSON.parse(e.encode({ type: 'finish', finishReason: 'length' })!).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'length' });
    const usage = JSON.parse(e.usage({ prompt: 1, completion: 2, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 3 }, { switchyard: { cost_usd: 1 } }));
    expect(usage).toMatchObject({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, switchyard: { cost_usd: 1 } } });
    const empty = new ChunkEncoder('i', 'm', 1);
    expect(framesOf(empty.encode({ type: 'finish', finishReason: 'stop' })).map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '', refusal: null }, {}]);
  });

  it("writes the keys OpenAI always sends in its order: service_tier and system_fingerprint before choices, every usage detail", () => {
    const e = new ChunkEncoder('i', 'm', 1, true);
    const [role, text] = (e.encode({ type: 'text', delta: 'a' }) ?? '').split('\n\ndata: ');
    expect(role).toBe('{"id":"i","object":"chat.completion.chunk","created":1,"model":"m","service_tier":null,"system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}');
    expect(Object.keys(JSON.parse(text ?? '') as object)).toEqual(['id', 'object', 'created', 'model', 'service_tier', 'system_fingerprint', 'choices', 'usage']);
    expect(e.usage({ prompt: 5, completion: 3, cachedRead: 2, cachedWrite: 0, reasoning: 1, total: 8 })).toBe(
      '{"id":"i","object":"chat.completion.chunk","created":1,"model":"m","service_tier":null,"system_fingerprint":null,"choices":[],' +
        '"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"prompt_tokens_details":{"cached_tokens":2,"audio_tokens":0},' +
        '"completion_tokens_details":{"reasoning_tokens":1,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}',
    );
  });

  it('says the role in the first tool-call chunk, with null content and a null refusal after the call, as OpenAI does', () => {
    const e = new ChunkEncoder('i', 'm', 1);
    const encoded = e.encode({ type: 'tool-call', index: 0, id: 'call_1', name: 'f', argumentsDelta: '' }) ?? '';
    // OpenAI's own bytes: {"role":"assistant","content":null,"tool_calls":[...],"refusal":null}
    expect(encoded).toContain('"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}],"refusal":null}');
    expect(framesOf(encoded)).toHaveLength(1);
  });

  it("writes a text chunk after the first byte for byte as OpenAI's key order serialises, with and without usage", () => {
    for (const includeUsage of [false, true]) {
      const e = new ChunkEncoder('chatcmpl-1', 'gpt-x', 9, includeUsage);
      e.encode({ type: 'text', delta: 'Hi' });
      const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 9, model: 'gpt-x', service_tier: null, system_fingerprint: null, choices: [{ index: 0, delta: { content: ' "there"\n' }, logprobs: null, finish_reason: null }] };
      expect(e.encode({ type: 'text', delta: ' "there"\n' })).toBe(JSON.stringify(includeUsage ? { ...chunk, usage: null } : chunk));
    }
  });

  it('adds "usage":null to every chunk with choices when the client asked for usage, and none otherwise', () => {
    const withUsage = new ChunkEncoder('i', 'm', 1, true);
    for (const part of [{ type: 'text', delta: 'a' }, { type: 'reasoning', delta: 'r' }, { type: 'finish', finishReason: 'stop' }] as const) {
      for (const chunk of framesOf(withUsage.encode(part)) as unknown as Array<Record<string, unknown>>) {
        expect(chunk.usage).toBeNull();
        expect(Object.keys(chunk).at(-1)).toBe('usage');
      }
    }
    for (const chunk of framesOf(new ChunkEncoder('i', 'm', 1).encode({ type: 'text', delta: 'a' }))) expect(chunk).not.toHaveProperty('usage');
  });

  it('writes reasoning as delta.reasoning_content and skips a bare signature', () => {
    const e = new ChunkEncoder('i', 'm', 1);
    expect(framesOf(e.encode({ type: 'reasoning', delta: 'think' })).map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '', refusal: null }, { reasoning_content: 'think' }]);
    expect(e.encode({ type: 'reasoning', delta: '', signature: 'sig' })).toBeUndefined();
  });

  it('writes no chunk for redacted reasoning, provider metadata or the start', () => {
    const e = new ChunkEncoder('i', 'm', 1);
    expect(e.encode({ type: 'redacted-reasoning', data: 'opaque' })).toBeUndefined();
    expect(e.encode({ type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'end_turn' } })).toBeUndefined();
    expect(e.encode({ type: 'start', id: 'x', model: 'y' })).toBeUndefined();
  });

  it('streams a refusal as OpenAI does: a role chunk with null content and the refusal begun, then each piece in delta.refusal, then an empty finish', () => {
    const e = new ChunkEncoder('i', 'm', 1);
    const deltas = [
      ...framesOf(e.encode({ type: 'refusal', delta: "I'm sorry," })),
      ...framesOf(e.encode({ type: 'refusal', delta: " I can't help with that." })),
      ...framesOf(e.encode({ type: 'finish', finishReason: 'stop' })),
    ].map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason]);
    expect(deltas).toEqual([
      [{ role: 'assistant', content: null, refusal: '' }, null],
      [{ refusal: "I'm sorry," }, null],
      [{ refusal: " I can't help with that." }, null],
      [{}, 'stop'],
    ]);
    const after = new ChunkEncoder('i', 'm', 1);
    after.encode({ type: 'text', delta: 'Well' });
    expect(framesOf(after.encode({ type: 'refusal', delta: 'No.' })).map((c) => c.choices[0]?.delta)).toEqual([{ refusal: 'No.' }]);
  });
});
