import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { ChatRequest, Message, Warning } from '../../../core/types.js';
import { encodeMessagesRequest, messagesPassthroughProblem } from './index.js';
import { thrown } from '../../../testing/thrown.js';

const base = { stream: false, defaultMaxTokens: 1024 };
const text = (t: string) => ({ type: 'text' as const, text: t });
const user = (t: string): Message => ({ role: 'user', content: [text(t)] });
const req = (r: Partial<ChatRequest>): ChatRequest => ({ model: 'claude', messages: [user('hi')], ...r });

describe('encodeMessagesRequest', () => {
  it('sets model, the default max_tokens and no anthropic_version for the direct API', () => {
    const body = encodeMessagesRequest(req({}), { ...base, model: 'claude-sonnet-4-5' });
    expect(body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('refuses before sending a final assistant message to a model that takes no prefill, named in the body or for Vertex by forModel', () => {
    const prefilled = req({ messages: [user('hi'), { role: 'assistant', content: [text('Hello')] }] });
    for (const opts of [{ model: 'claude-sonnet-4-6' }, { forModel: 'claude-sonnet-4-6', anthropicVersion: 'vertex-2023-10-16' }]) {
      expect(thrown(() => encodeMessagesRequest(prefilled, { ...base, ...opts }))).toMatchObject({ kind: 'invalid_request', param: 'messages[1]', fallbackable: true, unsent: true });
    }
    expect(encodeMessagesRequest(prefilled, { ...base, model: 'claude-sonnet-4-5' }).messages.at(-1)).toEqual({ role: 'assistant', content: [text('Hello')] });
    // An empty final assistant message is left out of the body: the turns end on the user, nothing to refuse.
    const empty = req({ messages: [user('hi'), { role: 'assistant', content: [text('')] }] });
    expect(encodeMessagesRequest(empty, { ...base, model: 'claude-sonnet-4-6' }).messages).toEqual([{ role: 'user', content: [text('hi')] }]);
  });

  it('sends a conversation that opens with an assistant message as it is, without a warning: the Messages API takes one (Anthropic, Vertex)', () => {
    const greeted = req({ messages: [{ role: 'system', content: [text('Be brief.')] }, { role: 'assistant', content: [text('Hi! How can I help?')] }, user('hi')] });
    for (const opts of [{ model: 'claude-sonnet-4-6' }, { forModel: 'claude-sonnet-4-5@20250929', anthropicVersion: 'vertex-2023-10-16' }]) {
      const warnings: Warning[] = [];
      const body = encodeMessagesRequest(greeted, { ...base, ...opts, warnings });
      expect(body.messages).toEqual([
        { role: 'assistant', content: [text('Hi! How can I help?')] },
        { role: 'user', content: [text('hi')] },
      ]);
      expect(body.system).toBe('Be brief.');
      expect(warnings).toEqual([]);
    }
  });

  it("refuses two tools of one name before sending, as Claude would, so a group's next deployment may take them", () => {
    const tool = { name: 'lookup', parameters: { type: 'object' } };
    const twice = req({ tools: [tool, { ...tool, description: 'Again.' }] });
    expect(thrown(() => encodeMessagesRequest(twice, { ...base, model: 'claude-sonnet-4-6' }))).toMatchObject({
      kind: 'invalid_request',
      param: 'tools',
      message: "Invalid 'tools': Claude requires tool names to be unique, and 'lookup' is given more than once.",
      fallbackable: true,
      unsent: true,
    });
    expect(encodeMessagesRequest(req({ tools: [tool, { ...tool, name: 'search' }] }), { ...base, model: 'claude-sonnet-4-6' }).tools).toHaveLength(2);
  });

  it('omits model and puts anthropic_version in the body for Vertex', () => {
    const body = encodeMessagesRequest(req({ maxOutputTokens: 50 }), { ...base, stream: true, anthropicVersion: 'vertex-2023-10-16' });
    expect(body.model).toBeUndefined();
    expect(body.anthropic_version).toBe('vertex-2023-10-16');
    expect(body.max_tokens).toBe(50);
    expect(body.stream).toBe(true);
  });

  it('merges system messages into system, as a string when there is one plain text', () => {
    expect(encodeMessagesRequest(req({ messages: [{ role: 'system', content: [text('Be terse.')] }, user('hi')] }), base).system).toBe('Be terse.');
    const body = encodeMessagesRequest(req({ messages: [{ role: 'system', content: [text('One.')] }, user('hi'), { role: 'system', content: [text('Two.')] }] }), base);
    expect(body.system).toEqual([text('One.'), text('Two.')]);
    expect(body.messages).toHaveLength(1);
  });

  it('warns, naming its place, of a system message after the conversation began, joined to the system prompt; none for system messages all at the start', () => {
    const warnings: Warning[] = [];
    const late = req({ messages: [{ role: 'system', content: [text('One.')] }, user('hi'), { role: 'assistant', content: [text('Hello.')] }, { role: 'system', content: [text('Two.')] }, user('more')] });
    expect(encodeMessagesRequest(late, { ...base, warnings }).system).toEqual([text('One.'), text('Two.')]);
    expect(warnings).toEqual([
      { type: 'other', setting: 'messages', message: 'System message at messages[3] was moved to the system prompt: Claude takes system text only before the conversation.' },
    ]);
    const leading: Warning[] = [];
    encodeMessagesRequest(req({ messages: [{ role: 'system', content: [text('One.')] }, { role: 'system', content: [text('Two.')] }, user('hi')] }), { ...base, warnings: leading });
    expect(leading).toEqual([]);
  });

  it('writes cacheControl as cache_control on system, user, image, document and tool blocks', () => {
    const cc = { type: 'ephemeral' as const };
    const body = encodeMessagesRequest(
      req({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Long context', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'doc', cacheControl: cc },
              { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' }, cacheControl: cc },
              { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, cacheControl: cc },
            ],
          },
        ],
        tools: [{ name: 'lookup', cacheControl: cc }],
      }),
      base,
    );
    expect(body.system).toEqual([{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    expect(body.messages[0]?.content.map((b) => (b as { cache_control?: unknown }).cache_control)).toEqual([cc, cc, cc]);
    expect(body.tools).toEqual([{ name: 'lookup', input_schema: { type: 'object', properties: {} }, cache_control: cc }]);
  });

  it("writes a tool call's cacheControl as its tool_use block's cache_control", () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          user('look it up'),
          { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'lookup', arguments: '{"q":"x"}', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
          { role: 'tool', toolCallId: 't1', content: [text('found')] },
        ],
      }),
      base,
    );
    expect(body.messages[1]?.content).toEqual([{ type: 'tool_use', id: 't1', name: 'lookup', input: { q: 'x' }, cache_control: { type: 'ephemeral', ttl: '1h' } }]);
  });

  it('merges consecutive same-role turns so roles alternate', () => {
    const assistant = (t: string): Message => ({ role: 'assistant', content: [text(t)] });
    const body = encodeMessagesRequest(req({ messages: [user('a'), user('b'), assistant('c'), assistant('d'), user('e')] }), base);
    expect(body.messages.map((m) => [m.role, m.content.length])).toEqual([['user', 2], ['assistant', 2], ['user', 1]]);
  });

  it('maps tool calls to tool_use and consecutive tool messages to one user turn of tool_result blocks, results first', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          user('weather?'),
          {
            role: 'assistant',
            content: [
              text('Checking.'),
              { type: 'tool-call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
              { type: 'tool-call', id: 'toolu_2', name: 'time', arguments: '' },
            ],
          },
          { role: 'tool', toolCallId: 'toolu_1', content: [text('sunny')] },
          { role: 'tool', toolCallId: 'toolu_2', content: [text('clock broken')], isError: true },
          user('thanks'),
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
        { type: 'tool_result', tool_use_id: 'toolu_2', content: 'clock broken', is_error: true },
        { type: 'text', text: 'thanks' },
      ],
    });
  });

  it('sends a tool result with images as text and image blocks', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          user('draw'),
          { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'draw', arguments: '{}' }] },
          { role: 'tool', toolCallId: 't', content: [text('done'), { type: 'image', source: { type: 'url', url: 'https://x/c.png' } }] },
        ],
      }),
      base,
    );
    expect(body.messages[2]?.content).toEqual([
      { type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'done' }, { type: 'image', source: { type: 'url', url: 'https://x/c.png' } }] },
    ]);
  });

  it('rejects tool-call arguments that are not a JSON object, naming the part', () => {
    const err = thrown(() =>
      encodeMessagesRequest(req({ messages: [user('x'), { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'f', arguments: '[1]' }] }] }), base),
    );
    expect(GatewayError.isInstance(err) && [err.kind, err.param]).toEqual(['invalid_request', 'messages[1].content[0].arguments']);
    const broken = thrown(() => encodeMessagesRequest(req({ messages: [user('x'), { role: 'assistant', content: [text('a'), { type: 'tool-call', id: 't', name: 'f', arguments: '{"a":' }] }] }), base));
    expect(GatewayError.isInstance(broken) && broken.param).toBe('messages[1].content[1].arguments');
  });

  it('maps base64 and URL images to their sources', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          {
            role: 'user',
            content: [
              text('look'),
              { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' }, detail: 'high' },
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
  });

  it('names image types as the API does (image/jpg is image/jpeg), and refuses the types it does not take, for another deployment to try', () => {
    const image = (mediaType: string) => ({ type: 'image' as const, source: { type: 'base64' as const, mediaType, data: 'AAAA' } });
    const body = encodeMessagesRequest(req({ messages: [{ role: 'user', content: [image('image/jpg'), image('IMAGE/PNG'), text('what')] }] }), base);
    expect(body.messages[0]?.content.map((b) => (b.type === 'image' && b.source.type === 'base64' ? b.source.media_type : b.type))).toEqual(['image/jpeg', 'image/png', 'text']);
    const err = thrown(() => encodeMessagesRequest(req({ messages: [{ role: 'user', content: [text('what'), image('image/bmp')] }] }), base));
    expect(err).toMatchObject({ kind: 'invalid_request', param: 'messages[0].content[1]', fallbackable: true });
  });

  it("refuses an image type named like an object's own properties (__proto__, constructor) rather than sending what the lookup finds", () => {
    const image = (mediaType: string) => ({ type: 'image' as const, source: { type: 'base64' as const, mediaType, data: 'AAAA' } });
    for (const mediaType of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const err = thrown(() => encodeMessagesRequest(req({ messages: [{ role: 'user', content: [text('what'), image(mediaType)] }] }), base));
      expect(err, mediaType).toMatchObject({ kind: 'invalid_request', param: 'messages[0].content[1]', fallbackable: true });
    }
  });

  it('maps files to document blocks: base64 PDF, plain text as text, URL; other types are refused', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, filename: 'report.pdf' },
              { type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: Buffer.from('plain words').toString('base64') } },
              { type: 'file', source: { type: 'url', url: 'https://example.com/a.pdf' } },
            ],
          },
        ],
      }),
      base,
    );
    expect(body.messages[0]?.content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'report.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
      { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
    ]);
    const err = thrown(() => encodeMessagesRequest(req({ messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'application/zip', data: 'UEs=' } }] }] }), base));
    expect(GatewayError.isInstance(err) && [err.kind, err.param]).toEqual(['invalid_request', 'messages[0].content[0]']);
  });

  it("sends back only Claude's own signed reasoning as thinking, and its redacted reasoning", () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          user('q'),
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'mine', signature: 'sig-1', provider: 'anthropic' },
              { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
              { type: 'reasoning', text: 'unsigned', provider: 'anthropic' },
              { type: 'reasoning', text: 'gemini thought', signature: 'g-sig', provider: 'google' },
              { type: 'redacted-reasoning', data: 'other', provider: 'openai' },
              text('answer'),
            ],
          },
          user('more'),
        ],
      }),
      base,
    );
    expect(body.messages[1]?.content).toEqual([
      { type: 'thinking', thinking: 'mine', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'answer' },
    ]);
  });

  it('maps tools and every tool choice form', () => {
    const tools = [{ name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: {} } }];
    const choice = (toolChoice: ChatRequest['toolChoice'], parallelToolCalls?: boolean) => encodeMessagesRequest(req({ tools, toolChoice, parallelToolCalls }), base).tool_choice;
    expect(encodeMessagesRequest(req({ tools }), base).tools).toEqual([{ name: 'lookup', description: 'Looks up.', input_schema: { type: 'object', properties: {} } }]);
    expect(choice(undefined)).toBeUndefined();
    expect(choice({ type: 'auto' }, false)).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choice({ type: 'required' })).toEqual({ type: 'any' });
    expect(choice({ type: 'required' }, false)).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(choice({ type: 'none' })).toEqual({ type: 'none' });
    expect(choice({ type: 'tool', name: 'lookup' })).toEqual({ type: 'tool', name: 'lookup' });
    expect(encodeMessagesRequest(req({ toolChoice: { type: 'required' } }), base).tool_choice).toBeUndefined();
  });

  it("sends a tool's strict: true to Claude (structured tool use), and leaves a false or absent one out, the API's default", () => {
    const tool = { name: 'lookup', parameters: { type: 'object', properties: {} } };
    const tools = [{ ...tool, strict: true }, { ...tool, name: 'other', strict: false }, { ...tool, name: 'plain' }];
    expect(encodeMessagesRequest(req({ tools }), { ...base, model: 'claude-sonnet-4-5' }).tools).toEqual([
      { name: 'lookup', input_schema: tool.parameters, strict: true },
      { name: 'other', input_schema: tool.parameters },
      { name: 'plain', input_schema: tool.parameters },
    ]);
    // The same body goes to Claude on Vertex.
    expect(encodeMessagesRequest(req({ tools }), { ...base, forModel: 'claude-sonnet-4-5', anthropicVersion: 'vertex-2023-10-16' }).tools?.[0]).toEqual({ name: 'lookup', input_schema: tool.parameters, strict: true });
  });

  it('maps sampling (top_k natively), stop sequences and user; clamps temperature to 0..1 with a warning', () => {
    const warnings: Warning[] = [];
    const body = encodeMessagesRequest(req({ temperature: 1.5, topK: 40, stopSequences: ['END', ''], user: 'u-1' }), { ...base, warnings });
    expect(body).toMatchObject({ temperature: 1, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-1' } });
    expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'temperature', message: expect.stringContaining('1.5') }]);
    expect(encodeMessagesRequest(req({ topP: 0.9 }), base)).toMatchObject({ top_p: 0.9 });
  });

  it('sends temperature alone when top_p comes too, with a warning: Claude since Opus 4.1 refuses both', () => {
    const warnings: Warning[] = [];
    const body = encodeMessagesRequest(req({ temperature: 0.7, topP: 1 }), { ...base, warnings });
    expect(body).toMatchObject({ temperature: 0.7 });
    expect(body).not.toHaveProperty('top_p');
    expect(warnings.map((w) => w.setting)).toEqual(['topP']);
  });

  it('drops stop sequences made only of white space, which Claude refuses, with a warning', () => {
    const warnings: Warning[] = [];
    expect(encodeMessagesRequest(req({ stopSequences: ['\n', '\n\n', 'END'] }), { ...base, warnings }).stop_sequences).toEqual(['END']);
    expect(warnings.map((w) => w.setting)).toEqual(['stopSequences']);
    expect(encodeMessagesRequest(req({ stopSequences: [' '] }), base)).not.toHaveProperty('stop_sequences');
  });

  it('omits sampling parameters for API versions that reject them, with a warning for each', () => {
    const warnings: Warning[] = [];
    const body = encodeMessagesRequest(req({ temperature: 0.2, topP: 0.5, topK: 3 }), { ...base, omitSamplingParams: true, warnings });
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(body).not.toHaveProperty('top_k');
    expect(warnings.map((w) => w.setting)).toEqual(['topP', 'temperature', 'topK']);
  });

  it('asks for JSON with a system instruction, the schema included', () => {
    const body = encodeMessagesRequest(req({ responseFormat: { type: 'json', name: 'x', schema: { type: 'object' } } }), base);
    expect(body.system).toMatch(/valid JSON object[\s\S]*\{"type":"object"\}/);
    expect(encodeMessagesRequest(req({ responseFormat: { type: 'text' } }), base).system).toBeUndefined();
  });

  it('warns about settings without an equivalent instead of failing', () => {
    const warnings: Warning[] = [];
    const body = encodeMessagesRequest(req({ seed: 1, presencePenalty: 0.5, frequencyPenalty: 0.1 }), { ...base, warnings });
    expect(warnings.map((w) => [w.type, w.setting])).toEqual([
      ['unsupported-setting', 'seed'],
      ['unsupported-setting', 'presencePenalty'],
      ['unsupported-setting', 'frequencyPenalty'],
    ]);
    expect(body).not.toHaveProperty('seed');
  });

  it('refuses before sending a user message with nothing but empty or blank text, naming it (dropped, the conversation could end on the assistant)', () => {
    // Blank text is refused by the API ("text content blocks must contain non-whitespace text"), with a cache hint too.
    for (const content of [[text('')], [text(' ')], [text('\n\t')], [], [{ ...text(' '), cacheControl: { type: 'ephemeral' as const } }]]) {
      const refused = thrown(() => encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [text('a')] }, { role: 'user', content }] }), base));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable]).toEqual(['invalid_request', 'messages[2].content', true, true]);
    }
  });

  it('leaves blank text out of user, assistant, system and tool-result content, and a blank assistant message with it', () => {
    const body = encodeMessagesRequest(
      req({
        messages: [
          { role: 'system', content: [text(' '), text('Be brief.')] },
          { role: 'user', content: [text('q'), text('  ')] },
          { role: 'assistant', content: [text('\n'), { type: 'tool-call', id: 't', name: 'f', arguments: '{}' }] },
          { role: 'tool', toolCallId: 't', content: [text(' '), { type: 'image', source: { type: 'url', url: 'https://x/c.png' } }] },
          { role: 'assistant', content: [text(' ')] },
          user('next'),
        ],
      }),
      base,
    );
    expect(body.system).toBe('Be brief.');
    expect(body.messages).toEqual([
      { role: 'user', content: [text('q')] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://x/c.png' } }] }, text('next')] },
    ]);
  });

  it('refuses before sending a tool call that no tool message answers right after it, at the end too, naming the call (the API refuses both)', () => {
    const call = (id: string) => ({ type: 'tool-call' as const, id, name: 'f', arguments: '{}' });
    const ending = thrown(() => encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [text('Let me look.'), call('t1')] }] }), base));
    expect(GatewayError.isInstance(ending) && [ending.kind, ending.param, ending.unsent, ending.fallbackable]).toEqual(['invalid_request', 'messages[1].content[1]', true, true]);
    const skipped = thrown(() =>
      encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [call('t1'), call('t2')] }, { role: 'tool', toolCallId: 't1', content: [text('r')] }, user('go on')] }), base),
    );
    expect(GatewayError.isInstance(skipped) && skipped.param).toBe('messages[1].content[1]');
    const later = thrown(() =>
      encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [call('t1')] }, { role: 'tool', toolCallId: 't1', content: [text('r')] }, { role: 'assistant', content: [call('t2')] }] }), base),
    );
    expect(GatewayError.isInstance(later) && later.param).toBe('messages[3].content[0]');
  });

  it('sends a tool call answered in the turn after it, the results ahead of any text', () => {
    const body = encodeMessagesRequest(
      req({ messages: [user('q'), { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'f', arguments: '{}' }] }, user('and'), { role: 'tool', toolCallId: 't1', content: [text('r')] }] }),
      base,
    );
    expect(body.messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }, text('and')] });
  });

  it('refuses before sending a final assistant message (a prefill) ending with white space, naming it (the API refuses it)', () => {
    for (const prefill of ['Sure, ', 'Sure.\n']) {
      const refused = thrown(() => encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [text(prefill)] }, { role: 'assistant', content: [text(' ')] }] }), base));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable]).toEqual(['invalid_request', 'messages[1].content', true, true]);
    }
    const earlier = encodeMessagesRequest(req({ messages: [user('q'), { role: 'assistant', content: [text('Sure, ')] }, user('r'), { role: 'assistant', content: [text('{')] }] }), base);
    expect(earlier.messages.map((m) => m.content)).toEqual([[text('q')], [text('Sure, ')], [text('r')], [text('{')]]);
  });

  it('rejects a conversation with only a system prompt', () => {
    expect(() => encodeMessagesRequest(req({ messages: [{ role: 'system', content: [text('x')] }] }), base)).toThrow(/At least one/);
  });

  it('adds listed passthrough fields at the top level of the body, and nothing unlisted', () => {
    const request = req({ passthrough: { service_tier: 'auto', mcp_servers: [{ url: 'https://x' }] } });
    const body = encodeMessagesRequest(request, { ...base, model: 'c', passthrough: ['service_tier'] }) as unknown as Record<string, unknown>;
    expect(body.service_tier).toBe('auto');
    expect(body).not.toHaveProperty('mcp_servers');
    expect(encodeMessagesRequest(request, { ...base, model: 'c' })).not.toHaveProperty('service_tier');
  });

  it('names a passthrough field the encoder writes itself: any of them would replace the planned value', () => {
    expect(messagesPassthroughProblem(['service_tier', 'system'])).toContain('"system"');
    for (const field of ['thinking', 'top_k', 'temperature', 'top_p', 'max_tokens', 'messages', 'tools', 'tool_choice', 'stream']) {
      expect(messagesPassthroughProblem([field])).toContain(`"${field}"`);
    }
    expect(messagesPassthroughProblem(['service_tier', 'context_management'])).toBeUndefined();
  });

  it('writes no top-level field that a passthrough field could replace', () => {
    const full = req({
      maxOutputTokens: 4000,
      topP: 0.97,
      stopSequences: ['x'],
      user: 'u',
      tools: [{ name: 'f' }],
      toolChoice: { type: 'auto' },
      parallelToolCalls: false,
      reasoning: { enabled: true, budgetTokens: 2000 },
      messages: [{ role: 'system', content: [text('s')] }, user('hi')],
    });
    const keys = [
      ...Object.keys(encodeMessagesRequest(full, { ...base, model: 'c', anthropicVersion: 'v', stream: true })),
      ...Object.keys(encodeMessagesRequest(req({ temperature: 0.5, topK: 3 }), base)),
    ];
    expect(messagesPassthroughProblem(keys.sort())).toBeDefined();
    for (const key of keys) expect(messagesPassthroughProblem([key])).toBeDefined();
  });

  it('encodes a turn of 200,000 parts, and 200,000 system parts, without overflowing the stack', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => text(`p${i}`));
    const body = encodeMessagesRequest(req({ messages: [{ role: 'system', content: many }, user('a'), { role: 'user', content: many }] }), base);
    expect(body.messages[0]?.content).toHaveLength(200_001);
    expect(body.system).toHaveLength(200_000);
  });
});

