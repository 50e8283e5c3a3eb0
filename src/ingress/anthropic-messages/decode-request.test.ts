import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeMessagesRequest } from './decode-request.js';

const base = { model: 'm', max_tokens: 8 };

describe('decodeMessagesRequest', () => {
  it('maps system, images, tool use and results, tools and choices to the canonical request', () => {
    const { request, stream } = decodeMessagesRequest({
      ...base,
      stream: true,
      system: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      stop_sequences: ['###'],
      metadata: { user_id: 'u1' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [{ name: 'f', description: 'F.', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }, { type: 'text', text: 'what?' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] }, { type: 'text', text: 'go on' }] },
      ],
    });
    expect(stream).toBe(true);
    expect(request).toEqual({
      model: 'm',
      max_tokens: 8,
      stop: ['###'],
      user: 'u1',
      tools: [{ type: 'function', function: { name: 'f', description: 'F.', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } }, { type: 'text', text: 'what?' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'ok' }] },
        { role: 'user', content: [{ type: 'text', text: 'go on' }] },
      ],
    });
  });

  it('names the Anthropic parameter of what it refuses, and needs max_tokens except for counting', () => {
    const problem = (body: unknown, counting = false): string => {
      try {
        decodeMessagesRequest(body, counting);
        return 'accepted';
      } catch (err) {
        return GatewayError.isInstance(err) && err.status === 400 ? err.message : 'not a 400';
      }
    };
    expect(problem({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).toBe('max_tokens: must be an integer of at least 1');
    expect(problem({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, true)).toBe('accepted');
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] })).toBe('messages.0.content.0.text: must be a string');
    expect(problem({ ...base, temperature: 1.5, messages: [{ role: 'user', content: 'hi' }] })).toBe('temperature: must be a number between 0 and 1');
    expect(problem({ ...base, tool_choice: { type: 'tool', name: 'x' }, messages: [{ role: 'user', content: 'hi' }] })).toBe("tool_choice.name: names 'x', which is not in 'tools'");
    expect(problem({ ...base, messages: [{ role: 'user', content: 'hi' }], system: [{ type: 'text', text: 'a', cache_control: { type: 'forever' } }] })).toBe("system.0.cache_control.type: must be 'ephemeral'");
  });
});
