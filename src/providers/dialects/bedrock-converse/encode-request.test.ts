import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { ChatRequest, Message, Warning } from '../../../core/types.js';
import { documentName } from './encode-messages.js';
import { CLAUDE_MODEL_FIELDS, conversePassthroughProblem, encodeConverseRequest, type EncodeOptions } from './encode-request.js';
import { thrown } from '../../../testing/thrown.js';

const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const TOOL = { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: { q: { type: 'string' } } } };
const CP = { cachePoint: { type: 'default' } };
const text = (t: string) => ({ type: 'text' as const, text: t });
const user = (t: string): Message => ({ role: 'user', content: [text(t)] });
const req = (r: Partial<ChatRequest>): ChatRequest => ({ model: 'm', messages: [user('x')], ...r });
const encode = (r: Partial<ChatRequest>, opts: Partial<EncodeOptions> = {}) => encodeConverseRequest(req(r), { model: NOVA, ...opts });

describe('encodeConverseRequest', () => {
  it('warns, naming its place, of a system message after the conversation began, joined to the system blocks; none for those at the start', () => {
    const system: Message = { role: 'system', content: [text('Be brief.')] };
    for (const model of [NOVA, CLAUDE]) {
      const warnings: Warning[] = [];
      const body = encode({ messages: [user('first'), { role: 'assistant', content: [text('answer')] }, system, user('second')] }, { model, warnings });
      expect(body.system, model).toEqual([{ text: 'Be brief.' }]);
      expect(warnings, model).toEqual([
        { type: 'other', setting: 'messages', message: 'System message at messages[2] was moved to the system prompt: Bedrock Converse takes system text only before the conversation.' },
      ]);
    }
    const leading: Warning[] = [];
    encode({ messages: [system, system, user('first')] }, { warnings: leading });
    expect(leading).toEqual([]);
  });

  it('moves system messages into system blocks and keeps turns in order', () => {
    const body = encode({
      messages: [{ role: 'system', content: [text('Be brief.')] }, { role: 'system', content: [text('Use English.')] }, user('first'), { role: 'assistant', content: [text('answer')] }, user('second')],
    });
    expect(body.system).toEqual([{ text: 'Be brief.' }, { text: 'Use English.' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'first' }] },
      { role: 'assistant', content: [{ text: 'answer' }] },
      { role: 'user', content: [{ text: 'second' }] },
    ]);
    expect(body.inferenceConfig).toBeUndefined();
  });

  it('refuses before sending a final assistant turn to a Claude model that takes no prefill, and sends it to one that continues it', () => {
    const prefilled: Partial<ChatRequest> = { messages: [user('hi'), { role: 'assistant', content: [text('Hello')] }] };
    expect(thrown(() => encode(prefilled, { model: 'us.anthropic.claude-opus-4-6-v1' }))).toMatchObject({ kind: 'invalid_request', param: 'messages[1]', fallbackable: true, unsent: true });
    expect(encode(prefilled, { model: CLAUDE }).messages.at(-1)).toEqual({ role: 'assistant', content: [{ text: 'Hello' }] });
    // A blank assistant turn is left out: the conversation ends on the user.
    expect(encode({ messages: [user('hi'), { role: 'assistant', content: [text(' ')] }] }, { model: 'us.anthropic.claude-opus-4-6-v1' }).messages).toEqual([{ role: 'user', content: [{ text: 'hi' }] }]);
  });

  it('turns a base64 image into image bytes with its format', () => {
    const body = encode({ messages: [{ role: 'user', content: [text('What is this?'), { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PIXEL } }] }] });
    expect(body.messages[0]?.content).toEqual([{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: PIXEL } } }]);
  });

  it('refuses image URLs and unknown image types as invalid requests naming the part', () => {
    const web = thrown(() => encode({ messages: [{ role: 'user', content: [text('a'), { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] }));
    expect(GatewayError.isInstance(web) && [web.kind, web.param]).toEqual(['invalid_request', 'messages[0].content[1]']);
    // Another deployment of the group may take a URL image: the request falls back rather than fails.
    expect(GatewayError.isInstance(web) && web.fallbackable).toBe(true);
    expect(() => encode({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/tiff', data: 'AA==' } }] }] })).toThrow(/tiff/);
  });

  it('turns files into document blocks with their format and a name Bedrock accepts', () => {
    const body = encode({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, filename: 'Q3 report_v2.final.pdf' },
            { type: 'file', source: { type: 'base64', mediaType: 'text/markdown', data: 'IyBh' } },
            { type: 'file', source: { type: 'base64', mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data: 'UEs=' }, filename: 'data (1).xlsx' },
          ],
        },
      ],
    });
    expect(body.messages[0]?.content).toEqual([
      { document: { format: 'pdf', name: 'Q3 report-v2-final-pdf', source: { bytes: 'JVBE' } } },
      { document: { format: 'md', name: 'document-2', source: { bytes: 'IyBh' } } },
      { document: { format: 'xlsx', name: 'data (1)-xlsx', source: { bytes: 'UEs=' } } },
    ]);
    const zip = thrown(() => encode({ messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'application/zip', data: 'UEs=' } }] }] }));
    expect(GatewayError.isInstance(zip) && [zip.kind, zip.param]).toEqual(['invalid_request', 'messages[0].content[0]']);
    expect(() => encode({ messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'url', url: 'https://x/a.pdf' } }] }] })).toThrow(/not URLs/);
  });

  it("refuses image and document types named like an object's own properties (__proto__, constructor) rather than sending what the lookup finds", () => {
    for (const mediaType of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const image = thrown(() => encode({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType, data: 'AA==' } }] }] }));
      expect(GatewayError.isInstance(image) && [image.kind, image.param], mediaType).toEqual(['invalid_request', 'messages[0].content[0]']);
      const file = thrown(() => encode({ messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType, data: 'AA==' } }] }] }));
      expect(GatewayError.isInstance(file) && [file.kind, file.param], mediaType).toEqual(['invalid_request', 'messages[0].content[0]']);
    }
  });

  it('sanitises document names: single spaces, at most 200 characters, a default when nothing is left', () => {
    expect(documentName('a\t\t b', 1)).toBe('a b');
    expect(documentName('x'.repeat(300), 1)).toHaveLength(200);
    expect(documentName('   ', 3)).toBe('document-3');
    expect(documentName('[draft] (v2)', 1)).toBe('[draft] (v2)');
  });

  it('maps tool calls to toolUse and merges tool results (error status included) with the next user text into one user turn', () => {
    const body = encode({
      tools: [TOOL],
      toolChoice: { type: 'required' },
      messages: [
        user('call it'),
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', id: 't1', name: 'lookup', arguments: '{"q":"a"}' },
            { type: 'tool-call', id: 't2', name: 'lookup', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 't1', content: [text('A'), { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PIXEL } }] },
        { role: 'tool', toolCallId: 't2', content: [text('lookup failed')], isError: true },
        user('thanks'),
      ],
    });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [{ toolUse: { toolUseId: 't1', name: 'lookup', input: { q: 'a' } } }, { toolUse: { toolUseId: 't2', name: 'lookup', input: {} } }],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { toolResult: { toolUseId: 't1', content: [{ text: 'A' }, { image: { format: 'png', source: { bytes: PIXEL } } }] } },
        { toolResult: { toolUseId: 't2', content: [{ text: 'lookup failed' }], status: 'error' } },
        { text: 'thanks' },
      ],
    });
    expect(body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'lookup', description: 'Looks up.', inputSchema: { json: TOOL.parameters } } }], toolChoice: { any: {} } });
  });

  it('maps tool choice auto and a named tool', () => {
    expect(encode({ tools: [TOOL], toolChoice: { type: 'auto' } }).toolConfig?.toolChoice).toEqual({ auto: {} });
    expect(encode({ tools: [TOOL], toolChoice: { type: 'tool', name: 'lookup' } }).toolConfig?.toolChoice).toEqual({ tool: { name: 'lookup' } });
  });

  it("sends a tool's strict: true in its toolSpec to Claude, which enforces it; false or absent is left out", () => {
    const tools = [{ ...TOOL, strict: true }, { ...TOOL, name: 'other', strict: false }];
    const specs = encode({ tools }, { model: CLAUDE }).toolConfig?.tools;
    expect(specs).toEqual([{ toolSpec: { name: 'lookup', description: 'Looks up.', inputSchema: { json: TOOL.parameters }, strict: true } }, { toolSpec: { name: 'other', description: 'Looks up.', inputSchema: { json: TOOL.parameters } } }]);
  });

  it("warns that a tool's strict: true was not sent to a model other than Claude, naming the tools, and says nothing when none asks for it", () => {
    const warnings: Warning[] = [];
    const tools = [{ ...TOOL, strict: true }, { ...TOOL, name: 'other', strict: false }, { ...TOOL, name: 'fetch', strict: true }];
    expect(encode({ tools }, { warnings }).toolConfig?.tools.every((t) => !('strict' in (t as { toolSpec: object }).toolSpec))).toBe(true);
    expect(warnings).toEqual([
      { type: 'unsupported-setting', setting: 'strict', message: "This Bedrock model takes no strict flag on a tool: 'lookup', 'fetch' went without it, so the arguments are not held to the schema." },
    ]);
    const quiet: Warning[] = [];
    encode({ tools: [{ ...TOOL, strict: false }] }, { warnings: quiet });
    encode({ tools }, { model: CLAUDE, warnings: quiet });
    expect(quiet).toEqual([]);
  });

  it('leaves the tools out for tool choice none, with a warning, unless the conversation holds tool calls', () => {
    const warnings: Warning[] = [];
    expect(encode({ tools: [TOOL], toolChoice: { type: 'none' } }, { warnings })).not.toHaveProperty('toolConfig');
    expect(warnings.map((w) => w.setting)).toEqual(['toolChoice']);
    const history: Message[] = [user('q'), { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'lookup', arguments: '{}' }] }, { role: 'tool', toolCallId: 't', content: [text('r')] }];
    const kept = encode({ tools: [TOOL], toolChoice: { type: 'none' }, messages: history }, { warnings });
    expect(kept.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'lookup', description: 'Looks up.', inputSchema: { json: TOOL.parameters } } }] });
    expect(warnings).toHaveLength(2);
  });

  it('declares a tool offering nothing when a conversation with tool calls comes without tools (Converse then requires a toolConfig)', () => {
    const history: Message[] = [user('q'), { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'lookup', arguments: '{}' }] }, { role: 'tool', toolCallId: 't', content: [text('r')] }, user('Summarise this.')];
    const body = encode({ messages: history });
    expect(body.toolConfig?.tools.map((t) => ('toolSpec' in t ? t.toolSpec.name : 'cachePoint'))).toEqual(['no_tools_available']);
    expect(body.toolConfig).not.toHaveProperty('toolChoice');
    expect(encode({})).not.toHaveProperty('toolConfig');
  });

  it('sends no blank text: blank parts are dropped, and an empty tool result says so', () => {
    const history: Message[] = [
      { role: 'user', content: [text(' '), text('q')] },
      { role: 'assistant', content: [text('\n'), { type: 'tool-call', id: 't', name: 'lookup', arguments: '{}' }] },
      { role: 'tool', toolCallId: 't', content: [text('')] },
      { role: 'tool', toolCallId: 'u', content: [] },
    ];
    expect(encode({ tools: [TOOL], messages: history }).messages).toEqual([
      { role: 'user', content: [{ text: 'q' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'lookup', input: {} } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: '(empty)' }] } }, { toolResult: { toolUseId: 'u', content: [{ text: '(empty)' }] } }] },
    ]);
  });

  it('refuses before sending a user message with nothing but blank text, naming it (Converse would leave the conversation empty or ending on the assistant)', () => {
    // A cache hint on the blank text is no content either (Claude takes cache points in messages).
    for (const content of [[text('')], [text(' ')], [], [{ ...text('\n'), cacheControl: { type: 'ephemeral' as const } }]]) {
      const refused = thrown(() => encode({ messages: [user('q'), { role: 'assistant', content: [text('a')] }, { role: 'user', content }] }, { model: CLAUDE }));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable]).toEqual(['invalid_request', 'messages[2].content', true, true]);
    }
  });

  it('leaves a blank assistant message out, merging the user turns around it', () => {
    const body = encode({ messages: [user('one'), { role: 'assistant', content: [text(' ')] }, user('two')] });
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'one' }, { text: 'two' }] }]);
  });

  it('refuses before sending a conversation with no user or assistant content (Converse refuses no messages on every model)', () => {
    const system: Message = { role: 'system', content: [text('Be brief.')] };
    for (const model of [NOVA, CLAUDE]) {
      const empty = thrown(() => encode({ messages: [system, { role: 'assistant', content: [text('')] }] }, { model }));
      expect(GatewayError.isInstance(empty) && [empty.kind, empty.param, empty.unsent, empty.fallbackable]).toEqual(['invalid_request', 'messages', true, true]);
    }
  });

  it('opens a conversation that starts with an assistant message with a one-token user turn for the models that refuse one (Nova, Llama, Mistral...), with a warning, keeping every message', () => {
    const system: Message = { role: 'system', content: [text('Be brief.')] };
    const warnings: Warning[] = [];
    const greeted = encode({ messages: [system, { role: 'assistant', content: [text(' ')] }, { role: 'assistant', content: [text('Hello, how can I help?')] }, user('hi')] }, { warnings });
    expect(greeted.messages).toEqual([
      { role: 'user', content: [{ text: '.' }] },
      { role: 'assistant', content: [{ text: 'Hello, how can I help?' }] },
      { role: 'user', content: [{ text: 'hi' }] },
    ]);
    expect(warnings).toEqual([{ type: 'other', setting: 'messages', message: expect.stringContaining('a user turn of "." was sent before the first assistant message') }]);
    // A seeded tool call keeps its result right after it.
    const call = { type: 'tool-call' as const, id: 't1', name: 'lookup', arguments: '{}' };
    const seeded = encode({ messages: [{ role: 'assistant', content: [call] }, { role: 'tool', toolCallId: 't1', content: [text('r')] }, user('go on')], tools: [TOOL] });
    expect(seeded.messages.map((m) => [m.role, m.content.length])).toEqual([['user', 1], ['assistant', 1], ['user', 2]]);
  });

  it('sends a conversation that starts with an assistant message as it is to Claude and Qwen, which take one, without a warning', () => {
    const greeting: Message[] = [{ role: 'system', content: [text('Be brief.')] }, { role: 'assistant', content: [text('Hello, how can I help?')] }, user('hi')];
    for (const model of [CLAUDE, 'anthropic.claude-3-5-haiku-20241022-v1:0', 'qwen.qwen3-32b-v1:0']) {
      const warnings: Warning[] = [];
      expect(encode({ messages: greeting }, { model, warnings }).messages).toEqual([
        { role: 'assistant', content: [{ text: 'Hello, how can I help?' }] },
        { role: 'user', content: [{ text: 'hi' }] },
      ]);
      expect(warnings).toEqual([]);
    }
  });

  it('refuses before sending a tool call no tool message answers right after it, naming it; at the end only for Claude, whose final assistant turn is a prefill', () => {
    const call = (id: string) => ({ type: 'tool-call' as const, id, name: 'lookup', arguments: '{}' });
    const skipped: Message[] = [user('q'), { role: 'assistant', content: [call('t1'), call('t2')] }, { role: 'tool', toolCallId: 't1', content: [text('r')] }, user('go on')];
    for (const model of [NOVA, CLAUDE]) {
      const refused = thrown(() => encode({ messages: skipped, tools: [TOOL] }, { model }));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable]).toEqual(['invalid_request', 'messages[1].content[1]', true, true]);
    }
    const ending: Message[] = [user('q'), { role: 'assistant', content: [text('Looking.'), call('t1')] }];
    const refused = thrown(() => encode({ messages: ending, tools: [TOOL] }, { model: CLAUDE }));
    expect(GatewayError.isInstance(refused) && refused.param).toBe('messages[1].content[1]');
    expect(encode({ messages: ending, tools: [TOOL] }, { model: NOVA }).messages).toHaveLength(2);
  });

  it('refuses tool-call arguments that are not a JSON object, naming the part', () => {
    const err = thrown(() => encode({ messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'f', arguments: '[1]' }] }] }));
    expect(GatewayError.isInstance(err) && [err.kind, err.param]).toEqual(['invalid_request', 'messages[0].content[0].arguments']);
  });

  it('maps sampling parameters, max tokens and stop sequences into inferenceConfig', () => {
    const body = encode({ temperature: 0.2, topP: 0.9, maxOutputTokens: 50, stopSequences: ['END'] });
    expect(body.inferenceConfig).toEqual({ maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
    // Claude since Opus 4.1 refuses temperature and top_p together.
    const warnings: Warning[] = [];
    expect(encode({ temperature: 0.2, topP: 0.9 }, { model: CLAUDE, warnings }).inferenceConfig).toEqual({ temperature: 0.2 });
    expect(warnings.map((w) => w.setting)).toEqual(['topP']);
  });

  it('clamps temperature to 0..1, the range Converse takes for every model, with a warning; parallel_tool_calls false is warned about, never sent', () => {
    for (const model of [NOVA, CLAUDE]) {
      const warnings: Warning[] = [];
      const body = encode({ temperature: 2, parallelToolCalls: false, tools: [TOOL] }, { model, warnings });
      expect(body.inferenceConfig?.temperature, model).toBe(1);
      expect(JSON.stringify(body), model).not.toMatch(/parallel/i);
      expect(warnings.map((w) => [w.setting, w.message]), model).toEqual([
        ['temperature', 'Bedrock Converse takes temperature from 0 to 1; 2 was sent as 1.'],
        ['parallelToolCalls', 'Bedrock Converse cannot be told to avoid parallel tool calls; the setting was ignored.'],
      ]);
    }
    const quiet: Warning[] = [];
    expect(encode({ temperature: 1, parallelToolCalls: true, tools: [TOOL] }, { warnings: quiet }).inferenceConfig?.temperature).toBe(1);
    expect(quiet).toEqual([]);
  });

  it("asks Claude's own answer for the stop sequence that fired, only when there are stop sequences", () => {
    expect(encode({ stopSequences: ['END', 'STOP'] }, { model: CLAUDE }).additionalModelResponseFieldPaths).toEqual(['/stop_sequence']);
    expect(encode({}, { model: CLAUDE })).not.toHaveProperty('additionalModelResponseFieldPaths');
    // Only Claude's native answer has the field.
    expect(encode({ stopSequences: ['END'] }, { model: NOVA })).not.toHaveProperty('additionalModelResponseFieldPaths');
  });

  it('maps JSON answers, with and without a schema, to structured output', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(encode({ responseFormat: { type: 'json', name: 'A', schema } }).outputConfig).toEqual({
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'A' } } },
    });
    expect(encode({ responseFormat: { type: 'json' } }).outputConfig?.textFormat.structure.jsonSchema).toEqual({ schema: '{"type":"object"}', name: 'json_object' });
    expect(encode({ responseFormat: { type: 'text' } })).not.toHaveProperty('outputConfig');
  });

  const cc = { type: 'ephemeral' as const };
  const hinted: Partial<ChatRequest> = {
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'long', cacheControl: cc }, text('short')] },
      { role: 'user', content: [{ type: 'text', text: 'doc', cacheControl: cc }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PIXEL }, cacheControl: cc }, text('q')] },
      { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'lookup', arguments: '{}' }] },
      { role: 'tool', toolCallId: 't', content: [{ type: 'text', text: 'r', cacheControl: cc }] },
    ],
    tools: [{ ...TOOL, cacheControl: cc }, { name: 'other' }],
  };

  it('writes a cachePoint after each system, user, tool-result part and tool that carries a cache hint', () => {
    const body = encode(hinted, { model: CLAUDE });
    expect(body.system).toEqual([{ text: 'long' }, CP, { text: 'short' }]);
    expect(body.messages[0]?.content).toEqual([{ text: 'doc' }, CP, { image: { format: 'png', source: { bytes: PIXEL } } }, CP, { text: 'q' }]);
    expect(body.messages[2]?.content).toEqual([{ toolResult: { toolUseId: 't', content: [{ text: 'r' }] } }, CP]);
    expect(body.toolConfig?.tools).toEqual([{ toolSpec: { name: 'lookup', description: 'Looks up.', inputSchema: { json: TOOL.parameters } } }, CP, { toolSpec: { name: 'other', inputSchema: { json: { type: 'object', properties: {} } } } }]);
    expect(encode({ messages: [{ role: 'system', content: [text('long')] }, user('x')] }).system).toEqual([{ text: 'long' }]);
  });

  it("writes a cachePoint after an assistant's text and tool call that carry a cache hint (a Messages tool_use's cache_control)", () => {
    const body = encode(
      {
        messages: [
          user('look'),
          { role: 'assistant', content: [{ type: 'text', text: 'Looking.', cacheControl: cc }, { type: 'tool-call', id: 't', name: 'lookup', arguments: '{}', cacheControl: { type: 'ephemeral', ttl: '1h' } }] },
          { role: 'tool', toolCallId: 't', content: [text('r')] },
        ],
        tools: [TOOL],
      },
      { model: CLAUDE },
    );
    expect(body.messages[1]?.content).toEqual([{ text: 'Looking.' }, CP, { toolUse: { toolUseId: 't', name: 'lookup', input: {} } }, { cachePoint: { type: 'default', ttl: '1h' } }]);
    // A model without cache points in its conversation gets none.
    expect(encode({ messages: [user('look'), { role: 'assistant', content: [{ type: 'text', text: 'Hm.', cacheControl: cc }] }, user('go on')] }, { model: 'meta.llama3-70b-instruct-v1:0' }).messages[1]?.content).toEqual([{ text: 'Hm.' }]);
  });

  it('sends cache points only where the model takes them: none to a model without prompt caching (Bedrock refuses them), none among Nova\'s tools', () => {
    const points = (model: string) => {
      const body = encode(hinted, { model });
      return [...(body.system ?? []), ...body.messages.flatMap((m) => m.content), ...(body.toolConfig?.tools ?? [])].filter((b) => 'cachePoint' in b).length;
    };
    expect(points(CLAUDE)).toBe(5);
    expect(points(NOVA)).toBe(4);
    expect(points('meta.llama3-3-70b-instruct-v1:0')).toBe(0);
    expect(points('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.deepseek.r1-v1:0')).toBe(0);
    expect(points('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123')).toBe(5);
  });

  describe('one-hour cache hints (cache_control ttl 1h)', () => {
    const hour = { type: 'ephemeral' as const, ttl: '1h' as const };
    const CP_1H = { cachePoint: { type: 'default', ttl: '1h' } };
    const hourly: Partial<ChatRequest> = {
      messages: [{ role: 'system', content: [{ type: 'text', text: 'long', cacheControl: hour }] }, { role: 'user', content: [{ type: 'text', text: 'doc', cacheControl: hour }] }],
      tools: [{ ...TOOL, cacheControl: hour }],
    };

    it.each([CLAUDE, 'global.anthropic.claude-opus-4-6-v1', 'anthropic.claude-haiku-4-5-20251001-v1:0', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123'])(
      'are sent as one-hour cache points to %s, which keeps them that long',
      (model) => {
        const body = encode(hourly, { model });
        expect(body.system).toEqual([{ text: 'long' }, CP_1H]);
        expect(body.messages[0]?.content).toEqual([{ text: 'doc' }, CP_1H]);
        expect(body.toolConfig?.tools[1]).toEqual(CP_1H);
      },
    );

    it('are sent as five-minute cache points, with a warning, to a model that keeps none an hour', () => {
      for (const model of ['anthropic.claude-sonnet-4-20250514-v1:0', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', NOVA]) {
        const warnings: Warning[] = [];
        const body = encode(hourly, { model, warnings });
        expect(body.messages[0]?.content, model).toEqual([{ text: 'doc' }, CP]);
        expect(warnings, model).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'cacheControl' })]);
      }
    });

    it("makes the deployment's system prompt cache point last an hour when a later one does (Bedrock refuses a shorter one before a longer)", () => {
      const later: Partial<ChatRequest> = { messages: [{ role: 'system', content: [text('long')] }, { role: 'user', content: [{ type: 'text', text: 'doc', cacheControl: hour }] }] };
      expect(encode(later, { model: CLAUDE, cacheSystemPrompt: true }).system).toEqual([{ text: 'long' }, CP_1H]);
      expect(encode({ messages: [{ role: 'system', content: [text('long')] }, user('x')] }, { model: CLAUDE, cacheSystemPrompt: true }).system).toEqual([{ text: 'long' }, CP]);
    });
  });

  it('appends a cachePoint after the system prompt when the deployment asks, once', () => {
    expect(encode({ messages: [{ role: 'system', content: [text('long')] }, user('x')] }, { cacheSystemPrompt: true }).system).toEqual([{ text: 'long' }, CP]);
    const marked = encode({ messages: [{ role: 'system', content: [{ type: 'text', text: 'long', cacheControl: { type: 'ephemeral' } }] }, user('x')] }, { cacheSystemPrompt: true });
    expect(marked.system).toEqual([{ text: 'long' }, CP]);
  });

  it('carries only listed passthrough fields, in additionalModelRequestFields', () => {
    const request = req({ passthrough: { top_k: 5, guardrailConfig: { id: 'g' } } });
    const body = encodeConverseRequest(request, { model: NOVA, passthrough: ['top_k'] });
    expect(body.additionalModelRequestFields).toEqual({ top_k: 5 });
    expect(body).not.toHaveProperty('guardrailConfig');
    expect(encodeConverseRequest(request, { model: NOVA })).not.toHaveProperty('additionalModelRequestFields');
  });

  it('warns about settings Converse has no field for', () => {
    const warnings: Warning[] = [];
    encode({ seed: 1, presencePenalty: 0.1, frequencyPenalty: 0.2 }, { warnings });
    expect(warnings.map((w) => w.setting)).toEqual(['seed', 'presencePenalty', 'frequencyPenalty']);
  });
});

