import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import type { ChatRequest } from '../../../core/types.js';
import { encodeConverseRequest } from './encode-request.js';

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const TOOL = { type: 'function' as const, function: { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };

describe('encodeConverseRequest', () => {
  it('moves system and developer messages into system blocks and keeps turns in order', () => {
    const body = encodeConverseRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use English.' }] },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'answer' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(body.system).toEqual([{ text: 'Be brief.' }, { text: 'Use English.' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'first' }] },
      { role: 'assistant', content: [{ text: 'answer' }] },
      { role: 'user', content: [{ text: 'second' }] },
    ]);
    expect(body.inferenceConfig).toBeUndefined();
  });

  it('turns a base64 data URL into image bytes with its format', () => {
    const body = encodeConverseRequest({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } }] }],
    });
    expect(body.messages[0]?.content).toEqual([{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: PIXEL } } }]);
  });

  it('refuses web image URLs and unknown image types as invalid requests', () => {
    const web = (): unknown => encodeConverseRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    expect(web).toThrow(GatewayError);
    expect(() => encodeConverseRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AA==' } }] }] })).toThrow(
      /tiff/,
    );
  });

  it('maps tool calls to toolUse and merges tool results with the next user text into one user turn', () => {
    const body = encodeConverseRequest({
      model: 'm',
      tools: [TOOL],
      tool_choice: 'required',
      messages: [
        { role: 'user', content: 'call it' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } },
            { id: 't2', type: 'function', function: { name: 'lookup', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 't1', content: 'A' },
        { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: 'B' }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [{ toolUse: { toolUseId: 't1', name: 'lookup', input: { q: 'a' } } }, { toolUse: { toolUseId: 't2', name: 'lookup', input: {} } }],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'A' }] } }, { toolResult: { toolUseId: 't2', content: [{ text: 'B' }] } }, { text: 'thanks' }],
    });
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'lookup', description: 'Looks up.', inputSchema: { json: TOOL.function.parameters } } }],
      toolChoice: { any: {} },
    });
  });

  it('maps tool_choice auto, a named function, and none (tools kept, no choice)', () => {
    const base: ChatRequest = { model: 'm', tools: [TOOL], messages: [{ role: 'user', content: 'x' }] };
    expect(encodeConverseRequest({ ...base, tool_choice: 'auto' }).toolConfig?.toolChoice).toEqual({ auto: {} });
    expect(encodeConverseRequest({ ...base, tool_choice: { type: 'function', function: { name: 'lookup' } } }).toolConfig?.toolChoice).toEqual({ tool: { name: 'lookup' } });
    const none = encodeConverseRequest({ ...base, tool_choice: 'none' });
    expect(none.toolConfig?.tools).toHaveLength(1);
    expect(none.toolConfig?.toolChoice).toBeUndefined();
  });

  it('refuses more than one choice', () => {
    expect(() => encodeConverseRequest({ model: 'm', n: 2, messages: [{ role: 'user', content: 'x' }] })).toThrow(/n must be 1/);
  });

  it('refuses tool-call arguments that are not a JSON object', () => {
    const bad = (): unknown =>
      encodeConverseRequest({ model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] });
    expect(bad).toThrow(/JSON object/);
  });

  it('maps sampling parameters, max tokens and stop sequences into inferenceConfig', () => {
    const body = encodeConverseRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 0.2, top_p: 0.9, max_completion_tokens: 50, max_tokens: 10, stop: 'END' });
    expect(body.inferenceConfig).toEqual({ maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
  });

  it('maps json_schema and json_object response formats to structured output', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const withSchema = encodeConverseRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'A', schema } } });
    expect(withSchema.outputConfig).toEqual({ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'A' } } } });
    const object = encodeConverseRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } });
    expect(object.outputConfig?.textFormat.structure.jsonSchema.schema).toBe('{"type":"object"}');
  });

  it('writes a cachePoint after system and user texts that carry a cache_control mark, once', () => {
    const mark = { type: 'ephemeral' as const };
    const body = encodeConverseRequest(
      {
        model: 'm',
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'long', cache_control: mark }] },
          { role: 'user', content: [{ type: 'text', text: 'doc', cache_control: mark }, { type: 'text', text: 'q' }] },
        ],
      },
      { cacheSystemPrompt: true },
    );
    expect(body.system).toEqual([{ text: 'long' }, { cachePoint: { type: 'default' } }]);
    expect(body.messages[0]?.content).toEqual([{ text: 'doc' }, { cachePoint: { type: 'default' } }, { text: 'q' }]);
    const plain = encodeConverseRequest({ model: 'm', messages: [{ role: 'system', content: [{ type: 'text', text: 'long' }] }, { role: 'user', content: 'x' }] });
    expect(plain.system).toEqual([{ text: 'long' }]);
  });

  it('appends a cachePoint after the system prompt when asked', () => {
    const body = encodeConverseRequest({ model: 'm', messages: [{ role: 'system', content: 'long' }, { role: 'user', content: 'x' }] }, { cacheSystemPrompt: true });
    expect(body.system).toEqual([{ text: 'long' }, { cachePoint: { type: 'default' } }]);
  });

  it('carries only listed passthrough fields, in additionalModelRequestFields', () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'x' }], top_k: 5, guardrailConfig: { id: 'g' } } as unknown as ChatRequest;
    const body = encodeConverseRequest(request, { passthrough: ['top_k'] });
    expect(body.additionalModelRequestFields).toEqual({ top_k: 5 });
    expect(body).not.toHaveProperty('guardrailConfig');
    expect(encodeConverseRequest(request)).not.toHaveProperty('additionalModelRequestFields');
  });
});
