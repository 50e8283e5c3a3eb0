import { describe, expect, it } from 'vitest';
import { makeUsage, type ChatResponse } from '../../core/types.js';
import { encodeMessage, encodeUsage, type AnswerAsked } from './encode-response.js';
import { decodeMessagesRequest } from './decode-request.js';

const answer = (over: Partial<ChatResponse>): ChatResponse => ({
  id: 'up',
  model: 'claude',
  created: 0,
  content: [],
  finishReason: 'stop',
  usage: makeUsage({ prompt: 10, completion: 5, cachedRead: 4 }),
  ...over,
});

/** A request of `model` that enabled thinking, unless told otherwise. */
const asked = (model: string, thinking = true, stopSequences?: string[]): AnswerAsked => ({ model, thinking, stopSequences });

describe('encodeMessage', () => {
  it('writes the content blocks in the order of the parts: signed and redacted thinking, text, tool_use', () => {
    const m = encodeMessage(
      answer({
        finishReason: 'tool_calls',
        content: [
          { type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' },
          { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
          { type: 'text', text: 'Calling.' },
          { type: 'tool-call', id: 't1', name: 'f', arguments: '{"a":1}' },
        ],
      }),
      asked('claude-door'),
      '0000-1111',
    );
    expect(m).toEqual({
      id: 'msg_00001111',
      type: 'message',
      role: 'assistant',
      model: 'claude-door',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
      ],
      container: null,
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      usage: {
        input_tokens: 6,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 4,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: null,
        inference_geo: null,
        speed: null,
      },
      diagnostics: null,
    });
    // The keys the SDK's Message and Usage types require, in the order the API writes its own.
    expect(Object.keys(m)).toEqual(['id', 'type', 'role', 'model', 'content', 'container', 'stop_reason', 'stop_sequence', 'stop_details', 'usage', 'diagnostics']);
    expect(Object.keys(m.usage as object)).toEqual([
      'input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'cache_creation', 'output_tokens', 'output_tokens_details', 'server_tool_use', 'service_tier', 'inference_geo', 'speed',
    ]);
  });

  it('gives other upstreams\' reasoning an empty signature, skips empty text and keeps a Claude upstream\'s own stop sequence', () => {
    const m = encodeMessage(
      answer({
        content: [
          { type: 'reasoning', text: 'Hm.', signature: 'gsig', provider: 'google' },
          { type: 'reasoning', text: '', signature: 'gsig2', provider: 'google' },
          { type: 'redacted-reasoning', data: 'x', provider: 'bedrock' },
          { type: 'text', text: '' },
        ],
        providerMetadata: { anthropic: { stop_reason: 'stop_sequence', stop_sequence: '###' } },
      }),
      asked('c'),
      'r',
    );
    expect(m).toMatchObject({ content: [{ type: 'thinking', thinking: 'Hm.', signature: '' }], stop_reason: 'stop_sequence', stop_sequence: '###' });
  });

  it('round-trips thinking: the blocks it writes decode back to the very same parts', () => {
    const content: ChatResponse['content'] = [
      { type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'text', text: 'Done.' },
    ];
    const m = encodeMessage(answer({ content }), asked('c'), 'r');
    const { request } = decodeMessagesRequest({ model: 'c', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: m.content }, { role: 'user', content: 'again' }] });
    expect(request.messages[1]).toEqual({ role: 'assistant', content });
  });

  it('writes no thinking block for a client that did not enable thinking, from a reasoning upstream either', () => {
    const content: ChatResponse['content'] = [
      { type: 'reasoning', text: 'The user wrote...' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'text', text: 'Hello.' },
    ];
    expect(encodeMessage(answer({ content }), asked('c', false), 'r').content).toEqual([{ type: 'text', text: 'Hello.' }]);
  });

  it("words an OpenAI upstream's refusal as Claude declines: a text block and stop_reason refusal", () => {
    const message = encodeMessage(answer({ refusal: "I'm sorry, I can't help with that." }), asked('c'), 'r');
    expect(message).toMatchObject({ content: [{ type: 'text', text: "I'm sorry, I can't help with that." }], stop_reason: 'refusal', stop_sequence: null });
    // A Claude upstream's own decline (no words apart) keeps its stop_reason too.
    const claude = answer({ content: [{ type: 'text', text: 'No.' }], finishReason: 'content_filter', providerMetadata: { anthropic: { stop_reason: 'refusal' } } });
    expect(encodeMessage(claude, asked('c'), 'r')).toMatchObject({ content: [{ type: 'text', text: 'No.' }], stop_reason: 'refusal' });
  });

  it('says end_turn, not the upstream\'s tool_use, for an answer without a tool_use block (the gateway made its finish a stop)', () => {
    const res = answer({ content: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', providerMetadata: { anthropic: { stop_reason: 'tool_use', stop_sequence: null } } });
    expect(encodeMessage(res, asked('c'), 'r')).toMatchObject({ content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', stop_sequence: null });
  });

  it("says stop_sequence when Bedrock says one fired, naming the request's only one", () => {
    const res = answer({ content: [{ type: 'text', text: 'He said' }], providerMetadata: { bedrock: { stopReason: 'stop_sequence' } } });
    expect(encodeMessage(res, asked('c', false, ['said']), 'r')).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'said' });
    expect(encodeMessage(res, asked('c', false, ['said', 'told']), 'r')).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: null });
    const natural = answer({ content: [{ type: 'text', text: 'Hi.' }], providerMetadata: { bedrock: { stopReason: 'end_turn' } } });
    expect(encodeMessage(natural, asked('c', false, ['said']), 'r')).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
  });
});

describe('tool_use input a model wrote', () => {
  it('is the raw text when nested past what the answer can be written with (5,000 levels overflowed JSON.stringify: a 500)', () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const m = encodeMessage(answer({ finishReason: 'tool_calls', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: deep }] }), asked('claude', false), '0');
    expect(m.content).toEqual([{ type: 'tool_use', id: 't1', name: 'f', input: { _raw: deep } }]);
    expect(() => JSON.stringify(m)).not.toThrow();
  });

  it('is the object at 64 levels', () => {
    const nested = `${'{"a":'.repeat(63)}1${'}'.repeat(63)}`;
    const m = encodeMessage(answer({ finishReason: 'tool_calls', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: nested }] }), asked('claude', false), '0');
    expect(m.content).toEqual([{ type: 'tool_use', id: 't1', name: 'f', input: JSON.parse(nested) }]);
  });
});

describe('encodeUsage', () => {
  it("passes an upstream's cache writes by TTL on as cache_creation, counting writes of unknown TTL at the default five minutes", () => {
    const claude = makeUsage({ prompt: 100_010, completion: 10, cachedWrite: 100_000, cachedWrite1h: 60_000 });
    expect(encodeUsage(claude)).toMatchObject({
      input_tokens: 10,
      cache_creation_input_tokens: 100_000,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 40_000, ephemeral_1h_input_tokens: 60_000 },
      output_tokens: 10,
    });
    expect(encodeUsage(makeUsage({ prompt: 100, completion: 1, cachedWrite: 50 })).cache_creation).toEqual({ ephemeral_5m_input_tokens: 50, ephemeral_1h_input_tokens: 0 });
  });

  it('counts thinking tokens in output_tokens_details when the answer reasoned', () => {
    expect(encodeUsage(makeUsage({ prompt: 10, completion: 8, reasoning: 5 })).output_tokens_details).toEqual({ thinking_tokens: 5 });
    expect(encodeUsage(makeUsage({ prompt: 10, completion: 8 })).output_tokens_details).toBeNull();
  });
});
