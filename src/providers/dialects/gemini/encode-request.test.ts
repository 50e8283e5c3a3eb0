import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, ChatRequest, Message, UserPart } from '../../../core/types.js';
import { encodeGenerateContentRequest } from './encode-request.js';
import { guessMimeType } from './encode-messages.js';
import { toGeminiSchema } from './schema.js';
import type { GeminiRequest } from './wire.js';
import { thrown } from '../../../testing/thrown.js';

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const assistant = (...content: AssistantPart[]): Message => ({ role: 'assistant', content });
const base = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'g', messages: [user('hi')], ...extra });
const encode = (extra: Partial<ChatRequest>): GeminiRequest => encodeGenerateContentRequest(base(extra)).body;
const withUserParts = (...content: UserPart[]): GeminiRequest => encode({ messages: [{ role: 'user', content }] });
const call = (id: string, name: string, args: string): AssistantPart => ({ type: 'tool-call', id, name, arguments: args });

describe('gemini request encoding: messages', () => {
  it('moves system messages into systemInstruction and maps roles to user/model', () => {
    const body = encode({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
        { role: 'system', content: [{ type: 'text', text: 'No ' }, { type: 'text', text: 'emojis.' }] },
        user('q1'),
        assistant({ type: 'text', text: 'a1' }),
        user('q2'),
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'No emojis.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'q1' }] },
      { role: 'model', parts: [{ text: 'a1' }] },
      { role: 'user', parts: [{ text: 'q2' }] },
    ]);
  });

  it('warns, naming their places, of system messages after the conversation began, joined to the systemInstruction; none for those at the start', () => {
    const system = (t: string): Message => ({ role: 'system', content: [{ type: 'text', text: t }] });
    const { body, warnings } = encodeGenerateContentRequest(base({ messages: [system('Be terse.'), user('q1'), system('Now in French.'), assistant({ type: 'text', text: 'a1' }), system('No emojis.'), user('q2')] }));
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'Now in French.' }, { text: 'No emojis.' }] });
    expect(warnings).toEqual([
      { type: 'other', setting: 'messages', message: 'System messages at messages[2], messages[4] were moved to the system prompt: Gemini takes system text only before the conversation.' },
    ]);
    expect(encodeGenerateContentRequest(base({ messages: [system('Be terse.'), system('No emojis.'), user('q')] })).warnings).toEqual([]);
  });

  it('sends no empty text: Vertex refuses a request with an empty text parameter', () => {
    const body = encode({ messages: [{ role: 'system', content: [{ type: 'text', text: '' }] }, { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'question' }] }] });
    expect(body.systemInstruction).toBeUndefined();
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'question' }] }]);
  });

  it('refuses before sending a user message with nothing but blank text, naming it (dropped, it could leave no contents or a model turn last)', () => {
    for (const content of [[{ type: 'text' as const, text: '' }], [{ type: 'text' as const, text: ' \n' }], []]) {
      const refused = thrown(() => encode({ messages: [user('q'), assistant({ type: 'text', text: 'a' }), { role: 'user', content }] }));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable]).toEqual(['invalid_request', 'messages[2].content', true, true]);
    }
  });

  it('refuses before sending a conversation with no user or assistant content (Gemini refuses empty contents)', () => {
    const system: Message = { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] };
    const empty = thrown(() => encode({ messages: [system, assistant({ type: 'text', text: '' })] }));
    expect(GatewayError.isInstance(empty) && [empty.kind, empty.param, empty.unsent, empty.fallbackable]).toEqual(['invalid_request', 'messages', true, true]);
  });

  it('opens a conversation that starts with an assistant message with a one-token user turn (Gemini refuses a model turn first), keeping every message', () => {
    const system: Message = { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] };
    const { body: greeted, warnings: greetedWarnings } = encodeGenerateContentRequest(base({ messages: [system, assistant({ type: 'text', text: '' }), assistant({ type: 'text', text: 'Hello, how can I help?' }), user('hi')] }));
    expect(greeted.contents).toEqual([
      { role: 'user', parts: [{ text: '.' }] },
      { role: 'model', parts: [{ text: 'Hello, how can I help?' }] },
      { role: 'user', parts: [{ text: 'hi' }] },
    ]);
    // A seeded tool call: "function call turn comes immediately after a user turn or after a function response turn".
    const seeded = encodeGenerateContentRequest(
      base({ messages: [system, assistant(call('c1', 'render_app', '{"id":"a1"}')), { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'rendered' }] }, user('edit it')] }),
      'gemini-3-pro-preview',
    ).body;
    expect(greetedWarnings).toEqual([{ type: 'other', setting: 'messages', message: expect.stringContaining('a user turn of "." was sent before the first assistant message') }]);
    expect(seeded.contents).toEqual([
      { role: 'user', parts: [{ text: '.' }] },
      { role: 'model', parts: [{ functionCall: { name: 'render_app', args: { id: 'a1' } }, thoughtSignature: 'skip_thought_signature_validator' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'render_app', response: { content: 'rendered' } } }, { text: 'edit it' }] },
    ]);
  });

  it('sends one turn per role switch: consecutive assistant, tool and user messages merge (Gemini refuses two turns of one role in a row)', () => {
    const body = encode({
      messages: [
        user('q1'),
        user('q2'),
        assistant({ type: 'text', text: 'Let me look.' }),
        assistant(call('c1', 'f', '{}'), call('c2', 'g', '{}')),
        { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'r1' }] },
        { role: 'tool', toolCallId: 'c2', content: [{ type: 'text', text: 'r2' }] },
        user('thanks'),
      ],
    });
    expect(body.contents.map((c) => [c.role, c.parts.length])).toEqual([['user', 2], ['model', 3], ['user', 3]]);
  });

  it('refuses before sending a final assistant message (a prefill) to the models that refuse one (3.5 Flash-Lite, 3.6 Flash and later), naming it', () => {
    const prefill: Partial<ChatRequest> = { messages: [user('Name a colour.'), assistant({ type: 'text', text: 'The colour is' })] };
    for (const model of ['gemini-3.6-flash', 'gemini-3.5-flash-lite', 'gemini-3.5-flash-lite-preview-06-17', 'gemini-3.8-flash', 'publishers/google/models/gemini-3.7-pro', 'gemini-4.0-flash']) {
      const refused = thrown(() => encodeGenerateContentRequest(base(prefill), model));
      expect(GatewayError.isInstance(refused) && [refused.kind, refused.param, refused.unsent, refused.fallbackable], model).toEqual(['invalid_request', 'messages[1].role', true, true]);
    }
    for (const model of ['gemini-3.5-flash', 'gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-3.1-pro']) {
      expect(encodeGenerateContentRequest(base(prefill), model).body.contents.at(-1), model).toEqual({ role: 'model', parts: [{ text: 'The colour is' }] });
    }
    // A conversation ending with the user's turn (a tool result is one) goes to every model.
    const answered = base({ messages: [user('q'), assistant({ type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }), { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'r' }] }] });
    expect(encodeGenerateContentRequest(answered, 'gemini-3.6-flash').body.contents.at(-1)?.role).toBe('user');
  });

  it('merges a turn of 200,000 parts into the one before it of the same role without overflowing the stack', () => {
    const many: UserPart[] = Array.from({ length: 200_000 }, () => ({ type: 'text', text: 'x' }));
    const body = encode({ messages: [user('first'), { role: 'user', content: many }] });
    expect(body.contents).toHaveLength(1);
    expect(body.contents[0]?.parts).toHaveLength(200_001);
  });

  it('sends base64 images and files as inlineData and URL images as fileData, guessing an image type the source does not give', () => {
    const body = withUserParts(
      { type: 'text', text: 'look' },
      { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' }, detail: 'high' },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.webp?x=1' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/raw', mediaType: 'image/gif' } },
      { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, filename: 'a.pdf' },
      { type: 'file', source: { type: 'url', url: 'https://example.com/doc', mediaType: 'application/pdf' } },
    );
    expect(body.contents[0]?.parts).toEqual([
      { text: 'look' },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?x=1' } },
      { fileData: { mimeType: 'image/gif', fileUri: 'https://example.com/raw' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBE' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'https://example.com/doc' } },
    ]);
    expect(guessMimeType('https://x/y/photo.JPG')).toBe('image/jpeg');
    expect(guessMimeType('https://x/y/noext')).toBe('image/jpeg');
  });

  it("guesses an image URL's type as JPEG when its extension is named like an object's own properties (.constructor, .__proto__)", () => {
    for (const ext of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(guessMimeType(`https://example.com/cat.${ext}`), ext).toBe('image/jpeg');
      const url = `https://example.com/cat.${ext}`;
      expect(withUserParts({ type: 'image', source: { type: 'url', url } }).contents[0]?.parts).toEqual([{ fileData: { mimeType: 'image/jpeg', fileUri: url } }]);
    }
  });

  it('sends a base64 data URL given as a URL inline', () => {
    expect(withUserParts({ type: 'image', source: { type: 'url', url: 'data:image/png;base64,AAAA' } }).contents[0]?.parts).toEqual([{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }]);
  });

  it('refuses a file URL without a media type, naming the part', () => {
    const err = (() => {
      try {
        withUserParts({ type: 'text', text: 'read' }, { type: 'file', source: { type: 'url', url: 'https://example.com/doc.bin' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ kind: 'invalid_request', param: 'messages[0].content[1]' });
  });

  it('refuses a URL that is neither inline nor http(s), gs:// included (a client must not make the gateway read its buckets)', () => {
    for (const url of ['ftp://x/y.png', 'gs://private-bucket/secret.png', 'data:image/png,abc']) {
      expect(() => withUserParts({ type: 'image', source: { type: 'url', url } })).toThrow(GatewayError);
      expect(() => withUserParts({ type: 'file', source: { type: 'url', url, mediaType: 'application/pdf' } })).toThrow(GatewayError);
    }
  });

  it('encodes tool calls as functionCall and tool results as functionResponse named by the matching call', () => {
    const body = encode({
      messages: [
        user('weather in Oslo and Rome?'),
        assistant(call('call_a', 'weather', '{"city":"Oslo"}'), call('call_b', 'time', '')),
        { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: '3C' }] },
        { role: 'tool', toolCallId: 'call_b', content: [{ type: 'text', text: 'no clock' }], isError: true },
      ],
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Oslo and Rome?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'time', args: {} } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'weather', response: { content: '3C' } } }, { functionResponse: { name: 'time', response: { error: 'no clock' } } }],
      },
    ]);
  });

  it('refuses a tool message whose id matches no earlier call, non-object arguments and images in tool results', () => {
    expect(() => encode({ messages: [user('x'), { role: 'tool', toolCallId: 'nope', content: [{ type: 'text', text: 'r' }] }] })).toThrow(/does not match/);
    const badArgs = (args: string): ChatRequest => base({ messages: [user('x'), assistant(call('c', 'f', args))] });
    expect(() => encodeGenerateContentRequest(badArgs('[1]'))).toThrow(expect.objectContaining({ kind: 'invalid_request', param: 'messages[1].content[0].arguments' }));
    expect(() => encodeGenerateContentRequest(badArgs('{"a":'))).toThrow(expect.objectContaining({ kind: 'invalid_request' }));
    const image = base({
      messages: [user('x'), assistant(call('c', 'f', '{}')), { role: 'tool', toolCallId: 'c', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA' } }] }],
    });
    expect(() => encodeGenerateContentRequest(image)).toThrow(expect.objectContaining({ kind: 'invalid_request', param: 'messages[2].content[0]' }));
  });
});

