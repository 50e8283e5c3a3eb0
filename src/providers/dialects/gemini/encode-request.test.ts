import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { ChatRequest } from '../../../core/types.js';
import { encodeGenerateContentRequest, guessMimeType } from './encode-request.js';
import { toGeminiSchema } from './schema.js';

const base = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'g', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('gemini request encoding', () => {
  it('moves system and developer messages into systemInstruction and maps roles to user/model', () => {
    const body = encodeGenerateContentRequest(
      base({
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'No emojis.' }] },
          { role: 'user', content: 'q1' },
          { role: 'assistant', content: 'a1' },
          { role: 'user', content: 'q2' },
        ],
      }),
    );
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'No emojis.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'q1' }] },
      { role: 'model', parts: [{ text: 'a1' }] },
      { role: 'user', parts: [{ text: 'q2' }] },
    ]);
  });

  it('sends data-URL images as inlineData and http images as fileData with a guessed MIME type', () => {
    const body = encodeGenerateContentRequest(
      base({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?x=1' } },
            ],
          },
        ],
      }),
    );
    expect(body.contents[0]?.parts).toEqual([
      { text: 'look' },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?x=1' } },
    ]);
    expect(guessMimeType('https://x/y/photo.JPG')).toBe('image/jpeg');
    expect(guessMimeType('https://x/y/noext')).toBe('image/jpeg');
  });

  it('rejects an image URL that is neither a data URL nor http(s), gs:// included (a client must not make the gateway read its buckets)', () => {
    for (const url of ['ftp://x/y.png', 'gs://private-bucket/secret.png']) {
      expect(() => encodeGenerateContentRequest(base({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] }))).toThrow(GatewayError);
    }
  });

  it('encodes tool calls as functionCall and tool results as functionResponse matched by name', () => {
    const body = encodeGenerateContentRequest(
      base({
        messages: [
          { role: 'user', content: 'weather in Oslo and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
              { id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: '3C' },
          { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'noon' }] },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Oslo and Rome?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'time', args: {} } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { content: '3C' } } },
          { functionResponse: { name: 'time', response: { content: 'noon' } } },
        ],
      },
    ]);
  });

  it('refuses a tool message whose id matches no earlier call, and non-object arguments', () => {
    const orphan = base({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }] });
    expect(() => encodeGenerateContentRequest(orphan)).toThrow(/does not match/);
    const badArgs = base({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] });
    expect(() => encodeGenerateContentRequest(badArgs)).toThrow(/JSON object/);
  });

  it('declares tools with Gemini-safe schemas and maps every tool_choice', () => {
    const tools: ChatRequest['tools'] = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Looks up.',
          parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { q: { type: 'string' } }, required: ['q'] },
        },
      },
      { type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } },
    ];
    const body = encodeGenerateContentRequest(base({ tools, tool_choice: 'required' }));
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
          { name: 'ping' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(encodeGenerateContentRequest(base({ tools, tool_choice: 'auto' })).toolConfig?.functionCallingConfig.mode).toBe('AUTO');
    expect(encodeGenerateContentRequest(base({ tools, tool_choice: 'none' })).toolConfig?.functionCallingConfig.mode).toBe('NONE');
    expect(encodeGenerateContentRequest(base({ tools, tool_choice: { type: 'function', function: { name: 'ping' } } })).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['ping'] },
    });
    expect(encodeGenerateContentRequest(base({ tools })).toolConfig).toBeUndefined();
  });

  it('maps sampling, limits, stop sequences, seed and JSON mode into generationConfig', () => {
    const body = encodeGenerateContentRequest(
      base({ temperature: 0.3, top_p: 0.9, max_tokens: 50, max_completion_tokens: 40, stop: 'END', seed: 7, presence_penalty: 0.1, frequency_penalty: 0.2, response_format: { type: 'json_object' } }),
    );
    expect(body.generationConfig).toEqual({
      temperature: 0.3,
      topP: 0.9,
      maxOutputTokens: 40,
      stopSequences: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseMimeType: 'application/json',
    });
    const schema = encodeGenerateContentRequest(base({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: ['integer', 'null'] } }, additionalProperties: false } } } }));
    expect(schema.generationConfig).toEqual({ responseMimeType: 'application/json', responseSchema: { type: 'object', properties: { a: { type: 'integer', nullable: true } } } });
    expect(encodeGenerateContentRequest(base({})).generationConfig).toBeUndefined();
  });
});

describe('JSON schema to the Gemini OpenAPI subset', () => {
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
