import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { encodeConverseRequest } from '../../providers/dialects/bedrock-converse/index.js';
import { encodeGenerateContentRequest } from '../../providers/dialects/gemini/index.js';
import { encodeChatRequest } from '../../providers/dialects/openai-chat/index.js';
import { encodeMessagesRequest } from '../../providers/dialects/anthropic-messages/index.js';
import { decodeMessagesRequest } from './decode-request.js';
import { inDoorTerms } from './param-path.js';

const BMP = { type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AAAA' } };
const PNG = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };

/** What a dialect refuses in the request this door decoded, told in this door's terms. */
function refusal(body: Record<string, unknown>, encode: (request: ReturnType<typeof decodeMessagesRequest>['request']) => unknown): GatewayError {
  const { request } = decodeMessagesRequest(body);
  try {
    encode(request);
  } catch (err) {
    const told = inDoorTerms(err, body);
    if (GatewayError.isInstance(told)) return told;
  }
  throw new Error('expected a refusal');
}

describe("a dialect's refusal, named in the Messages API's terms", () => {
  const conversation = {
    model: 'm',
    max_tokens: 10,
    system: 'Be brief.',
    tools: [{ name: 'look', input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: 'Look at it' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'look', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'here' }, PNG] }, { type: 'text', text: 'and this one' }, BMP] },
    ],
  };

  it('names the image block of a user turn behind a system prompt and a tool result (Bedrock refuses bmp)', () => {
    const err = refusal(conversation, (r) => encodeConverseRequest(r, { model: 'amazon.nova-pro-v1:0' }));
    expect(err.param).toBe('messages.2.content.2');
    expect(err.message).not.toContain('messages[');
  });

  it('names the block inside a tool result (OpenAI and Gemini take no images there)', () => {
    expect(refusal(conversation, (r) => encodeChatRequest(r, { model: 'gpt-4o', provider: 'openai-compatible', stream: false })).param).toBe('messages.2.content.0.content.1');
    expect(refusal(conversation, (r) => encodeGenerateContentRequest(r)).param).toBe('messages.2.content.0.content.1');
  });

  it('names a whole message once when the refusal names its content (a blank user turn, a prefill ending in white space)', () => {
    const blank = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: '  ' }] };
    for (const encode of [(r: Parameters<typeof encodeChatRequest>[0]) => encodeConverseRequest(r, { model: 'amazon.nova-pro-v1:0' }), (r: Parameters<typeof encodeChatRequest>[0]) => encodeGenerateContentRequest(r)]) {
      const err = refusal(blank, encode);
      expect(err.param).toBe('messages.0.content');
      expect(err.message).toContain("'messages.0.content'");
      expect(err.message).not.toContain('content.content');
    }
    const prefill = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Sure, ' }] };
    const err = refusal(prefill, (r) => encodeMessagesRequest(r, { model: 'claude-sonnet-4-5', stream: false, defaultMaxTokens: 10 }));
    expect(err.param).toBe('messages.1.content');
    expect(err.message).not.toContain('content.content');
  });

  it('leaves errors that name no canonical message as they are', () => {
    const err = new GatewayError({ kind: 'invalid_request', message: 'no', param: 'tools' });
    expect(inDoorTerms(err, conversation)).toBe(err);
  });

  it('names the schema of output_config.format, which the dialects call response_format', () => {
    const body = {
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'Hi' }],
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } } } },
    };
    for (const encode of [(r: Parameters<typeof encodeChatRequest>[0]) => encodeMessagesRequest(r, { model: 'claude-sonnet-4-5', stream: false, defaultMaxTokens: 10 }), (r: Parameters<typeof encodeChatRequest>[0]) => encodeGenerateContentRequest(r)]) {
      const err = refusal(body, encode);
      expect(err.param).toBe('output_config.format');
      expect(err.message).toContain('output_config.format');
      expect(err.message).not.toContain('response_format');
    }
  });
});