describe('gemini request encoding: reasoning history and thought signatures', () => {
  const model = (...content: AssistantPart[]): GeminiRequest['contents'][number]['parts'] | undefined => encode({ messages: [user('q'), assistant(...content)] }).contents[1]?.parts;

  it('sends Google reasoning back as thoughts with their signatures and drops other providers\' reasoning', () => {
    expect(
      model(
        { type: 'reasoning', text: 'Anthropic thinking', signature: 'anthropic-sig', provider: 'anthropic' },
        { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
        { type: 'reasoning', text: 'no provider' },
        { type: 'reasoning', text: 'Pondering.', signature: 'sig-t', provider: 'google' },
        { type: 'text', text: 'Answer.' },
      ),
    ).toEqual([{ text: 'Pondering.', thought: true, thoughtSignature: 'sig-t' }, { text: 'Answer.' }]);
  });

  it('puts a signature that precedes a function call or a text back on that part', () => {
    expect(
      model(
        { type: 'reasoning', text: 'Need data.', provider: 'google' },
        { type: 'reasoning', text: '', signature: 'sig-call', provider: 'google' },
        call('c1', 'lookup', '{"q":"x"}'),
        call('c2', 'lookup', '{"q":"y"}'),
      ),
    ).toEqual([
      { text: 'Need data.', thought: true },
      { functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'sig-call' },
      { functionCall: { name: 'lookup', args: { q: 'y' } } },
    ]);
    expect(model({ type: 'reasoning', text: '', signature: 'sig-text', provider: 'google' }, { type: 'text', text: 'Done.' })).toEqual([{ text: 'Done.', thoughtSignature: 'sig-text' }]);
    expect(model({ type: 'text', text: 'Done.' }, { type: 'reasoning', text: '', signature: 'sig-end', provider: 'google' })).toEqual([{ text: 'Done.' }, { text: '', thoughtSignature: 'sig-end' }]);
  });

  it('moves a signature merged into the thoughts before a function call onto the call, where Gemini wants it', () => {
    expect(model({ type: 'reasoning', text: 'Need data.', signature: 'sig-call', provider: 'google' }, call('c1', 'lookup', '{}'))).toEqual([
      { text: 'Need data.', thought: true },
      { functionCall: { name: 'lookup', args: {} }, thoughtSignature: 'sig-call' },
    ]);
  });
});

describe('gemini request encoding: tools and settings', () => {
  const tools: ChatRequest['tools'] = [
    {
      name: 'lookup',
      description: 'Looks up.',
      parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { q: { type: 'string' } }, required: ['q'] },
      strict: true,
      cacheControl: { type: 'ephemeral' },
    },
    { name: 'ping', parameters: { type: 'object', properties: {} } },
  ];

  it('declares tools with Gemini-safe schemas', () => {
    expect(encode({ tools }).tools).toEqual([
      {
        functionDeclarations: [
          { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
          { name: 'ping' },
        ],
      },
    ]);
  });

  it("warns that a tool's strict: true was not sent, naming the tools, since Gemini's declarations have no such flag", () => {
    const { body, warnings } = encodeGenerateContentRequest(base({ tools }), 'gemini-2.5-flash');
    expect(JSON.stringify(body.tools)).not.toContain('strict');
    expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'strict', message: "Gemini takes no strict flag on a tool: 'lookup' went without it, so the arguments are not held to the schema." }]);
    const many = Array.from({ length: 7 }, (_, i) => ({ name: `t${i}`, strict: true }));
    expect(encodeGenerateContentRequest(base({ tools: many })).warnings[0]?.message).toContain("'t0', 't1', 't2', 't3', 't4' and 2 more went without it");
    expect(encodeGenerateContentRequest(base({ tools: [{ name: 'ping', strict: false }] })).warnings).toEqual([]);
  });

  it('maps every tool choice to a function calling mode', () => {
    expect(encode({ tools, toolChoice: { type: 'auto' } }).toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(encode({ tools, toolChoice: { type: 'none' } }).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(encode({ tools, toolChoice: { type: 'required' } }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(encode({ tools, toolChoice: { type: 'tool', name: 'ping' } }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['ping'] } });
    expect(encode({ tools }).toolConfig).toBeUndefined();
    expect(encode({ toolChoice: { type: 'none' } }).toolConfig).toBeUndefined();
  });

  it('warns that parallel tool calls cannot be turned off, and warns of nothing else', () => {
    const loose = tools?.map((t) => ({ ...t, strict: false }));
    expect(encodeGenerateContentRequest(base({ tools: loose, parallelToolCalls: false })).warnings).toEqual([
      { type: 'unsupported-setting', setting: 'parallelToolCalls', message: expect.stringContaining('parallel') as unknown },
    ]);
    const quiet = base({
      tools: loose,
      parallelToolCalls: true,
      topK: 3,
      user: 'u1',
      messages: [{ role: 'system', content: [{ type: 'text', text: 'long preamble', cacheControl: { type: 'ephemeral', ttl: '1h' } }] }, user('q')],
    });
    expect(encodeGenerateContentRequest(quiet).warnings).toEqual([]);
  });

  it('maps sampling, limits, stop sequences, seed and penalties into generationConfig, topK natively', () => {
    expect(encode({ temperature: 0.3, topP: 0.9, topK: 40, maxOutputTokens: 40, stopSequences: ['END'], seed: 7, presencePenalty: 0.1, frequencyPenalty: 0.2 }).generationConfig).toEqual({
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      maxOutputTokens: 40,
      stopSequences: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
    });
    expect(encode({}).generationConfig).toBeUndefined();
    expect(encode({ responseFormat: { type: 'text' } }).generationConfig).toBeUndefined();
  });

  it('asks for JSON, with the cleaned schema when the format gives one', () => {
    expect(encode({ responseFormat: { type: 'json' } }).generationConfig).toEqual({ responseMimeType: 'application/json' });
    const schema = { type: 'object', properties: { a: { type: ['integer', 'null'] } }, additionalProperties: false };
    expect(encode({ responseFormat: { type: 'json', schema, name: 'x', strict: true } }).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { a: { type: 'integer', nullable: true } } },
    });
  });

  it('maps reasoning to thinkingConfig: an explicit budget, an effort\'s budget, medium by default, and zero when off', () => {
    const thinking = (reasoning: ChatRequest['reasoning']): unknown => encode({ reasoning }).generationConfig?.thinkingConfig;
    expect(thinking({ enabled: true, budgetTokens: 5000, effort: 'high' })).toEqual({ thinkingBudget: 5000, includeThoughts: true });
    expect(thinking({ enabled: true, effort: 'low' })).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    expect(thinking({ enabled: true, effort: 'high' })).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    expect(thinking({ enabled: true })).toEqual({ thinkingBudget: 8192, includeThoughts: true });
    expect(thinking({ enabled: false })).toEqual({ thinkingBudget: 0 });
    expect(thinking(undefined)).toBeUndefined();
  });

  it("sends an effort above high (xhigh, max) as high's budget, Gemini having no higher setting, with a warning", () => {
    for (const effort of ['xhigh', 'max'] as const) {
      const { body, warnings } = encodeGenerateContentRequest(base({ reasoning: { enabled: true, effort } }), 'gemini-2.5-pro');
      expect(body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 24_576, includeThoughts: true });
      expect(warnings).toEqual([{ type: 'unsupported-setting', setting: 'reasoning', message: `Gemini takes a thinking budget, and no budget names the reasoning effort ${effort}; high's budget (24576 tokens) was sent.` }]);
    }
  });

  it("moves a thinking budget into a Gemini 2.5 model's range (outside it is a 400), with a warning", () => {
    const think = (model: string, budgetTokens: number) => encodeGenerateContentRequest(base({ reasoning: { enabled: true, budgetTokens } }), model);
    const flash = think('gemini-2.5-flash', 31_999);
    expect(flash.body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 24_576, includeThoughts: true });
    expect(flash.warnings.map((w) => w.setting)).toEqual(['reasoning']);
    expect(think('gemini-2.5-pro', 31_999).body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 31_999, includeThoughts: true });
    expect(think('gemini-2.5-pro', 50).body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 128, includeThoughts: true });
    expect(think('gemini-2.5-flash-lite', 100).body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 512, includeThoughts: true });
    expect(think('gemini-2.5-flash', 5_000).warnings).toEqual([]);
  });

  it('turns thinking down as far as it goes on models that cannot stop thinking (a zero budget is a 400 there), with a warning', () => {
    const off = (model: string) => encodeGenerateContentRequest(base({ reasoning: { enabled: false } }), model);
    expect(off('gemini-2.5-flash').body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 0 });
    const pro = off('gemini-2.5-pro');
    expect(pro.body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 128 });
    expect(pro.warnings.map((w) => w.setting)).toEqual(['reasoning']);
    const three = off('publishers/google/models/gemini-3-pro-preview');
    expect(three.body.generationConfig?.thinkingConfig).toEqual({ thinkingLevel: 'low' });
    expect(three.warnings.map((w) => w.setting)).toEqual(['reasoning']);
  });
});

