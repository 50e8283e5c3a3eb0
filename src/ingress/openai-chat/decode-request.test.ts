import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeChatCompletionRequest } from './decode-request.js';
import { openAIErrorBody } from './errors.js';

const TOOL = { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } };
const USER = { role: 'user', content: 'x' };

function decode(body: Record<string, unknown>) {
  return decodeChatCompletionRequest({ model: 'm', messages: [USER], ...body });
}

function paramOf(body: Record<string, unknown>): string | undefined {
  try {
    decode(body);
  } catch (err) {
    if (GatewayError.isInstance(err) && err.status === 400) return err.param;
    throw err;
  }
  return undefined;
}

/** The OpenAI error body a decoder's refusal is answered with. */
function bodyRefusal(decode: () => unknown): ReturnType<typeof openAIErrorBody>['error'] {
  try {
    decode();
  } catch (err) {
    if (GatewayError.isInstance(err)) return openAIErrorBody(err).error;
    throw err;
  }
  throw new Error('expected a refusal');
}

function refusalOf(body: Record<string, unknown>): GatewayError {
  try {
    decode(body);
  } catch (err) {
    if (GatewayError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('chat request validation', () => {
  it('refuses a body that is not an object, and a missing model or messages, in OpenAI words', () => {
    for (const body of [[], 'x', 3, null]) {
      // Written as OpenAI writes a refusal of the body as a whole: `param: null`, not `""`.
      expect(bodyRefusal(() => decodeChatCompletionRequest(body))).toEqual({ message: 'The request body must be a JSON object.', type: 'invalid_request_error', param: null, code: null });
    }
    expect(refusalOf({ model: '' }).message).toBe("'model' is required and must be a string.");
    expect(refusalOf({ messages: [] })).toMatchObject({ param: 'messages', code: 'empty_array', message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead." });
  });

  // The body OpenAI answers each with (its code, not null; its param; its words), as the client reads it.
  it.each([
    ['no messages', { messages: undefined }, { param: 'messages', code: 'missing_required_parameter', message: "Missing required parameter: 'messages'." }],
    ['messages not a list', { messages: 'hi' }, { param: 'messages', code: 'invalid_type', message: "Invalid type for 'messages': expected an array of objects, but got a string instead." }],
    ['temperature 5', { temperature: 5 }, { param: 'temperature', code: 'decimal_above_max_value', message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead." }],
    ['temperature -1', { temperature: -1 }, { param: 'temperature', code: 'decimal_below_min_value', message: "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead." }],
    ['top_p 1.5', { top_p: 1.5 }, { param: 'top_p', code: 'decimal_above_max_value', message: "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead." }],
    ['max_tokens 0', { max_tokens: 0 }, { param: 'max_tokens', code: 'integer_below_min_value', message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead." }],
    ['max_completion_tokens above 1e7', { max_completion_tokens: 20_000_000 }, { param: 'max_completion_tokens', code: 'integer_above_max_value', message: "Invalid 'max_completion_tokens': integer above maximum value. Expected a value <= 10000000, but got 20000000 instead." }],
    ['max_tokens 1.5', { max_tokens: 1.5 }, { param: 'max_tokens', code: 'invalid_type', message: "Invalid type for 'max_tokens': expected an integer, but got a decimal instead." }],
    ['temperature as a string', { temperature: '1' }, { param: 'temperature', code: 'invalid_type', message: "Invalid type for 'temperature': expected a decimal, but got a string instead." }],
    ['a role OpenAI has not', { messages: [{ role: 'robot', content: 'x' }] }, { param: 'messages[0].role', code: 'invalid_value', message: "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'." }],
    ['no role', { messages: [{ content: 'x' }] }, { param: 'messages[0].role', code: 'missing_required_parameter', message: "Missing required parameter: 'messages[0].role'." }],
    ['n: 2', { n: 2 }, { param: 'n', code: 'unsupported_parameter', message: "Unsupported parameter: 'n' other than 1 is not supported by this gateway." }],
    ['n: 0', { n: 0 }, { param: 'n', code: 'integer_below_min_value', message: "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead." }],
    ['stream as a string', { stream: 'yes' }, { param: 'stream', code: 'invalid_type', message: "Invalid type for 'stream': expected a boolean, but got a string instead." }],
  ])('refuses %s with the code OpenAI sets', (_, body, expected) => {
    expect(bodyRefusal(() => decode(body))).toEqual({ type: 'invalid_request_error', ...expected });
  });

  it('refuses a tool_choice that is not none, auto, required or a function object, naming tool_choice', () => {
    expect(paramOf({ tools: [TOOL], tool_choice: 'always' })).toBe('tool_choice');
    expect(paramOf({ tools: [TOOL], tool_choice: 7 })).toBe('tool_choice');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'tool', function: { name: 'lookup' } } })).toBe('tool_choice.type');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'function' } })).toBe('tool_choice.function.name');
    expect(paramOf({ tools: [TOOL], tool_choice: { type: 'function', function: { name: 'other' } } })).toBe('tool_choice.function.name');
    expect(paramOf({ tool_choice: { type: 'function', function: { name: 'lookup' } } })).toBe('tool_choice.function.name');
    expect(refusalOf({ tools: [TOOL], tool_choice: { type: 'function', function: { name: 'other' } } }).message).toBe("'tool_choice.function.name' names 'other', which is not in 'tools'.");
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
    expect(paramOf({ tools: [{ type: 'custom', custom: { name: 'f' } }] })).toBe('tools[0]');
  });

  it('checks the numbers against their ranges, with the message OpenAI gives', () => {
    expect(refusalOf({ temperature: 3 }).message).toBe("Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.");
    expect(refusalOf({ max_tokens: 1.5 }).message).toBe("Invalid type for 'max_tokens': expected an integer, but got a decimal instead.");
    expect(paramOf({ top_p: -0.1 })).toBe('top_p');
    expect(paramOf({ max_completion_tokens: 0 })).toBe('max_completion_tokens');
    expect(paramOf({ presence_penalty: '1' })).toBe('presence_penalty');
    expect(paramOf({ frequency_penalty: 2.5 })).toBe('frequency_penalty');
    expect(paramOf({ seed: 0.5 })).toBe('seed');
    expect(refusalOf({ n: 2 }).code).toBe('unsupported_parameter');
    expect(paramOf({ stop: ['a', 'b', 'c', 'd', 'e'] })).toBe('stop');
  });

  it('checks the types of the remaining optional fields', () => {
    expect(paramOf({ parallel_tool_calls: 'no' })).toBe('parallel_tool_calls');
    expect(paramOf({ stream: 'yes' })).toBe('stream');
    expect(paramOf({ stream_options: true })).toBe('stream_options');
    // OpenAI's own refusals: usage options without a stream, a required tool call without tools.
    expect(refusalOf({ stream_options: { include_usage: true } }).message).toBe("The 'stream_options' parameter is only allowed when 'stream' is enabled.");
    expect(paramOf({ stream: true, stream_options: { include_usage: true } })).toBeUndefined();
    expect(paramOf({ tool_choice: 'required' })).toBe('tool_choice');
    expect(paramOf({ stream_options: { include_usage: 1 } })).toBe('stream_options.include_usage');
    expect(paramOf({ user: 5 })).toBe('user');
    expect(paramOf({ reasoning_effort: 'extreme' })).toBe('reasoning_effort');
    expect(paramOf({ messages: [{ role: 'user', content: 'x', name: 3 }] })).toBe('messages[0].name');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'u', detail: 'max' } }] }] })).toBe('messages[0].content[0].image_url.detail');
  });

  it('checks every message: role, content by role, tool calls and tool call ids', () => {
    expect(paramOf({ messages: ['hi'] })).toBe('messages[0]');
    expect(refusalOf({ messages: [{ role: 'function', content: 'x' }] }).message).toBe("Invalid value: 'function'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.");
    expect(paramOf({ messages: [{ role: 'user', content: 3 }] })).toBe('messages[0].content');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'text', text: 1 }] }] })).toBe('messages[0].content[0].text');
    expect(refusalOf({ messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] }).message).toBe("'messages[0].content[0].type' must be 'text', 'image_url' or 'file'.");
    expect(refusalOf({ messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }] }).message).toBe("'messages[0].content[0].type' must be 'text'.");
    expect(paramOf({ messages: [{ role: 'tool', content: 'r' }] })).toBe('messages[0].tool_call_id');
    expect(paramOf({ messages: [{ role: 'assistant' }] })).toBe('messages[0].content');
  });

  it('names the field at fault in a tool call of the history, as OpenAI does', () => {
    const call = (tc: unknown) => ({ messages: [{ role: 'assistant', tool_calls: [tc] }] });
    expect(paramOf(call('c'))).toBe('messages[0].tool_calls[0]');
    expect(paramOf(call({ type: 'custom', id: 'c', function: { name: 'f', arguments: '{}' } }))).toBe('messages[0].tool_calls[0].type');
    expect(paramOf(call({ function: { name: 'f', arguments: '{}' } }))).toBe('messages[0].tool_calls[0].id');
    expect(paramOf(call({ id: 'c' }))).toBe('messages[0].tool_calls[0].function');
    expect(paramOf(call({ id: 'c', function: { arguments: '{}' } }))).toBe('messages[0].tool_calls[0].function.name');
    expect(refusalOf(call({ id: 'c', function: { name: 'f', arguments: {} } })).message).toBe("'messages[0].tool_calls[0].function.arguments' is required and must be a string.");
    expect(paramOf({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'a', function: { name: 'f', arguments: '{}' } }, { id: 'b', function: { name: 'g' } }] }] })).toBe('messages[1].tool_calls[1].function.arguments');
  });

  it("takes an assistant turn's refusal content parts, as OpenAI's SDKs replay a refused turn, as the words the client saw", () => {
    const decoded = decode({ messages: [USER, { role: 'assistant', content: [{ type: 'text', text: 'Partly: ' }, { type: 'refusal', refusal: 'I cannot help with that.' }] }, USER] });
    expect(decoded.request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Partly: ' }, { type: 'text', text: 'I cannot help with that.' }] });
    expect(paramOf({ messages: [USER, { role: 'assistant', content: [{ type: 'refusal', refusal: 7 }] }] })).toBe('messages[1].content[0].refusal');
    expect(refusalOf({ messages: [USER, { role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }).message).toBe("'messages[1].content[0].type' must be 'text' or 'refusal'.");
  });

  it('checks an assistant turn\'s refusal and reasoning', () => {
    expect(paramOf({ messages: [{ role: 'assistant', content: 'x', refusal: 1 }] })).toBe('messages[0].refusal');
    expect(paramOf({ messages: [{ role: 'assistant', content: 'x', reasoning_content: {} }] })).toBe('messages[0].reasoning_content');
  });

  it('refuses what every upstream would: an empty user content list and a data URL that is not base64', () => {
    expect(paramOf({ messages: [{ role: 'user', content: [] }] })).toBe('messages[0].content');
    const image = (url: string) => ({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] });
    expect(paramOf(image('data:image/png,abc'))).toBe('messages[0].content[0].image_url.url');
    expect(paramOf(image('data:;base64,AAA'))).toBe('messages[0].content[0].image_url.url');
    expect(paramOf(image('data:image/png;base64,AAA'))).toBeUndefined();
    // Data that is no base64 is refused here, not by the upstream after the send.
    expect(paramOf(image('data:image/png;base64,!!!@@@'))).toBe('messages[0].content[0].image_url.url');
    expect(paramOf(image('data:image/png;base64,'))).toBe('messages[0].content[0].image_url.url');
    expect(paramOf(image('https://example.com/cat.png'))).toBeUndefined();
  });

  it('asks no upstream to fetch a URL that is not http(s): file and bucket URLs are refused', () => {
    const image = (url: string) => ({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] });
    for (const url of ['file:///etc/passwd', 'gs://corp-private-bucket/x.png', 's3://bucket/key.png', 'ftp://host/x.png', 'not a url']) {
      expect(refusalOf(image(url)), url).toMatchObject({ param: 'messages[0].content[0].image_url.url' });
    }
    expect(paramOf(image('http://example.com/cat.png'))).toBeUndefined();
  });

  it('refuses a file by id, naming file_id: there is no file store', () => {
    const err = refusalOf({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] });
    expect(err.param).toBe('messages[0].content[0].file.file_id');
    expect(err.message).toContain('no file store');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: 'JVBERi0=' } }] }] })).toBe('messages[0].content[0].file.file_data');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'file' }] }] })).toBe('messages[0].content[0].file');
  });

  it('checks cache_control marks on text parts', () => {
    expect(paramOf({ messages: [{ role: 'system', content: [{ type: 'text', text: 's', cache_control: { type: 'persistent' } }] }, USER] })).toBe('messages[0].content[0].cache_control.type');
    expect(paramOf({ messages: [{ role: 'user', content: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '1d' } }] }] })).toBe('messages[0].content[0].cache_control.ttl');
  });
});

