import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { validateChatRequest, validateEmbeddingRequest } from './validate.js';

const TOOL = { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } };

function paramOf(body: Record<string, unknown>): string | undefined {
  try {
    validateChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...body });
  } catch (err) {
    if (GatewayError.isInstance(err) && err.status === 400) return err.param;
    throw err;
  }
  return undefined;
}

describe('chat request validation', () => {
  it('refuses a tool_choice that is not none, auto, required or a function object, naming tool_choice', () => {
    expect(paramOf({ tools: [TOOL], tool_choice: 'always' })).toBe('tool_choice');
    expect(paramOf({ tools: [TOOL], tool_choice: 7 })).toBe('tool_choice');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'tool', function: { name: 'lookup' } } })).toBe('tool_choice.type');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'function' } })).toBe('tool_choice.function.name');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'function', function: { name: 'other' } } })).toBe('tool_choice.function.name');
    expect(paramOf({ tool_choice: { type: 'function', function: { name: 'lookup' } } })).toBe('tool_choice.function.name');
  });

  it('accepts the tool_choice forms OpenAI documents', () => {
    for (const choice of ['none', 'auto', 'required', { type: 'function', function: { name: 'lookup' } }]) {
      expect(paramOf({ tools: [TOOL], tool_choice: choice })).toBeUndefined();
    }
  });

  it('refuses a json_schema response_format without its json_schema object or with a non-object schema', () => {
    expect(paramOf({ response_format: { type: 'json_schema' } })).toBe('response_format.json_schema');
    expect(paramOf({ response_format: { type: 'json_schema', json_schema: {} } })).toBe('response_format.json_schema.name');
    expect(paramOf({ response_format: { type: 'json_schema', json_schema: { name: 'a', schema: 'x' } } })).toBe('response_format.json_schema.schema');
    expect(paramOf({ response_format: { type: 'json_schema', json_schema: { name: 'a', schema: {}, strict: 'yes' } } })).toBe('response_format.json_schema.strict');
    expect(paramOf({ response_format: 'json' })).toBe('response_format.type');
    expect(paramOf({ response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } } })).toBeUndefined();
  });

  it('checks tool definitions field by field', () => {
    expect(paramOf({ tools: [{ type: 'function', function: { name: 'has space' } }] })).toBe('tools[0].function.name');
    expect(paramOf({ tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] })).toBe('tools[0].function.parameters');
    expect(paramOf({ tools: [{ type: 'function', function: { name: 'f', description: 1 } }] })).toBe('tools[0].function.description');
  });

  it('checks the types of the remaining optional fields', () => {
    expect(paramOf({ parallel_tool_calls: 'no' })).toBe('parallel_tool_calls');
    expect(paramOf({ stream_options: true })).toBe('stream_options');
    expect(paramOf({ stream_options: { include_usage: 1 } })).toBe('stream_options.include_usage');
    expect(paramOf({ user: 5 })).toBe('user');
    expect(paramOf({ messages: [{ role: 'user', content: 'x', name: 3 }] })).toBe('messages[0].name');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'u', detail: 'max' } }] }] })).toBe('messages[0].content[0].image_url.detail');
  });

  it('treats optional fields sent as null as absent and removes them', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: null, response_format: null, stream: null, user: null, stop: null };
    const req = validateChatRequest(body);
    expect(Object.keys(req).sort()).toEqual(['messages', 'model']);
  });

  it('gives a tool-call-only assistant turn null content, as the canonical type has it', () => {
    const req = validateChatRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      ],
    });
    expect(req.messages[1]).toMatchObject({ role: 'assistant', content: null });
  });
});

describe('embedding request validation', () => {
  it('names encoding_format and user when they have the wrong type, and drops nulls', () => {
    expect(() => validateEmbeddingRequest({ model: 'e', input: 'x', encoding_format: 'hex' })).toThrow(expect.objectContaining({ param: 'encoding_format' }));
    expect(() => validateEmbeddingRequest({ model: 'e', input: 'x', user: [] })).toThrow(expect.objectContaining({ param: 'user' }));
    expect(validateEmbeddingRequest({ model: 'e', input: 'x', encoding_format: null, dimensions: null })).toEqual({ model: 'e', input: 'x' });
  });
});
