import { describe, expect, it } from 'vitest';
import type { ChatRequest, JsonObject, Warning } from '../../../core/types.js';
import { encodeCountTokensRequest, encodeMessagesRequest } from './index.js';

const SCHEMA: JsonObject = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const REQUEST: ChatRequest = { model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'Book Paris' }] }], responseFormat: { type: 'json', name: 'booking', schema: SCHEMA } };

function bodies(request: ChatRequest, model: string) {
  const warnings: Warning[] = [];
  const sent = encodeMessagesRequest(request, { stream: false, defaultMaxTokens: 1024, warnings, model });
  return { sent, counted: encodeCountTokensRequest(sent, model) };
}

describe('the count_tokens body', () => {
  it('carries structured outputs’ output_config.format as the chat call sends it, so the count is of what is billed', () => {
    const { sent, counted } = bodies(REQUEST, 'claude-sonnet-4-6');
    expect(sent.output_config?.format).toEqual({ type: 'json_schema', schema: SCHEMA });
    expect(counted).toEqual({ model: 'claude-sonnet-4-6', messages: sent.messages, output_config: { format: sent.output_config?.format } });
  });

  it('leaves out output_config.effort, which sets how the model answers and is no part of the prompt', () => {
    const { sent, counted } = bodies({ ...REQUEST, reasoning: { enabled: true, effort: 'high' } }, 'claude-opus-4-7');
    expect(sent.output_config).toEqual({ effort: 'high', format: { type: 'json_schema', schema: SCHEMA } });
    expect(counted.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } });
    const effortOnly = bodies({ ...REQUEST, responseFormat: undefined, reasoning: { enabled: true, effort: 'high' } }, 'claude-opus-4-7');
    expect(effortOnly.sent.output_config).toEqual({ effort: 'high' });
    expect(effortOnly.counted).not.toHaveProperty('output_config');
  });

  it('has no output_config where the schema went as a system instruction (a model without structured outputs)', () => {
    const { sent, counted } = bodies(REQUEST, 'claude-sonnet-4-20250514');
    expect(sent.output_config).toBeUndefined();
    expect(counted).not.toHaveProperty('output_config');
    expect(counted.system).toEqual(sent.system);
  });
});
