import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { ChatRequest } from '../../../core/types.js';
import { encodeMessagesRequest, messagesPassthroughProblem } from './index.js';

const base = { stream: false, defaultMaxTokens: 1024 };
const req = (r: Partial<ChatRequest>): ChatRequest => ({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...r });

describe('encodeMessagesRequest', () => {
  it('sets model, the default max_tokens and no anthropic_version for the direct API', () => {
    const body = encodeMessagesRequest(req({}), { ...base, model: 'claude-sonnet-4-5' });
    expect(body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('omits model and puts anthropic_version in the body for Vertex', () => {
    const body = encodeMessagesRequest(req({ max_completion_tokens: 50, max_tokens: 10 }), { ...base, stream: true, anthropicVersion: 'vertex-2023-10-16' });
    expect(body.model).toBeUndefined();
    expect(body.anthropic_version).toBe('vertex-2023-10-16');
    expect(body.max_tokens).toBe(50);
    expect(body.stream).toBe(true);
  });

  it('merges system and developer messages into system, as a string when there is one', () => {
    expect(encodeMessagesRequest(req({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hi' }] }), base).system).toBe('Be terse.');
    const body = encodeMessagesRequest(
      req({ messages: [{ role: 'system', content: 'One.' }, { role: 'user', content: 'hi' }, { role: 'developer', content: [{ type: 'text', text: 'Two.' }] }] }),
      base,
    );
    expect(body.system).toEqual([{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }]);
    expect(body.messages).toHaveLength(1);
  });

  it('passes cache_control marks on text parts through', () => {
    const part = { type: 'text' as const, text: 'Long context', cache_control: { type: 'ephemeral' as const } };
    const body = encodeMessagesRequest(req({ messages: [{ role: 'system', content: [part] }, { role: 'user', content: 'hi' }] }), base);
    expect(body.system).toEqual([{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }]);
  });

  it('merges consecutive same-role turns so roles alternate', () => {
    const body = encodeMessagesRequest(
      req({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }, { role: 'user', content: 'e' }] }),
      base,
    );
    expect(body.messages.map((m) => [m.role, m.content.length])).toEqual([['user', 2], ['assistant', 2], ['user', 1]]);
  });

  it('maps tool calls to tool_use and tool messages to one user turn of tool_result blocks, results first', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'toolu_2', type: 'function', function: { name: 'time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
          { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: 'noon' }] },
          { role: 'user', content: 'thanks' },
        ],
      }),
      base,
    );
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_2', name: 'time', input: {} },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'noon' }] },
        { type: 'text', text: 'thanks' },
      ],
    });
  });

  it('rejects tool-call arguments that are not a JSON object', () => {
    const bad = req({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] });
    const err = (() => {
      try {
        encodeMessagesRequest(bad, base);
      } catch (e) {
        return e;
      }
    })();
    expect(GatewayError.isInstance(err) && err.kind === 'invalid_request' && err.param === 'messages[1].tool_calls[0].function.arguments').toBe(true);
  });

  it('maps data URLs to base64 image sources and http URLs to url sources', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
      base,
    );
    expect(body.messages[0]?.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    expect(() => encodeMessagesRequest(req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }), base)).toThrow(
      /data URL or an http/,
    );
  });

  it('maps tools and every tool_choice form', () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: {} } } }];
    const choice = (tool_choice: ChatRequest['tool_choice'], parallel_tool_calls?: boolean) =>
      encodeMessagesRequest(req({ tools, tool_choice, parallel_tool_calls }), base).tool_choice;
    expect(encodeMessagesRequest(req({ tools }), base).tools).toEqual([{ name: 'lookup', description: 'Looks up.', input_schema: { type: 'object', properties: {} } }]);
    expect(choice(undefined)).toBeUndefined();
    expect(choice('auto', false)).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choice('required')).toEqual({ type: 'any' });
    expect(choice('none')).toEqual({ type: 'none' });
    expect(choice({ type: 'function', function: { name: 'lookup' } })).toEqual({ type: 'tool', name: 'lookup' });
    expect(encodeMessagesRequest(req({ tool_choice: 'required' }), base).tool_choice).toBeUndefined();
  });

  it('maps sampling parameters and stop sequences, clamping temperature to 0..1', () => {
    const body = encodeMessagesRequest(req({ temperature: 1.5, top_p: 0.9, stop: 'END', user: 'u-1' }), base);
    expect(body).toMatchObject({ temperature: 1, top_p: 0.9, stop_sequences: ['END'], metadata: { user_id: 'u-1' } });
    expect(encodeMessagesRequest(req({ stop: ['a', 'b'] }), base).stop_sequences).toEqual(['a', 'b']);
  });

  it('omits sampling parameters when asked (API versions that reject them)', () => {
    const body = encodeMessagesRequest(req({ temperature: 0.2, top_p: 0.5 }), { ...base, omitSamplingParams: true });
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
  });

  it('asks for JSON with a system instruction for response_format', () => {
    const body = encodeMessagesRequest(
      req({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }),
      base,
    );
    expect(body.system).toMatch(/valid JSON object[\s\S]*\{"type":"object"\}/);
  });

  it('warns about options without an equivalent and rejects n > 1', () => {
    const warnings: string[] = [];
    encodeMessagesRequest(req({ seed: 1, presence_penalty: 0.5 }), { ...base, onWarning: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(2);
    expect(() => encodeMessagesRequest(req({ n: 2 }), base)).toThrow(/'n'/);
  });

  it('rejects a conversation with only a system prompt', () => {
    expect(() => encodeMessagesRequest(req({ messages: [{ role: 'system', content: 'x' }] }), base)).toThrow(/At least one/);
  });

  it('adds listed passthrough fields at the top level of the body, and nothing unlisted', () => {
    const request = { ...req({}), top_k: 5, mcp_servers: [{ url: 'https://x' }] } as ChatRequest;
    const body = encodeMessagesRequest(request, { ...base, model: 'c', passthrough: ['top_k'] }) as unknown as Record<string, unknown>;
    expect(body.top_k).toBe(5);
    expect(body).not.toHaveProperty('mcp_servers');
  });

  it('names a passthrough field the encoder writes itself', () => {
    expect(messagesPassthroughProblem(['top_k', 'system'])).toContain('"system"');
    expect(messagesPassthroughProblem(['top_k', 'service_tier'])).toBeUndefined();
  });
});