describe('encodeMessagesRequest: reasoning', () => {
  const thinking = (r: Partial<ChatRequest>, warnings: Warning[] = []) => encodeMessagesRequest(req(r), { ...base, defaultMaxTokens: 4096, warnings });

  it('maps an effort to its budget (medium when none is given)', () => {
    expect(thinking({ reasoning: { enabled: true, effort: 'low' } }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(thinking({ reasoning: { enabled: true } }).thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
  });

  it('sends a budget as it is, above 1,024, and raises a smaller one with a warning', () => {
    expect(thinking({ reasoning: { enabled: true, budgetTokens: 3000, effort: 'high' } }).thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    const warnings: Warning[] = [];
    expect(thinking({ reasoning: { enabled: true, budgetTokens: 500 } }, warnings).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
  });

  it('without maxOutputTokens, sends the default max_tokens, with the budget on top when the default is not above it', () => {
    expect(thinking({ reasoning: { enabled: true, budgetTokens: 2000 } }).max_tokens).toBe(4096);
    expect(thinking({ reasoning: { enabled: true, effort: 'medium' } }).max_tokens).toBe(8192 + 4096);
  });

  it('sends maxOutputTokens as max_tokens, reasoning included: an effort takes at most half of it', () => {
    expect(thinking({ maxOutputTokens: 20_000, reasoning: { enabled: true, effort: 'medium' } })).toMatchObject({ max_tokens: 20_000, thinking: { budget_tokens: 8192 } });
    expect(thinking({ maxOutputTokens: 10_000, reasoning: { enabled: true, effort: 'high' } })).toMatchObject({ max_tokens: 10_000, thinking: { budget_tokens: 5000 } });
    expect(thinking({ maxOutputTokens: 2048, reasoning: { enabled: true, effort: 'minimal' } })).toMatchObject({ max_tokens: 2048, thinking: { budget_tokens: 1024 } });
  });

  it('turns thinking off, with a warning, when half of maxOutputTokens is under the smallest budget (effort high, 64 tokens)', () => {
    const warnings: Warning[] = [];
    const body = thinking({ maxOutputTokens: 64, reasoning: { enabled: true, effort: 'high' } }, warnings);
    expect(body.max_tokens).toBe(64);
    expect(body).not.toHaveProperty('thinking');
    expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'reasoning' })]);
    expect(thinking({ maxOutputTokens: 2047, reasoning: { enabled: true, effort: 'minimal' } })).not.toHaveProperty('thinking');
  });

  it('lowers an explicit budget under maxOutputTokens with a warning, or turns thinking off when no budget of 1,024 fits', () => {
    const warnings: Warning[] = [];
    expect(thinking({ maxOutputTokens: 3000, reasoning: { enabled: true, budgetTokens: 5000 } }, warnings)).toMatchObject({ max_tokens: 3000, thinking: { budget_tokens: 2999 } });
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
    expect(thinking({ maxOutputTokens: 3000, reasoning: { enabled: true, budgetTokens: 2999 } })).toMatchObject({ max_tokens: 3000, thinking: { budget_tokens: 2999 } });
    const off: Warning[] = [];
    const body = thinking({ maxOutputTokens: 1000, reasoning: { enabled: true, budgetTokens: 2000 } }, off);
    expect(body.max_tokens).toBe(1000);
    expect(body).not.toHaveProperty('thinking');
    expect(off.map((w) => w.setting)).toEqual(['reasoning']);
  });

  it('sends no thinking when reasoning is turned off (some models refuse type disabled) or not asked for', () => {
    expect(thinking({ reasoning: { enabled: false, effort: 'high' } })).not.toHaveProperty('thinking');
    expect(thinking({})).not.toHaveProperty('thinking');
  });

  it('drops temperature, top_k and a top_p under 0.95 while thinking, with warnings', () => {
    const warnings: Warning[] = [];
    const body = thinking({ temperature: 0.5, topK: 5, topP: 0.5, reasoning: { enabled: true } }, warnings);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_k');
    expect(body).not.toHaveProperty('top_p');
    expect(warnings.map((w) => w.setting)).toEqual(['temperature', 'topK', 'topP']);
    expect(thinking({ topP: 0.97, reasoning: { enabled: true } }).top_p).toBe(0.97);
  });

  const toolLoop = (assistant: Message['content']): Message[] => [
    user('Please call the tool'),
    { role: 'assistant', content: assistant } as Message,
    { role: 'tool', toolCallId: 'toolu_1', content: [text('sunny')] },
  ];
  const call = { type: 'tool-call' as const, id: 'toolu_1', name: 'lookup', arguments: '{"q":"x"}' };

  it("turns thinking off in a tool loop whose assistant turn does not start with Claude's signed reasoning (Chat Completions clients), with a warning", () => {
    for (const reasoning of [[], [{ type: 'reasoning' as const, text: 'I should call it' }], [{ type: 'reasoning' as const, text: 't', signature: 's', provider: 'google' }]]) {
      const warnings: Warning[] = [];
      const body = thinking({ tools: [{ name: 'lookup' }], reasoning: { enabled: true, effort: 'low' }, messages: toolLoop([...reasoning, call]) }, warnings);
      expect(body).not.toHaveProperty('thinking');
      expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'reasoning', message: expect.stringContaining('tool loop') })]);
    }
  });

  it('keeps thinking in a tool loop that starts with signed or redacted reasoning, and once a new user question starts a new turn', () => {
    const signed = thinking({ reasoning: { enabled: true }, messages: toolLoop([{ type: 'reasoning', text: 't', signature: 's', provider: 'anthropic' }, call]) });
    expect(signed.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    const redacted = thinking({ reasoning: { enabled: true }, messages: toolLoop([{ type: 'redacted-reasoning', data: 'x', provider: 'anthropic' }, call]) });
    expect(redacted.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    const moved = thinking({ reasoning: { enabled: true }, messages: [...toolLoop([call]), { role: 'assistant', content: [text('Sunny.')] }, user('And tomorrow?')] });
    expect(moved.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
  });

  it('looks at the assistant message that opened the turn, through several tool steps', () => {
    const opening: Message['content'] = [{ type: 'reasoning', text: 't', signature: 's', provider: 'anthropic' }, call];
    const second = { ...call, id: 'toolu_2' };
    const steps = (first: Message['content']): Message[] => [
      ...toolLoop(first),
      { role: 'assistant', content: [second] },
      { role: 'tool', toolCallId: 'toolu_2', content: [text('rain')] },
    ];
    expect(thinking({ reasoning: { enabled: true }, messages: steps(opening) })).toHaveProperty('thinking');
    expect(thinking({ reasoning: { enabled: true }, messages: steps([call]) })).not.toHaveProperty('thinking');
  });

  it('turns thinking off when the tool choice forces a tool call, with a warning', () => {
    const warnings: Warning[] = [];
    const body = thinking({ tools: [{ name: 'f' }], toolChoice: { type: 'tool', name: 'f' }, reasoning: { enabled: true } }, warnings);
    expect(body).not.toHaveProperty('thinking');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'f' });
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
  });
});

