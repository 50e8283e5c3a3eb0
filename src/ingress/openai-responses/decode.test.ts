import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { openAIErrorBody } from '../openai-chat/errors.js';
import { decodeResponsesRequest } from './decode.js';
import { sealReasoning } from './reasoning.js';

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
  it('refuses a body that is not an object with param null, as OpenAI refuses the body as a whole', () => {
    for (const body of [[], 'x', 3, null]) {
      try {
        decodeResponsesRequest(body);
      } catch (err) {
        expect(GatewayError.isInstance(err) && openAIErrorBody(err).error).toEqual({ message: 'The request body must be a JSON object.', type: 'invalid_request_error', param: null, code: null });
        continue;
      }
      throw new Error('accepted');
    }
  });

  it('refuses an input of only empty reasoning items saying why, not that the input is empty', () => {
    expect(refusal({ model: 'm', input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] })).toEqual({
      param: 'input',
      status: 400,
      message: "'input' holds nothing to send: its reasoning items have neither a summary nor encrypted_content, and no message follows them.",
    });
    expect(refusal({ model: 'm', input: [] })).toEqual({ param: 'input', status: 400, message: "'input' must not be empty." });
  });

  // As the API answers each: its code (never null), its param, its words.
  it.each([
    ['temperature 5', { temperature: 5 }, { param: 'temperature', code: 'decimal_above_max_value', message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead." }],
    ['temperature -0.5', { temperature: -0.5 }, { param: 'temperature', code: 'decimal_below_min_value', message: "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -0.5 instead." }],
    ['temperature as a string', { temperature: 'hot' }, { param: 'temperature', code: 'invalid_type', message: "Invalid type for 'temperature': expected a decimal, but got a string instead." }],
    ['max_output_tokens 5', { max_output_tokens: 5 }, { param: 'max_output_tokens', code: 'integer_below_min_value', message: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 instead." }],
    ['a role the API has not', { input: [{ role: 'robot', content: 'x' }] }, { param: 'input[0].role', code: 'invalid_value', message: "Invalid value: 'robot'. Supported values are: 'user', 'assistant', 'system', and 'developer'." }],
    ['a role that is no string', { input: [{ type: 'message', role: 7, content: 'x' }] }, { param: 'input[0].role', code: 'invalid_type', message: "Invalid type for 'input[0].role': expected one of 'user', 'assistant', 'system', or 'developer', but got an integer instead." }],
    ['a message without a role', { input: [{ type: 'message', content: 'x' }] }, { param: 'input[0].role', code: 'missing_required_parameter', message: "Missing required parameter: 'input[0].role'." }],
  ])('refuses %s with the code OpenAI sets', (_, body, expected) => {
    let told: unknown;
    try {
      decodeResponsesRequest({ model: 'm', input: 'hi', ...body });
    } catch (err) {
      told = GatewayError.isInstance(err) ? openAIErrorBody(err).error : err;
    }
    expect(told).toEqual({ type: 'invalid_request_error', ...expected });
  });

  it('maps input items to canonical turns: function calls join the assistant turn before them, outputs become tool messages', () => {
    const req = decodeResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' },
            { type: 'input_image', image_url: 'https://example.com/a.png' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' },
            { type: 'input_file', file_url: 'https://example.com/b.pdf' },
          ],
        },
        { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', call_id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'snow' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'sun' }, { type: 'input_image', image_url: 'https://example.com/sun.png' }] },
      ],
    });
    expect(req.instructions).toEqual({ role: 'system', content: [{ type: 'text', text: 'Be brief.' }] });
    expect(req.input).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Use metric units.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather?' },
          { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA' }, detail: 'low' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, detail: 'auto' },
          { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBE' }, filename: 'a.pdf' },
          { type: 'file', source: { type: 'url', url: 'https://example.com/b.pdf' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool-call', id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'snow' }] },
      { role: 'tool', toolCallId: 'c2', content: [{ type: 'text', text: 'sun' }, { type: 'image', source: { type: 'url', url: 'https://example.com/sun.png' }, detail: 'auto' }] },
    ]);
  });

  it('makes reasoning items, the message after them and their function calls one assistant turn, ours with their sealed signature', () => {
    const sealed = sealReasoning({ type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' });
    const req = decodeResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: sealed },
        { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: sealReasoning({ type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' }) },
        { type: 'reasoning', id: 'rs_3', summary: [{ type: 'summary_text', text: 'Elsewhere.' }], encrypted_content: 'gAAAA-not-ours' },
        { type: 'reasoning', id: 'rs_4', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'snow' },
      ],
    });
    expect(req.input[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' },
        { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
        { type: 'reasoning', text: 'Elsewhere.', signature: 'gAAAA-not-ours' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool-call', id: 'c1', name: 'weather', arguments: '{}' },
      ],
    });
    expect(req.input).toHaveLength(3);
  });

  it('joins an assistant message of 200,000 parts to the reasoning before it without overflowing the stack', () => {
    const content = Array.from({ length: 200_000 }, () => ({ type: 'output_text', text: 'x' }));
    const sealed = sealReasoning({ type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' });
    const req = decodeResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'Go' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: sealed },
        { type: 'message', role: 'assistant', content },
      ],
    });
    expect(req.input[1]?.content).toHaveLength(200_001);
  });

  it("echoes a tool's strict mode as it goes upstream: as given, or off when the client named none", () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const req = decodeResponsesRequest({ model: 'm', input: 'hi', tools: [{ type: 'function', name: 'f', parameters: schema }, { type: 'function', name: 'g', parameters: schema, strict: true }] });
    expect(req.chat.tools).toEqual([{ name: 'f', parameters: schema }, { name: 'g', parameters: schema, strict: true }]);
    expect(req.echo.tools.map((t) => { const { name, strict } = t as { name: string; strict: boolean }; return [name, strict]; })).toEqual([
      ['f', false],
      ['g', true],
    ]);
  });

  it('maps tools, tool_choice, text.format, limits and reasoning effort, and forwards neither metadata nor store', () => {
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
      user: 'u1',
      metadata: { team: 'a' },
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      store: false,
      parallel_tool_calls: false,
    });
    expect(req.chat).toEqual({
      model: 'm',
      tools: [{ name: 'f', description: 'd', parameters: schema, strict: true }],
      toolChoice: { type: 'tool', name: 'f' },
      parallelToolCalls: false,
      responseFormat: { type: 'json', name: 'out', schema, strict: true },
      maxOutputTokens: 64,
      providerOptions: { openai: { max_tokens_field: 'max_completion_tokens' } },
      temperature: 0.5,
      topP: 0.9,
      user: 'u1',
      reasoning: { enabled: true, effort: 'high' },
    });
    expect(req.store).toBe(false);
    expect(req.reasoningShown).toEqual({ encrypted: true, summaries: true });
    // Summaries are opt-in, as on the API: reasoning.summary, or its deprecated generate_summary.
    expect(decodeResponsesRequest({ model: 'm', input: 'x', reasoning: { effort: 'low' } }).reasoningShown).toEqual({ encrypted: false, summaries: false });
    expect(decodeResponsesRequest({ model: 'm', input: 'x', reasoning: { generate_summary: 'concise' } }).reasoningShown.summaries).toBe(true);
    expect(req.echo.metadata).toEqual({ team: 'a' });
    expect(req.echo.reasoning).toEqual({ effort: 'high', summary: 'auto' });
  });

  it('turns reasoning off for effort none, asks for JSON for json_object, and refuses an unknown effort', () => {
    const chat = (body: Record<string, unknown>): unknown => decodeResponsesRequest({ model: 'm', input: 'x', ...body }).chat;
    expect(chat({ reasoning: { effort: 'none' } })).toEqual({ model: 'm', reasoning: { enabled: false } });
    expect(chat({ reasoning: { summary: 'auto' }, text: { format: { type: 'json_object' } } })).toEqual({ model: 'm', responseFormat: { type: 'json' } });
    expect(chat({ text: { format: { type: 'text' } } })).toEqual({ model: 'm' });
    expect(refusal({ model: 'm', input: 'x', reasoning: { effort: 'extreme' } })).toMatchObject({ status: 400, param: 'reasoning.effort' });
  });

  it('refuses built-in tools, unsupported items and unknown fields with a 400 naming the parameter', () => {
    expect(refusal({ model: 'm', input: 'x', tools: [{ type: 'file_search', vector_store_ids: [] }] })).toMatchObject({ status: 400, param: 'tools[0].type', message: expect.stringContaining("'file_search' is not supported") });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'x' }] })).toMatchObject({ status: 400, param: 'input[0].type' });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] })).toMatchObject({ param: 'input[0].content[0].file_data' });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'JVBE' }] }] })).toMatchObject({ param: 'input[0].content[0].file_data' });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] })).toMatchObject({ param: 'input[0].content[0].type' });
    expect(refusal({ model: 'm', input: 'x', conversation: 'conv_1' })).toMatchObject({ param: 'conversation' });
    expect(refusal({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } })).toMatchObject({ param: 'text.format.schema' });
    expect(refusal({ model: 'm', input: [] })).toMatchObject({ param: 'input' });
    expect(refusal({ model: 'm', input: 'x', metadata: { n: 1 } })).toMatchObject({ param: 'metadata' });
    expect(refusal({ model: 'm', input: 'x', tool_choice: { type: 'function', name: 'g' } })).toMatchObject({ param: 'tool_choice.name' });
    expect(refusal({ model: 'm', input: 'x', tool_choice: 'required' })).toMatchObject({ status: 400, param: 'tool_choice' });
  });

  it('refuses a wrong value for a field it takes and does not forward, as OpenAI would, rather than ignore it', () => {
    expect(refusal({ model: 'm', input: 'x', truncation: 5 })).toMatchObject({ status: 400, param: 'truncation', message: "Invalid value for 'truncation': expected one of 'auto', 'disabled'." });
    expect(refusal({ model: 'm', input: 'x', service_tier: 'fastest' })).toMatchObject({ status: 400, param: 'service_tier' });
    expect(refusal({ model: 'm', input: 'x', stream_options: true })).toMatchObject({ status: 400, param: 'stream_options' });
    expect(refusal({ model: 'm', input: 'x', safety_identifier: 7 })).toMatchObject({ status: 400, param: 'safety_identifier' });
    expect(refusal({ model: 'm', input: 'x', prompt_cache_key: ['k'] })).toMatchObject({ status: 400, param: 'prompt_cache_key' });
    const ok = decodeResponsesRequest({ model: 'm', input: 'x', truncation: 'auto', service_tier: 'flex', stream_options: { include_obfuscation: false }, safety_identifier: 'u', prompt_cache_key: 'k' });
    expect(ok.chat).toEqual({ model: 'm' });
  });

  it("takes background: false, the API's default every response here has, and refuses background: true as unsupported, naming it", () => {
    expect(decodeResponsesRequest({ model: 'm', input: 'x', background: false }).chat).toEqual({ model: 'm' });
    expect(refusal({ model: 'm', input: 'x', background: true })).toMatchObject({
      status: 400,
      param: 'background',
      message: "Unsupported parameter: 'background' is not supported by this gateway, which runs no response in the background; leave it out, or stream the response (stream: true) to read a long answer as it comes.",
    });
    expect(refusal({ model: 'm', input: 'x', background: 'yes' })).toMatchObject({ status: 400, param: 'background', message: "'background' must be a boolean." });
  });

  it('names a type it cannot take by its kind when it is no string, never by String() (which throws for some objects)', () => {
    const hostile = { toString: 1, valueOf: 1 };
    expect(refusal({ model: 'm', input: [{ type: hostile }] })).toMatchObject({ status: 400, param: 'input[0].type' });
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: hostile }] }] })).toMatchObject({ status: 400, param: 'input[0].content[0].type' });
    expect(refusal({ model: 'm', input: 'hi', tools: [{ type: hostile }] })).toMatchObject({ status: 400, param: 'tools[0].type', message: expect.stringContaining("'an object'") });
  });

  it('refuses with its own 400 what an upstream would refuse: an empty user content, a non-base64 data URL, a user that is not a string', () => {
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [] }] })).toMatchObject({ status: 400, param: 'input[0].content' });
    const image = (url: string) => ({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: url }] }] });
    expect(refusal(image('data:image/png,abc'))).toMatchObject({ status: 400, param: 'input[0].content[0].image_url' });
    expect(refusal(image('file:///etc/passwd'))).toMatchObject({ status: 400, param: 'input[0].content[0].image_url' });
    const file = (url: string) => ({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_url: url }] }] });
    expect(refusal(file('gs://corp-private-bucket/a.pdf'))).toMatchObject({ status: 400, param: 'input[0].content[0].file_url' });
    expect(decodeResponsesRequest(image('data:image/png;base64,AAA')).input[0]?.content).toEqual([{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAA' }, detail: 'auto' }]);
    expect(refusal({ model: 'm', input: 'x', user: 123 })).toMatchObject({ status: 400, param: 'user' });
    expect(decodeResponsesRequest({ model: 'm', input: 'x', user: 'u-1' }).chat.user).toBe('u-1');
  });

  it("takes every image detail the API declares, original (full resolution) too, and names them all when refusing another", () => {
    const image = (detail: unknown) => ({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png', detail }] }] });
    for (const detail of ['auto', 'low', 'high', 'original']) {
      expect(decodeResponsesRequest(image(detail)).input[0]?.content).toEqual([{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, detail }]);
    }
    expect(refusal(image('full'))).toEqual({ status: 400, param: 'input[0].content[0].detail', message: "'input[0].content[0].detail' must be 'auto', 'low', 'high' or 'original'." });
  });

  it('accepts an empty or absent input when it continues a stored response, and requires one otherwise', () => {
    expect(decodeResponsesRequest({ model: 'm', input: [], previous_response_id: 'resp_1' }).previousResponseId).toBe('resp_1');
    expect(decodeResponsesRequest({ model: 'm', previous_response_id: 'resp_1' }).input).toEqual([]);
    expect(refusal({ model: 'm' })).toMatchObject({ status: 400, param: 'input' });
  });
});
