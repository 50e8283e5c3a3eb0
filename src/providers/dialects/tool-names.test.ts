import { describe, expect, it } from 'vitest';
import type { ChatRequest, ToolDefinition } from '../../core/types.js';
import { thrown } from '../../testing/thrown.js';
import { encodeMessagesRequest } from './anthropic-messages/encode-request.js';
import { encodeConverseRequest } from './bedrock-converse/encode-request.js';
import { encodeGenerateContentRequest } from './gemini/encode-request.js';

const LOOKUP: ToolDefinition = { name: 'lookup', parameters: { type: 'object', properties: {} } };
const ask = (tools: ToolDefinition[], extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools, ...extra });
const twice = [LOOKUP, { ...LOOKUP, description: 'Again.' }];
const distinct = [LOOKUP, { ...LOOKUP, name: 'search' }];

const encoders: ReadonlyArray<readonly [string, (r: ChatRequest) => unknown, string]> = [
  ['Claude (Messages API)', (r) => encodeMessagesRequest(r, { model: 'claude-sonnet-4-6', stream: false, defaultMaxTokens: 1024 }).tools, 'Claude'],
  ['Gemini (Vertex and Google wire)', (r) => encodeGenerateContentRequest(r, 'gemini-2.5-flash').body.tools?.[0]?.functionDeclarations, 'Gemini'],
  ['Bedrock Converse, a Claude model', (r) => encodeConverseRequest(r, { model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }).toolConfig?.tools, 'Bedrock Converse'],
  ['Bedrock Converse, another model', (r) => encodeConverseRequest(r, { model: 'amazon.nova-pro-v1:0' }).toolConfig?.tools, 'Bedrock Converse'],
];

describe('two tools of one name are refused before sending by every dialect whose upstream refuses them', () => {
  for (const [label, encode, upstream] of encoders) {
    it(`${label}: a fallbackable, unsent 400 naming tools, so a group's next deployment may take them`, () => {
      expect(thrown(() => encode(ask(twice)))).toMatchObject({
        kind: 'invalid_request',
        status: 400,
        param: 'tools',
        message: `Invalid 'tools': ${upstream} requires tool names to be unique, and 'lookup' is given more than once.`,
        fallbackable: true,
        retryable: false,
        unsent: true,
      });
      expect(encode(ask(distinct))).toHaveLength(2);
    });
  }

  it('Bedrock Converse: tools it leaves out (tool choice none, no tool calls in the conversation) are not refused', () => {
    const body = encodeConverseRequest(ask(twice, { toolChoice: { type: 'none' } }), { model: 'amazon.nova-pro-v1:0', warnings: [] });
    expect(body.toolConfig).toBeUndefined();
  });
});
