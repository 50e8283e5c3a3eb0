import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeMessagesRequest } from './decode-request.js';

const base = { model: 'm', max_tokens: 8 };
const hi = [{ role: 'user', content: 'hi' }];

/** The message of the 400 a body gets, or 'accepted'. */
function problem(body: unknown, counting = false, version?: string): string {
  try {
    decodeMessagesRequest(body, counting, version);
    return 'accepted';
  } catch (err) {
    return GatewayError.isInstance(err) && err.status === 400 ? err.message : 'not a 400';
  }
}

describe('decodeMessagesRequest', () => {
  it('refuses temperature, top_p and top_k under anthropic-version 2026-10-21 and later, whatever their value, and takes them before it or without a version', () => {
    for (const [key, value] of [['temperature', 0.5], ['top_p', 0.9], ['top_k', 5], ['temperature', null]] as const) {
      const body = { ...base, messages: hi, [key]: value };
      expect(problem(body, false, '2026-10-21')).toBe(`${key}: is not supported with anthropic-version 2026-10-21`);
      expect(problem(body, false, '2027-03-01')).toBe(`${key}: is not supported with anthropic-version 2027-03-01`);
      for (const version of ['2023-06-01', '2023-01-01', undefined]) expect(problem(body, false, version)).toBe('accepted');
    }
    // count_tokens refuses every sampling setting as an extra input, whatever the version.
    expect(problem({ model: 'm', messages: hi, top_k: 5 }, true, '2026-10-21')).toBe('top_k: Extra inputs are not permitted');
  });

  it('refuses a block whose type is an object String() cannot convert with a 400, in every place a block goes', () => {
    const odd = JSON.parse('{"toString": 1}') as unknown;
    const bodies = [
      { ...base, messages: [{ role: 'user', content: [{ type: odd, text: 'x' }] }] },
      { ...base, messages: [...hi, { role: 'assistant', content: [{ type: odd, text: 'x' }] }] },
      { ...base, messages: [...hi, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: odd }] }] }], tools: [{ name: 'f', input_schema: { type: 'object' } }] },
    ];
    for (const body of bodies) expect(problem(body)).toMatch(/type/);
    // count_tokens takes no max_tokens.
    for (const { max_tokens: _, ...body } of bodies) expect(problem(body, true)).toMatch(/type/);
  });

  it('maps system, images, tool use and results, tools and choices to the canonical request', () => {
    const { request, stream } = decodeMessagesRequest({
      ...base,
      stream: true,
      system: [{ type: 'text', text: 'Rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      stop_sequences: ['###'],
      metadata: { user_id: 'u1' },
      top_k: 5,
      tools: [{ name: 'f', description: 'F.', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }, { type: 'text', text: 'what?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] }, { type: 'text', text: 'go on' }] },
      ],
    });
    expect(stream).toBe(true);
    expect(request).toEqual({
      model: 'm',
      maxOutputTokens: 8,
      stopSequences: ['###'],
      topK: 5,
      user: 'u1',
      tools: [{ name: 'f', description: 'F.', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Rules.', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAA' } }, { type: 'text', text: 'what?' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: '{"a":1}' }] },
        { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'ok' }] },
        { role: 'user', content: [{ type: 'text', text: 'go on' }] },
      ],
    });
  });

  it('maps thinking to reasoning, and signed and redacted thinking in the history to Anthropic reasoning parts in order', () => {
    const { request } = decodeMessagesRequest({
      ...base,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Look it up.', signature: 'sig-1' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 't1', name: 'f', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'rain', is_error: true }] },
      ],
    });
    expect(request.reasoning).toEqual({ enabled: true, budgetTokens: 2048 });
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Look it up.', signature: 'sig-1', provider: 'anthropic' },
          { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 't1', name: 'f', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'rain' }], isError: true },
    ]);
    expect(decodeMessagesRequest({ ...base, thinking: { type: 'disabled' }, messages: hi }).request.reasoning).toEqual({ enabled: false });
  });

  it('maps documents to file parts and keeps every cache_control as a cache hint on its part', () => {
    const cc = { type: 'ephemeral' };
    const { request } = decodeMessagesRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' }, title: 'report.pdf', cache_control: cc },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: cc },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'a' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }], cache_control: cc }] },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, filename: 'report.pdf', cacheControl: cc },
          { type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: Buffer.from('plain words').toString('base64') } },
          { type: 'file', source: { type: 'url', url: 'https://example.com/a.pdf', mediaType: 'application/pdf' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cacheControl: cc },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: '{}' }] },
      { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'a' }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA' } , cacheControl: cc }] },
    ]);
  });

  it("checks every cache_control against the SDK's CacheControlEphemeral: type 'ephemeral', ttl '5m' or '1h', no other member", () => {
    const scoped = { type: 'ephemeral', scope: 'global' };
    expect(problem({ ...base, messages: hi, cache_control: scoped })).toBe('cache_control.scope: Extra inputs are not permitted');
    expect(problem({ ...base, messages: hi, system: [{ type: 'text', text: 'a', cache_control: scoped }] })).toBe('system.0.cache_control.scope: Extra inputs are not permitted');
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: scoped }] }] })).toBe('messages.0.content.0.cache_control.scope: Extra inputs are not permitted');
    expect(problem({ ...base, messages: hi, tools: [{ name: 'f', input_schema: {}, cache_control: scoped }] })).toBe('tools.0.cache_control.scope: Extra inputs are not permitted');
    expect(problem({ ...base, messages: hi, cache_control: { type: 'ephemeral', ttl: '24h' } })).toBe("cache_control.ttl: must be '5m' or '1h'");
    expect(problem({ ...base, messages: hi, cache_control: { type: 'ephemeral', ttl: null } })).toBe("cache_control.ttl: must be '5m' or '1h'");
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: 300 } }] }] })).toBe("messages.0.content.0.cache_control.ttl: must be '5m' or '1h'");
  });

  it("keeps a tool_use block's cache_control as its tool call's cache hint, checked as every cache_control is", () => {
    const use = (cache_control: unknown) => ({ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { q: 1 }, cache_control }] });
    const result = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] };
    const { request } = decodeMessagesRequest({ ...base, messages: [...hi, use({ type: 'ephemeral', ttl: '1h' }), result] });
    expect(request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: '{"q":1}', cacheControl: { type: 'ephemeral', ttl: '1h' } }] });
    expect(problem({ ...base, messages: [...hi, use({ type: 'ephemeral', scope: 'x' }), result] })).toBe('messages.1.content.0.cache_control.scope: Extra inputs are not permitted');
    expect(problem({ ...base, messages: [...hi, use({ type: 'forever' }), result] })).toBe("messages.1.content.0.cache_control.type: must be 'ephemeral'");
  });

  it('maps every tool_choice, and drops an empty final assistant prefill', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const choice = (tool_choice: unknown): unknown => {
      const { request } = decodeMessagesRequest({ ...base, tools, tool_choice, messages: hi });
      return [request.toolChoice, request.parallelToolCalls];
    };
    expect(choice({ type: 'auto' })).toEqual([{ type: 'auto' }, undefined]);
    expect(choice({ type: 'none' })).toEqual([{ type: 'none' }, undefined]);
    expect(choice({ type: 'auto', disable_parallel_tool_use: false })).toEqual([{ type: 'auto' }, undefined]);
    expect(problem({ ...base, tools, tool_choice: { type: 'none', disable_parallel_tool_use: true }, messages: hi })).toBe('tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted');
    expect(choice({ type: 'tool', name: 'f' })).toEqual([{ type: 'tool', name: 'f' }, undefined]);
    const prefill = decodeMessagesRequest({ ...base, messages: [...hi, { role: 'assistant', content: '' }] });
    expect(prefill.request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it("keeps a tool's strict flag, and checks and drops the tool members that have no canonical home", () => {
    const tool = { name: 'f', input_schema: { type: 'object' }, strict: true, defer_loading: true, eager_input_streaming: true, input_examples: [{}], allowed_callers: ['direct'] };
    expect(decodeMessagesRequest({ ...base, tools: [tool], messages: hi }).request.tools).toEqual([{ name: 'f', parameters: { type: 'object' }, strict: true }]);
    expect(problem({ ...base, tools: [{ ...tool, strict: 'yes' }], messages: hi })).toBe('tools.0.custom.strict: Input should be a valid boolean');
    expect(problem({ ...base, tools: [{ ...tool, input_examples: {} }], messages: hi })).toBe('tools.0.custom.input_examples: Input should be a valid list');
    expect(problem({ ...base, tools: [JSON.parse('{"name":"f","input_schema":{},"__proto__":{}}')], messages: hi })).toBe('tools.0.custom.__proto__: Extra inputs are not permitted');
  });

  it('refuses an unknown top-level key whatever its value, null included, as the API does', () => {
    expect(problem({ ...base, messages: hi, temprature: 0.5 })).toBe('temprature: Extra inputs are not permitted');
    expect(problem({ ...base, messages: hi, temprature: null })).toBe('temprature: Extra inputs are not permitted');
    // count_tokens' extra inputs likewise: a null max_tokens is still a member it does not have.
    expect(problem({ model: 'm', messages: hi, max_tokens: null }, true)).toBe('max_tokens: Extra inputs are not permitted');
    // A known optional member set to null stands for absent.
    expect(problem({ ...base, messages: hi, temperature: null, tools: null, metadata: null })).toBe('accepted');
  });

  it("takes role: 'system' messages (the SDK's SystemMessageParam) before the first turn, after the system prompt, and refuses one later, naming it", () => {
    const { request } = decodeMessagesRequest({
      ...base,
      system: 'Top.',
      messages: [{ role: 'system', content: 'Lead.' }, { role: 'system', content: [{ type: 'text', text: 'Blocks.', cache_control: { type: 'ephemeral' } }] }, ...hi],
    });
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Top.' }] },
      { role: 'system', content: [{ type: 'text', text: 'Lead.' }] },
      { role: 'system', content: [{ type: 'text', text: 'Blocks.', cacheControl: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ]);
    expect(problem({ ...base, messages: [...hi, { role: 'assistant', content: 'ok' }, { role: 'system', content: 'Later.' }, ...hi] })).toMatch(/^messages\.2\.role: 'system' is taken only before the first user or assistant message/);
    expect(problem({ ...base, messages: [{ role: 'system', content: [{ type: 'image', source: {} }] }, ...hi] })).toBe("messages.0.content.0.type: must be 'text'");
    expect(problem({ ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 'a', foo: 1 }] }, ...hi] })).toBe('messages.0.content.0.foo: Extra inputs are not permitted');
    expect(problem({ ...base, messages: [{ role: 'system', content: '' }, ...hi] })).toBe('messages.0.content: all messages must have non-empty content except for the optional final assistant message');
    expect(problem({ ...base, messages: [{ role: 'system', content: 'Only.' }] })).toBe('messages: must hold at least one user or assistant message');
    expect(problem({ ...base, messages: [{ role: 'tool', content: 'x' }] })).toBe("messages.0.role: must be 'user', 'assistant' or 'system'");
  });

  it('pairs every tool_result with a tool_use of the message before it, as the Messages API does', () => {
    const use = { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] };
    const result = (id: string) => ({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] });
    expect(problem({ ...base, messages: [...hi, use, result('t1')] })).toBe('accepted');
    expect(problem({ ...base, messages: [...hi, use, result('t9')] })).toBe(
      'messages.2.content.0.tool_use_id: must name a tool_use block of the previous (assistant) message: each tool_result answers one',
    );
    expect(problem({ ...base, messages: [result('t1')] })).toMatch(/^messages\.0\.content\.0\.tool_use_id: /);
    expect(problem({ ...base, messages: [...hi, use, ...hi] })).toBe('messages.2.content: must hold a tool_result for each tool_use of the previous message (unanswered: t1)');
  });

  it('names the Anthropic parameter of what it refuses, and needs max_tokens except for counting', () => {
    expect(problem({ model: 'm', messages: hi })).toBe('max_tokens: Field required');
    expect(problem({ model: 'm', messages: hi }, true)).toBe('accepted');
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] })).toBe('messages.0.content.0.text: must be a string');
    expect(problem({ ...base, temperature: 1.5, messages: hi })).toBe('temperature: must be a number between 0 and 1');
    expect(problem({ ...base, tool_choice: { type: 'tool', name: 'x' }, messages: hi })).toBe("tool_choice.name: names 'x', which is not in 'tools'");
    expect(problem({ ...base, messages: hi, system: [{ type: 'text', text: 'a', cache_control: { type: 'forever' } }] })).toBe("system.0.cache_control.type: must be 'ephemeral'");
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'image/png', data: 'A' } }] }] })).toBe(
      "messages.0.content.0.source.media_type: must be 'application/pdf'",
    );
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '!!!@@@' } }] }] })).toBe(
      'messages.0.content.0.source.data: must be base64-encoded data',
    );
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: '' } }] }] })).toBe(
      'messages.0.content.0.source.data: must be base64-encoded data',
    );
    expect(problem({ ...base, messages: hi, tools: [{ type: { toString: 1 }, name: 'f', input_schema: {} }] })).toBe("tools.0.type: 'an object' is a server tool, which Switchyard does not support");
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'file:///etc/passwd' } }] }] })).toBe('messages.0.content.0.source.url: must be an http(s) URL');
    expect(problem({ ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'gs://bucket/a.pdf' } }] }] })).toBe('messages.0.content.0.source.url: must be an http(s) URL');
    expect(problem({ ...base, messages: [...hi, { role: 'assistant', content: [] }, ...hi] })).toBe(
      'messages.1.content: all messages must have non-empty content except for the optional final assistant message',
    );
    expect(problem({ ...base, messages: [{ role: 'user', content: [] }] })).toBe(
      'messages.0.content: all messages must have non-empty content except for the optional final assistant message',
    );
    expect(problem({ ...base, top_k: 1.5, messages: hi })).toBe('top_k: must be an integer of at least 0');
    expect(problem({ ...base, context_management: { edits: [] }, service_tier: 'auto', messages: hi })).toBe('accepted');
    // Ignored, but not whatever the client sends: what the API itself would refuse is refused.
    expect(problem({ ...base, service_tier: 'fastest', messages: hi })).toBe("service_tier: must be 'auto' or 'standard_only'");
    expect(problem({ ...base, context_management: 'all', messages: hi })).toBe('context_management: must be an object');
    expect(problem({ ...base, metadata: { user_id: 'u', plan: 'pro' }, messages: hi })).toBe('metadata.plan: Extra inputs are not permitted');
  });

  it('checks thinking as the API does: a budget of at least 1,024 tokens, below max_tokens', () => {
    expect(problem({ ...base, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 512 }, messages: hi })).toBe('thinking.budget_tokens: must be an integer of at least 1024');
    expect(problem({ ...base, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: hi })).toBe('max_tokens: must be greater than thinking.budget_tokens');
    expect(problem({ model: 'm', thinking: { type: 'enabled', budget_tokens: 2048 }, messages: hi }, true)).toBe('accepted');
    expect(problem({ ...base, thinking: { type: 'sometimes' }, messages: hi })).toBe("thinking.type: must be 'enabled', 'adaptive', 'disabled' or 'between_tools'");
    // More than any model gives is refused as that, not as too small.
    expect(problem({ ...base, thinking: { type: 'enabled', budget_tokens: 1e9 }, messages: hi })).toBe('thinking.budget_tokens: must be at most 10000000');
    expect(problem({ ...base, max_tokens: 1e300, messages: hi })).toMatch(/^max_tokens: 1e\+300 > 10000000, which is the maximum allowed number of output tokens/);
  });

  it("takes the API's four thinking types (the SDK's ThinkingConfigParam), between_tools as thinking off, each with only its own members", () => {
    const reasoning = (thinking: unknown): unknown => decodeMessagesRequest({ ...base, max_tokens: 4_096, thinking, messages: hi }).request.reasoning;
    expect(reasoning({ type: 'enabled', budget_tokens: 2_048 })).toEqual({ enabled: true, budgetTokens: 2_048 });
    expect(reasoning({ type: 'adaptive' })).toEqual({ enabled: true });
    expect(reasoning({ type: 'disabled' })).toEqual({ enabled: false });
    expect(reasoning({ type: 'between_tools' })).toEqual({ enabled: false });
    expect(problem({ ...base, thinking: { type: 'between_tools', budget_tokens: 2_048 }, messages: hi })).toBe('thinking.between_tools.budget_tokens: Extra inputs are not permitted');
    expect(problem({ ...base, thinking: { type: 'disabled', display: 'omitted' }, messages: hi })).toBe('thinking.disabled.display: Extra inputs are not permitted');
    expect(problem({ ...base, thinking: { type: 'Adaptive' }, messages: hi })).toBe("thinking.type: must be 'enabled', 'adaptive', 'disabled' or 'between_tools'");
  });

  it("takes adaptive thinking at output_config's effort (Claude Code sends both), and output_config's JSON schema as the response format", () => {
    const reasoning = (body: Record<string, unknown>): unknown => decodeMessagesRequest({ ...base, ...body, messages: hi }).request.reasoning;
    expect(reasoning({ thinking: { type: 'adaptive' } })).toEqual({ enabled: true });
    expect(reasoning({ thinking: { type: 'adaptive', display: 'summarized' }, output_config: { effort: 'low' } })).toEqual({ enabled: true, effort: 'low' });
    // xhigh and max are canonical efforts too: the dialect sends a model without them the nearest it takes.
    expect(reasoning({ thinking: { type: 'adaptive' }, output_config: { effort: 'max' } })).toEqual({ enabled: true, effort: 'max' });
    expect(reasoning({ thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } })).toEqual({ enabled: true, effort: 'xhigh' });
    expect(reasoning({ output_config: { effort: 'high' } })).toBeUndefined();
    // Beside a budget, the effort is kept: a model that takes no budget thinks at it.
    expect(reasoning({ max_tokens: 4_096, thinking: { type: 'enabled', budget_tokens: 2_048 }, output_config: { effort: 'low' } })).toEqual({ enabled: true, budgetTokens: 2_048, effort: 'low' });
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    expect(decodeMessagesRequest({ ...base, output_config: { format: { type: 'json_schema', schema } }, messages: hi }).request.responseFormat).toEqual({ type: 'json', schema });
    expect(problem({ ...base, output_config: { effort: 'extreme' }, messages: hi })).toBe("output_config.effort: must be 'low', 'medium', 'high', 'xhigh' or 'max'");
    expect(problem({ ...base, output_config: { verbosity: 'low' }, messages: hi })).toBe('output_config.verbosity: Extra inputs are not permitted');
    expect(problem({ ...base, output_config: { format: { type: 'json_object' } }, messages: hi })).toBe("output_config.format.type: must be 'json_schema'");
    expect(problem({ ...base, thinking: { type: 'adaptive', display: 'full' }, messages: hi })).toBe("thinking.display: must be 'summarized' or 'omitted'");
    expect(problem({ model: 'm', thinking: { type: 'adaptive' }, output_config: { effort: 'medium' }, messages: hi }, true)).toBe('accepted');
  });
});