describe('JSON schema to the Gemini OpenAPI subset', () => {
  it('keeps enums on strings only, moving the values of another type into its description', () => {
    expect(toGeminiSchema({ type: 'integer', enum: [1, 2, 3], description: 'Level.' })).toEqual({ type: 'integer', description: 'Level. Allowed values: 1, 2, 3.' });
    expect(toGeminiSchema({ enum: ['a', 'b'] })).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(toGeminiSchema({ type: 'boolean', const: true })).toEqual({ type: 'boolean', description: 'Allowed values: true.' });
  });

  it('types a schema with properties as an object, and requires only properties it has', () => {
    expect(toGeminiSchema({ properties: { a: { type: 'string' } }, required: ['a', 'b'] })).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    expect(toGeminiSchema({ type: 'object', required: ['a'] })).toEqual({ type: 'object' });
  });

  it('drops unsupported keys, folds null unions into nullable, const into enum, and converts nested items', () => {
    expect(
      toGeminiSchema({
        type: 'object',
        $defs: { x: {} },
        properties: {
          tags: { type: 'array', items: { type: 'string', format: 'uri', examples: ['a'] }, minItems: 1 },
          kind: { const: 'fixed' },
          when: { type: 'string', format: 'date-time' },
          maybe: { anyOf: [{ type: 'number' }, { type: 'null' }] },
          either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        kind: { type: 'string', enum: ['fixed'] },
        when: { type: 'string', format: 'date-time' },
        maybe: { type: 'number', nullable: true },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    });
  });
});

describe('gemini request encoding: a request-level cache hint (automatic caching)', () => {
  it('is not sent, with a warning: Gemini caches prefixes on its own and takes no hints', () => {
    const { body, warnings } = encodeGenerateContentRequest(base({ cacheControl: { type: 'ephemeral' } }), 'gemini-2.5-flash');
    expect(body).toEqual(encodeGenerateContentRequest(base({}), 'gemini-2.5-flash').body);
    expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'cacheControl' })]);
  });
});