describe('chat request decoding', () => {
  it('makes system and developer messages system messages, and string content one text part', () => {
    const { request } = decode({ messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'system', content: [{ type: 'text', text: 'JSON.' }] }, USER] });
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'system', content: [{ type: 'text', text: 'JSON.' }] },
      { role: 'user', content: [{ type: 'text', text: 'x' }] },
    ]);
  });

  it("keeps the participant's name of system, developer, user and assistant messages", () => {
    const { request } = decode({
      messages: [
        { role: 'developer', content: 'Be brief.', name: 'ops' },
        { role: 'user', content: 'x', name: 'alice' },
        { role: 'assistant', content: 'y', name: 'bot' },
        { role: 'system', content: 'z', name: 'policy' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }], name: 'ops' },
      { role: 'user', content: [{ type: 'text', text: 'x' }], name: 'alice' },
      { role: 'assistant', content: [{ type: 'text', text: 'y' }], name: 'bot' },
      { role: 'system', content: [{ type: 'text', text: 'z' }], name: 'policy' },
    ]);
  });

  it('gives a minimal request only the model and messages', () => {
    expect(decode({})).toEqual({ request: { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, stream: false, includeUsage: false });
  });

  it('decodes data URL images into inline bytes and keeps other URLs and the detail', () => {
    const { request } = decode({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(request.messages[0]?.content).toEqual([
      { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' }, detail: 'low' },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('decodes an inline file with its filename', () => {
    const { request } = decode({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } }] }] });
    expect(request.messages[0]?.content).toEqual([{ type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, filename: 'a.pdf' }]);
  });

  it('carries cache_control marks on text parts as cache hints', () => {
    const { request } = decode({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'long', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'doc', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      ],
    });
    expect(request.messages[0]?.content).toEqual([{ type: 'text', text: 'long', cacheControl: { type: 'ephemeral' } }]);
    expect(request.messages[1]?.content).toEqual([{ type: 'text', text: 'doc', cacheControl: { type: 'ephemeral', ttl: '1h' } }]);
  });

  it('makes an assistant turn reasoning, text, refusal and tool-call parts, in that order', () => {
    const { request } = decode({
      messages: [
        USER,
        {
          role: 'assistant',
          content: 'Let me look.',
          reasoning_content: 'The user wants a lookup.',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'found' },
        { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
      ],
    });
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'The user wants a lookup.' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"q":"x"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'found' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'I cannot help with that.' }] },
    ]);
  });

  it('gives a tool-call-only assistant turn only its tool calls, and an empty turn one empty text', () => {
    const call = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
    const { request } = decode({ messages: [USER, { role: 'assistant', content: '', tool_calls: [call] }, { role: 'tool', tool_call_id: 'c1', content: 'x' }, { role: 'assistant', content: '' }, USER] });
    expect(request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{}' }] });
    expect(request.messages[3]).toEqual({ role: 'assistant', content: [{ type: 'text', text: '' }] });
  });

  it('takes tool messages only as answers to the calls of the assistant message before them, each call answered', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'lookup', arguments: '{}' } });
    const asks = { role: 'assistant', content: null, tool_calls: [call('c1'), call('c2')] };
    const answer = (id: string) => ({ role: 'tool', tool_call_id: id, content: 'x' });
    expect(decode({ messages: [USER, asks, answer('c2'), answer('c1'), USER] }).request.messages).toHaveLength(5);
    expect(decode({ messages: [USER, asks, answer('c2'), answer('c1')] }).request.messages).toHaveLength(4);
    // OpenAI's words and parameter: the orphan tool message's role.
    const orphan = "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
    expect(refusalOf({ messages: [USER, answer('c1')] })).toMatchObject({ status: 400, param: 'messages.[1].role', message: orphan });
    expect(refusalOf({ messages: [USER, asks, answer('c3')] })).toMatchObject({ param: 'messages.[2].role', message: orphan });
  });

  it('refuses tool calls left unanswered, before another message or at the end, naming the assistant message and the ids as OpenAI does', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'lookup', arguments: '{}' } });
    const asks = { role: 'assistant', content: null, tool_calls: [call('call_abc'), call('call_def')] };
    const answer = (id: string) => ({ role: 'tool', tool_call_id: id, content: 'x' });
    const words = "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ";
    expect(refusalOf({ messages: [USER, asks, answer('call_def'), USER] })).toMatchObject({ status: 400, param: 'messages.[1].role', message: `${words}call_abc` });
    expect(refusalOf({ messages: [USER, asks, USER] })).toMatchObject({ param: 'messages.[1].role', message: `${words}call_abc, call_def` });
    // The conversation's last message, or its last tool messages, leave calls unanswered.
    expect(refusalOf({ messages: [USER, asks] })).toMatchObject({ param: 'messages.[1].role', message: `${words}call_abc, call_def` });
    expect(refusalOf({ messages: [USER, asks, answer('call_abc')] })).toMatchObject({ param: 'messages.[1].role', message: `${words}call_def` });
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const tool = { type: 'function', function: { name: 'lookup', description: 'Looks up.', parameters: { type: 'object' }, strict: true } };
    const { request } = decode({ tools: [tool], tool_choice: { type: 'function', function: { name: 'lookup' } }, parallel_tool_calls: false });
    expect(request.tools).toEqual([{ name: 'lookup', description: 'Looks up.', parameters: { type: 'object' }, strict: true }]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: 'lookup' });
    expect(request.parallelToolCalls).toBe(false);
    expect(decode({ tools: [tool], tool_choice: 'required' }).request.toolChoice).toEqual({ type: 'required' });
  });

  it('maps response_format to a JSON answer, with the schema and its name', () => {
    expect(decode({ response_format: { type: 'text' } }).request.responseFormat).toEqual({ type: 'text' });
    expect(decode({ response_format: { type: 'json_object' } }).request.responseFormat).toEqual({ type: 'json' });
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const js = { name: 'answer', schema, strict: true, description: 'The answer.' };
    expect(decode({ response_format: { type: 'json_schema', json_schema: js } }).request.responseFormat).toEqual({ type: 'json', name: 'answer', schema, description: 'The answer.', strict: true });
  });

  it('maps the sampling settings to their canonical names, and a stop string to a list', () => {
    const { request } = decode({ temperature: 0.5, top_p: 0.9, seed: 7, presence_penalty: 0.1, frequency_penalty: -0.1, stop: 'END', user: 'u1', n: 1 });
    expect(request).toMatchObject({ temperature: 0.5, topP: 0.9, seed: 7, presencePenalty: 0.1, frequencyPenalty: -0.1, stopSequences: ['END'], user: 'u1' });
    expect(decode({ stop: ['a', 'b'] }).request.stopSequences).toEqual(['a', 'b']);
  });

  it('takes either name of the output limit, and tells the OpenAI dialects when the client used max_completion_tokens', () => {
    expect(decode({ max_tokens: 50 }).request).not.toHaveProperty('providerOptions');
    expect(decode({ max_tokens: 50 }).request.maxOutputTokens).toBe(50);
    const { request } = decode({ max_completion_tokens: 80 });
    expect(request.maxOutputTokens).toBe(80);
    expect(request.providerOptions).toEqual({ openai: { max_tokens_field: 'max_completion_tokens' } });
  });

  it('maps reasoning_effort to a reasoning request, none turning it off', () => {
    expect(decode({ reasoning_effort: 'high' }).request.reasoning).toEqual({ enabled: true, effort: 'high' });
    expect(decode({ reasoning_effort: 'minimal' }).request.reasoning).toEqual({ enabled: true, effort: 'minimal' });
    expect(decode({ reasoning_effort: 'none' }).request.reasoning).toEqual({ enabled: false });
  });

  it('returns stream and include_usage beside the request, not in it', () => {
    const decoded = decode({ stream: true, stream_options: { include_usage: true } });
    expect(decoded).toMatchObject({ stream: true, includeUsage: true });
    expect(Object.keys(decoded.request).sort()).toEqual(['messages', 'model']);
    expect(decode({ stream: true, stream_options: {} })).toMatchObject({ stream: true, includeUsage: false });
  });

  it('carries fields it does not map in passthrough under their own names, dropping nulls', () => {
    const { request } = decode({ service_tier: 'flex', store: true, logprobs: null, metadata: { a: 'b' } });
    expect(request.passthrough).toEqual({ service_tier: 'flex', store: true, metadata: { a: 'b' } });
    expect(decode({}).request).not.toHaveProperty('passthrough');
  });

  it('treats optional fields sent as null as absent', () => {
    const body = { tool_choice: null, response_format: null, stream: null, stream_options: null, user: null, stop: null, n: null, reasoning_effort: null };
    const decoded = decode(body);
    expect(Object.keys(decoded.request).sort()).toEqual(['messages', 'model']);
    expect(decoded.stream).toBe(false);
    const assistant = decode({ messages: [USER, { role: 'assistant', content: 'a', tool_calls: null, refusal: null, reasoning_content: null, name: null }] });
    expect(assistant.request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'a' }] });
  });

  it('leaves the client body as it was', () => {
    const body = { model: 'm', messages: [USER], temperature: null, stop: 'x' };
    const copy = structuredClone(body);
    decodeChatCompletionRequest(body);
    expect(body).toEqual(copy);
  });
});

