import { describe, expect, it } from 'vitest';
import { mapBedrockError, mapStreamException } from './map-error.js';

const VALIDATION = { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' };

describe('Bedrock errors that carry the model’s own words', () => {
  it("maps Claude's wrapped \"exceed context limit\" ValidationException to context_window_exceeded", () => {
    const message =
      'The model returned the following errors: input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again';
    expect(mapBedrockError(400, VALIDATION, { message }, 'bedrock').kind).toBe('context_window_exceeded');
    expect(mapStreamException('validationException', { message }, 'bedrock').kind).toBe('context_window_exceeded');
  });

  it.each([
    [429, 'Too many tokens, please wait before trying again.', 'rate_limited', true],
    [400, 'messages.1.content: Field required', 'invalid_request', false],
    [400, 'prompt is too long: 210000 tokens > 200000 maximum', 'context_window_exceeded', false],
  ] as const)('reads a modelStreamErrorException by its originalStatusCode %i', (originalStatusCode, originalMessage, kind, retryable) => {
    const e = mapStreamException('modelStreamErrorException', { message: 'The model stream failed.', originalStatusCode, originalMessage }, 'bedrock');
    expect(e).toMatchObject({ kind, retryable });
  });

  it('keeps a modelStreamErrorException without a client or throttling status a server error to retry', () => {
    expect(mapStreamException('modelStreamErrorException', { message: 'x' }, 'bedrock').kind).toBe('upstream_error');
    expect(mapStreamException('modelStreamErrorException', { message: 'x', originalStatusCode: 500 }, 'bedrock').kind).toBe('upstream_error');
  });
});