describe('encodeConverseRequest: Claude model fields and reasoning', () => {
  const claude = (r: Partial<ChatRequest>, warnings: Warning[] = []) => encode(r, { model: CLAUDE, warnings });

  it('sends top_k to Claude models as a model field, and warns for others', () => {
    expect(claude({ topK: 40 }).additionalModelRequestFields).toEqual({ top_k: 40 });
    const warnings: Warning[] = [];
    expect(encode({ topK: 40, reasoning: { enabled: true } }, { warnings })).not.toHaveProperty('additionalModelRequestFields');
    expect(warnings.map((w) => w.setting)).toEqual(['topK', 'reasoning']);
  });

  it('maps an effort-only request to a thinking budget, with maxTokens above it', () => {
    const body = claude({ reasoning: { enabled: true, effort: 'high' } });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 24_576 } });
    expect(body.inferenceConfig).toEqual({ maxTokens: 24_576 + 4096 });
  });

  it('maps a budget-only request as given, keeping a larger maxTokens', () => {
    const body = claude({ maxOutputTokens: 10_000, reasoning: { enabled: true, budgetTokens: 5000 } });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 5000 } });
    expect(body.inferenceConfig).toEqual({ maxTokens: 10_000 });
  });

  it('sends nothing for disabled reasoning', () => {
    expect(claude({ reasoning: { enabled: false } })).not.toHaveProperty('additionalModelRequestFields');
  });

  it("drops temperature and top_k while thinking, with warnings, and passthrough fields still join", () => {
    const warnings: Warning[] = [];
    const body = encodeConverseRequest(req({ temperature: 0.7, topK: 5, reasoning: { enabled: true, budgetTokens: 2048 }, passthrough: { anthropic_beta: ['x'] } }), {
      model: CLAUDE,
      warnings,
      passthrough: ['anthropic_beta'],
    });
    expect(body.inferenceConfig).toEqual({ maxTokens: 4096 });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 }, anthropic_beta: ['x'] });
    expect(warnings.map((w) => w.setting)).toEqual(['temperature', 'topK']);
  });

  const history = (parts: Message['content']): Partial<ChatRequest> => ({ messages: [user('q'), { role: 'assistant', content: parts } as Message, user('more')] });
  const mixed: Message['content'] = [
    { type: 'reasoning', text: 'thought', signature: 'sig', provider: 'anthropic' },
    { type: 'redacted-reasoning', data: 'b3BhcXVl', provider: 'anthropic' },
    { type: 'redacted-reasoning', data: 'YmVkcm9jaw==', provider: 'bedrock' },
    { type: 'reasoning', text: 'nova', signature: 'nsig', provider: 'bedrock' },
    { type: 'reasoning', text: 'unsigned', provider: 'anthropic' },
    { type: 'reasoning', text: 'other', signature: 's', provider: 'google' },
    text('answer'),
  ];

  it("sends Claude models only Claude's own reasoning back: signed, or redacted", () => {
    expect(claude(history(mixed)).messages[1]?.content).toEqual([
      { reasoningContent: { reasoningText: { text: 'thought', signature: 'sig' } } },
      { reasoningContent: { redactedContent: 'b3BhcXVl' } },
      { text: 'answer' },
    ]);
  });

  it('sends other models no reasoning back at all, whoever signed it', () => {
    expect(encode(history(mixed)).messages[1]?.content).toEqual([{ text: 'answer' }]);
  });

  const toolLoop = (assistant: Message['content']): Partial<ChatRequest> => ({
    tools: [TOOL],
    reasoning: { enabled: true, effort: 'low' },
    messages: [user('Please call the tool'), { role: 'assistant', content: assistant } as Message, { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'sunny', cacheControl: { type: 'ephemeral' } }] }],
  });
  const call = { type: 'tool-call' as const, id: 't1', name: 'lookup', arguments: '{"q":"x"}' };

  it("turns Claude's thinking off, with a warning, in a tool loop whose assistant turn does not start with Claude's signed reasoning", () => {
    const warnings: Warning[] = [];
    const body = claude(toolLoop([{ type: 'reasoning', text: 'I should call it' }, call]), warnings);
    expect(body).not.toHaveProperty('additionalModelRequestFields');
    expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'reasoning', message: expect.stringContaining('tool loop') })]);
    const signed = claude(toolLoop([{ type: 'reasoning', text: 't', signature: 's', provider: 'anthropic' }, call]));
    expect(signed.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it('sends maxOutputTokens as maxTokens with the budget inside it, or no thinking when none of 1,024 fits', () => {
    expect(claude({ maxOutputTokens: 10_000, reasoning: { enabled: true, effort: 'high' } })).toMatchObject({
      inferenceConfig: { maxTokens: 10_000 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 5000 } },
    });
    const warnings: Warning[] = [];
    const small = claude({ maxOutputTokens: 64, reasoning: { enabled: true, effort: 'high' } }, warnings);
    expect(small.inferenceConfig).toEqual({ maxTokens: 64 });
    expect(small).not.toHaveProperty('additionalModelRequestFields');
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
  });

  it('encodes a turn of 200,000 parts without overflowing the stack', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => text(`p${i}`));
    const body = encode({ messages: [user('a'), { role: 'user', content: many }] });
    expect(body.messages[0]?.content).toHaveLength(200_001);
  });

  it('refuses passthrough of the model fields it writes for Claude models (thinking, output_config, top_k), not for others', () => {
    expect(conversePassthroughProblem(['anthropic_beta', 'thinking'], CLAUDE)).toContain('"thinking"');
    expect(conversePassthroughProblem(['output_config'], OPUS_4_7)).toContain('"output_config"');
    expect(conversePassthroughProblem(['top_k'], CLAUDE)).toContain('"top_k"');
    expect(conversePassthroughProblem(['anthropic_beta'], CLAUDE)).toBeUndefined();
    expect(conversePassthroughProblem(['top_k'], 'meta.llama3-70b-instruct-v1:0')).toBeUndefined();
    const fieldsOf = (r: Partial<ChatRequest>, model: string) => Object.keys(encode(r, { model }).additionalModelRequestFields ?? {});
    const written = new Set([...fieldsOf({ topK: 3 }, CLAUDE), ...fieldsOf({ reasoning: { enabled: true } }, CLAUDE), ...fieldsOf({ reasoning: { enabled: true, effort: 'low' } }, OPUS_4_7)]);
    expect([...written].sort()).toEqual([...CLAUDE_MODEL_FIELDS].sort());
  });
});