describe('chat refusals name the parameter as OpenAI does', () => {
  // OpenAI writes two forms. Its schema checks (invalid_type, invalid_value, missing_required_parameter)
  // name a place with brackets and dots, `messages[1].content[0].type`, the same in `param` and in the
  // message. Its tool-message rules alone write `messages.[N].role`, and their messages quote no place.
  // The dotted form in a schema check ("Invalid type for 'messages.[0].content'") is Alibaba's, not OpenAI's.
  const call = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
  const asks = { role: 'assistant', content: null, tool_calls: [call] };
  const schema: [string, unknown[], string][] = [
    ['a message of the wrong type', ['hi'], 'messages[0]'],
    ['a message without a role', [{ content: 'x' }], 'messages[0].role'],
    ['content of the wrong type', [{ role: 'user', content: 3 }], 'messages[0].content'],
    ['a content part that is not an object', [{ role: 'user', content: ['x'] }], 'messages[0].content[0]'],
    ['a content part without a type', [{ role: 'user', content: [{ text: 'x' }] }], 'messages[0].content[0].type'],
    ['a second content part without its file', [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'file' }] }], 'messages[0].content[1].file'],
    ['an image part of a later message', [USER, { role: 'assistant', content: 'y' }, { role: 'user', content: [{ type: 'image_url', image_url: {} }] }], 'messages[2].content[0].image_url.url'],
  ];

  it.each(schema)('%s: %j names %s, quoted in the message', (_, messages, param) => {
    const err = refusalOf({ messages });
    expect(err).toMatchObject({ status: 400, param });
    expect(err.message).toContain(`'${param}'`);
  });

  it('names a tool definition by its index in tools', () => {
    const err = refusalOf({ tools: [TOOL, { type: 'function', function: { name: 'has space' } }] });
    expect(err).toMatchObject({ param: 'tools[1].function.name' });
    expect(err.message).toContain("'tools[1].function.name'");
  });

  it('names a tool-message rule with messages.[N].role, as OpenAI does, quoting no place', () => {
    for (const [messages, param] of [
      [[USER, { role: 'tool', tool_call_id: 'c1', content: 'x' }], 'messages.[1].role'],
      [[USER, asks, USER], 'messages.[1].role'],
    ] as const) {
      const err = refusalOf({ messages: [...messages] });
      expect(err).toMatchObject({ status: 400, param });
      expect(err.message).not.toMatch(/'messages\.?\[/);
    }
  });
});
