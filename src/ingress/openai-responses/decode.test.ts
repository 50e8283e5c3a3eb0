import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeResponsesRequest } from './decode.js';

function refusal(body: unknown): { param: string | undefined; message: string; status: number } {
  try {
    decodeResponsesRequest(body);
  } catch (err) {
    if (GatewayError.isInstance(err)) return { param: err.param, message: err.message, status: err.status };
    throw err;
  }
  throw new Error('accepted');
}

describe('decoding a Responses request', () => {
  it('maps input items to chat turns: function calls join the assistant turn before them, outputs become tool messages, reasoning is dropped', () => {
    const req = decodeResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', call_id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'snow' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'sun' }] },
      ],
    });
    expect(req.instructions).toEqual({ role: 'system', content: 'Be brief.' });
    expect(req.input).toEqual([
      { role: 'developer', content: 'Use metric units.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } }] },
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'Checking.' }],
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 'c2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'snow' },
      { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'sun' }] },
    ]);
  });

  it('maps tools, tool_choice, text.format and limits, and forwards neither metadata, reasoning nor store', () => {
    const schema = { type: 'object', properties: {} };
    const req = decodeResponsesRequest({
      model: 'm',
      input: 'hi',
      tools: [{ type: 'function', name: 'f', description: 'd', parameters: schema, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'out', schema, strict: true }, verbosity: 'low' },
      max_output_tokens: 64,
      temperature: 0.5,
      top_p: 0.9,
      metadata: { team: 'a' },
      reasoning: { effort: 'high' },
      store: false,
      parallel_tool_calls: false,
    });
    expect(req.chat).toEqual({
      model: 'm',
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: schema, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } },
      max_completion_tokens: 64,
      temperature: 0.5,
      top_p: 0.9,
    });
    expect(req.store).toBe(false);
    expect(req.echo.metadata).toEqual({ team: 'a' });
    expect(req.echo.reasoning).toEqual({ effort: 'high', summary: null });
  });

  it('refuses built-in tools, unsupported items and unknown fields with a 400 naming the parameter', () => {
    expect(refusal({ model: 'm', input: 'x', tools: [{ type: 'file_search', vector_store_ids: [] }] })).toMatchObject({ status: 400, param: 'tools[0].type', message: expect.stringContaining("'file_search' is not supported") });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'x' }] })).toMatchObject({ status: 400, param: 'input[0].type' });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] })).toMatchObject({ param: 'input[0].content[0].type' });
    expect(refusal({ model: 'm', input: 'x', conversation: 'conv_1' })).toMatchObject({ param: 'conversation' });
    expect(refusal({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } })).toMatchObject({ param: 'text.format.schema' });
    expect(refusal({ model: 'm', input: [] })).toMatchObject({ param: 'input' });
    expect(refusal({ model: 'm', input: 'x', metadata: { n: 1 } })).toMatchObject({ param: 'metadata' });
    expect(refusal({ model: 'm', input: 'x', tool_choice: { type: 'function', name: 'g' } })).toMatchObject({ param: 'tool_choice.name' });
  });

  it('accepts an empty input when it continues a stored response', () => {
    expect(decodeResponsesRequest({ model: 'm', input: [], previous_response_id: 'resp_1' }).previousResponseId).toBe('resp_1');
  });
});