const OPUS_4_7 = 'us.anthropic.claude-opus-4-7';

/**
 * Claude Opus 4.7 and later refuse the budget form of thinking on Bedrock as on Anthropic's API; Claude
 * 4.6 takes both. Adaptive thinking travels as Claude's own fields in additionalModelRequestFields.
 */
describe('encodeConverseRequest: adaptive thinking for the Claude models that take it', () => {
  const on = (model: string, r: Partial<ChatRequest>, warnings: Warning[] = []) => encode(r, { model, warnings });

  it('asks Claude Opus 4.7 for adaptive thinking at the mapped effort, with maxTokens leaving room for it', () => {
    const body = on(OPUS_4_7, { reasoning: { enabled: true, effort: 'medium' } });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } });
    expect(body.inferenceConfig).toEqual({ maxTokens: 4096 + 8192 });
    expect(on('global.anthropic.claude-sonnet-5-v1', { maxOutputTokens: 2000, reasoning: { enabled: true } })).toMatchObject({
      inferenceConfig: { maxTokens: 2000 },
      additionalModelRequestFields: { thinking: { type: 'adaptive' } },
    });
  });

  it("sends Claude's efforts above high by the same rules as the Messages API: xhigh from Opus 4.7 on, max from 4.6 on", () => {
    expect(on(OPUS_4_7, { reasoning: { enabled: true, effort: 'xhigh' } }).additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } });
    const warnings: Warning[] = [];
    const sonnet = on('us.anthropic.claude-sonnet-4-6', { reasoning: { enabled: true, effort: 'xhigh' } }, warnings);
    expect(sonnet.additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
    expect(warnings.map((w) => w.setting)).toEqual(['reasoning']);
    expect(on('us.anthropic.claude-sonnet-4-6', { reasoning: { enabled: true, effort: 'max' } }).additionalModelRequestFields).toMatchObject({ output_config: { effort: 'max' } });
  });

  it("maps an explicit budget to the nearest effort on a model that refuses budgets, with a warning", () => {
    const warnings: Warning[] = [];
    const body = on('arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7', { maxOutputTokens: 10_000, reasoning: { enabled: true, budgetTokens: 2000 } }, warnings);
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
    expect(body.inferenceConfig).toEqual({ maxTokens: 10_000 });
    expect(warnings).toEqual([expect.objectContaining({ setting: 'reasoning', message: expect.stringContaining('budget of 2000 tokens was sent as the effort low') })]);
  });

  it('sends Claude 4.6 the budget form when the request gives a budget, adaptive thinking otherwise', () => {
    expect(on('us.anthropic.claude-opus-4-6-v1', { reasoning: { enabled: true, budgetTokens: 3000 } }).additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 3000 } });
    expect(on('us.anthropic.claude-opus-4-6-v1', { reasoning: { enabled: true, effort: 'high' } }).additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
  });

  it('drops temperature and top_k for adaptive thinking too, with warnings', () => {
    const warnings: Warning[] = [];
    const body = on(OPUS_4_7, { temperature: 0.3, topK: 5, reasoning: { enabled: true, effort: 'low' } }, warnings);
    expect(body.inferenceConfig).not.toHaveProperty('temperature');
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
    expect(warnings.map((w) => w.setting)).toEqual(['temperature', 'topK']);
  });
});