/**
 * Claude Opus 4.7 and later (and the Claude 5 family) refuse the budget form of thinking with a 400;
 * Claude 4.6 takes both, the budget form deprecated. The form follows the model, named in the body
 * (Anthropic) or, for Vertex, by forModel.
 */
describe('encodeMessagesRequest: adaptive thinking for the Claude models that take it', () => {
  const on = (model: string, r: Partial<ChatRequest>, warnings: Warning[] = []) => encodeMessagesRequest(req(r), { ...base, defaultMaxTokens: 4096, model, warnings });

  it('asks Claude Opus 4.7 for adaptive thinking with output_config.effort, Vertex as the Anthropic API', () => {
    const asked = req({ reasoning: { enabled: true, effort: 'high' } });
    const direct = encodeMessagesRequest(asked, { ...base, defaultMaxTokens: 4096, model: 'claude-opus-4-7' });
    const vertex = encodeMessagesRequest(asked, { ...base, defaultMaxTokens: 4096, forModel: 'claude-opus-4-7@20260416', anthropicVersion: 'vertex-2023-10-16' });
    for (const body of [direct, vertex]) expect(body).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' }, max_tokens: 4096 + 24_576 });
  });

  it("maps the canonical efforts to Claude's, minimal to its lowest (low) with a warning", () => {
    const efforts = (['minimal', 'low', 'medium', 'high'] as const).map((effort) => on('claude-sonnet-5', { reasoning: { enabled: true, effort } }).output_config?.effort);
    expect(efforts).toEqual(['low', 'low', 'medium', 'high']);
    const warnings: Warning[] = [];
    on('claude-sonnet-5', { reasoning: { enabled: true, effort: 'minimal' } }, warnings);
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
  });

  it('sends xhigh and max to the Claude models that take them, and high with a warning to those that do not', () => {
    const sent = (model: string, effort: 'xhigh' | 'max') => {
      const warnings: Warning[] = [];
      const body = on(model, { reasoning: { enabled: true, effort } }, warnings);
      return [body.output_config?.effort, warnings.map((w) => w.message).join()];
    };
    for (const model of ['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-fable-5']) {
      expect([sent(model, 'xhigh'), sent(model, 'max')], model).toEqual([['xhigh', ''], ['max', '']]);
    }
    // Claude 4.6 and Mythos Preview (whose id reads no version) take max, not xhigh.
    for (const model of ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-mythos-preview']) {
      expect(sent(model, 'max'), model).toEqual(['max', '']);
      expect(sent(model, 'xhigh'), model).toEqual(['high', 'This Claude model takes no reasoning effort xhigh (it takes low, medium, high, max); high was sent instead.']);
    }
    // The budget form (before 4.6) has no effort above high: high's budget, with a warning.
    const warnings: Warning[] = [];
    expect(on('claude-sonnet-4-5', { reasoning: { enabled: true, effort: 'max' } }, warnings)).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 24_576 } });
    expect(warnings.map((w) => w.message)).toEqual(["This Claude model takes a thinking budget, not an effort, and no budget names max; high's budget (24576 tokens) was sent."]);
    expect(on('claude-opus-4-7', { reasoning: { enabled: true, effort: 'max' } }).max_tokens).toBe(4096 + 24_576);
  });

  it("leaves the effort to Claude's default when the request names none, and keeps maxOutputTokens as max_tokens with no budget to fit", () => {
    const body = on('claude-opus-4-7', { maxOutputTokens: 512, reasoning: { enabled: true } });
    expect(body).toMatchObject({ max_tokens: 512, thinking: { type: 'adaptive' } });
    expect(body).not.toHaveProperty('output_config');
  });

  it('maps an explicit budget to the nearest effort on a model that refuses budgets, with a warning; an effort given with it wins', () => {
    const warnings: Warning[] = [];
    expect(on('claude-opus-4-7', { reasoning: { enabled: true, budgetTokens: 20_000 } }, warnings)).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
    expect(warnings).toEqual([expect.objectContaining({ setting: 'reasoning', message: expect.stringContaining('budget of 20000 tokens was sent as the effort high') })]);
    expect(on('claude-opus-4-7', { reasoning: { enabled: true, budgetTokens: 20_000, effort: 'low' } }).output_config).toEqual({ effort: 'low' });
  });

  it('sends Claude 4.6 the budget form for an explicit budget (still taken), adaptive thinking for an effort', () => {
    expect(on('claude-sonnet-4-6', { reasoning: { enabled: true, budgetTokens: 3000 } })).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 3000 } });
    const adaptive = on('claude-sonnet-4-6', { reasoning: { enabled: true, effort: 'low' } });
    expect(adaptive).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
    expect(on('claude-sonnet-4-5', { reasoning: { enabled: true, effort: 'low' } })).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(on('claude-sonnet-4-5', { reasoning: { enabled: true, effort: 'low' } })).not.toHaveProperty('output_config');
  });

  it('keeps the thinking rules for adaptive thinking: no temperature or top_k, nor thinking at all when the tool choice forces a call', () => {
    const warnings: Warning[] = [];
    const body = on('claude-opus-4-7', { temperature: 0.5, topK: 5, reasoning: { enabled: true, effort: 'low' } }, warnings);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_k');
    expect(warnings.map((w) => w.setting)).toEqual(['temperature', 'topK']);
    const forced = on('claude-opus-4-7', { tools: [{ name: 'f' }], toolChoice: { type: 'tool', name: 'f' }, reasoning: { enabled: true, effort: 'low' } });
    expect(forced).not.toHaveProperty('thinking');
    expect(forced).not.toHaveProperty('output_config');
  });

  it('refuses output_config as a passthrough field: the encoder writes it', () => {
    expect(messagesPassthroughProblem(['output_config'])).toContain('"output_config"');
  });
});

describe('encodeMessagesRequest: automatic caching (a request-level cache hint)', () => {
  it("sends it as the API's own top-level cache_control, to the direct API and to Claude on Vertex, with its ttl", () => {
    const direct = encodeMessagesRequest(req({ cacheControl: { type: 'ephemeral' } }), { ...base, model: 'claude-sonnet-4-6' });
    expect(direct.cache_control).toEqual({ type: 'ephemeral' });
    expect(direct.messages).toEqual([{ role: 'user', content: [text('hi')] }]);
    const vertex = encodeMessagesRequest(req({ cacheControl: { type: 'ephemeral', ttl: '1h' } }), { ...base, forModel: 'claude-sonnet-4-5@20250929', anthropicVersion: 'vertex-2023-10-16' });
    expect(vertex.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(encodeMessagesRequest(req({}), { ...base, model: 'claude-sonnet-4-6' })).not.toHaveProperty('cache_control');
  });

  it('writes cache_control itself, so no deployment may pass a client value through in its place', () => {
    expect(messagesPassthroughProblem(['cache_control'])).toBe('"cache_control" is a Messages API field Switchyard writes itself');
  });
});
