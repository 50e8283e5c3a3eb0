import { describe, expect, it } from 'vitest';
import { mapOpenAIError, mapOpenAIStreamError } from './map-error.js';

// vllm-project/vllm#20409 and HKUSTDial/Alpha-SQL#5 quote it.
const VLLM_TOO_LONG = {
  object: 'error',
  message: "This model's maximum context length is 32768 tokens. However, you requested 41648 tokens (37552 in the messages, 4096 in the completion).",
  type: 'BadRequestError',
  param: null,
  code: 400,
};

describe('vLLM context-length errors', () => {
  it('maps older vLLM’s bare error body (no `error` wrapper) to context_window_exceeded', () => {
    expect(mapOpenAIError(400, {}, VLLM_TOO_LONG, 'openai-compatible')).toMatchObject({ kind: 'context_window_exceeded', upstreamText: VLLM_TOO_LONG.message });
  });

  it('maps newer vLLM’s wrapped body with a numeric code to context_window_exceeded', () => {
    expect(mapOpenAIError(400, {}, { error: VLLM_TOO_LONG }, 'openai-compatible').kind).toBe('context_window_exceeded');
  });

  it('keeps another bare vLLM 400 a bad request', () => {
    expect(mapOpenAIError(400, {}, { ...VLLM_TOO_LONG, message: 'temperature must be non-negative' }, 'openai-compatible').kind).toBe('invalid_request');
  });
});

describe('Azure retry hints', () => {
  it('reads x-ms-retry-after-ms when it is the only hint', () => {
    expect(mapOpenAIError(429, { 'x-ms-retry-after-ms': '7000' }, { error: { code: '429', message: 'Rate limit' } }, 'azure-openai').retryAfterMs).toBe(7000);
  });

  it('prefers retry-after-ms, then x-ms-retry-after-ms, over retry-after', () => {
    expect(mapOpenAIError(429, { 'retry-after-ms': '1500', 'x-ms-retry-after-ms': '7000', 'retry-after': '9' }, {}, 'azure-openai').retryAfterMs).toBe(1500);
    expect(mapOpenAIError(429, { 'x-ms-retry-after-ms': '7000', 'retry-after': '9' }, {}, 'azure-openai').retryAfterMs).toBe(7000);
  });
});

describe('errors inside a 200 (a stream chunk, a whole answer)', () => {
  it.each([
    [{ message: 'bad', type: 'BadRequestError', code: 400 }, 'invalid_request', false],
    [{ message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' }, 'context_window_exceeded', false],
    [{ message: 'slow down', type: 'tokens', code: 'rate_limit_exceeded' }, 'rate_limited', true],
    [{ message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' }, 'rate_limited', false],
    [{ message: 'Rate limit', code: '429' }, 'rate_limited', true],
    [{ message: 'The server had an error while processing your request.', type: 'server_error', code: null }, 'upstream_error', true],
    [{ message: 'boom' }, 'upstream_error', true],
  ])('maps %j by its code or type to %s', (err, kind, retryable) => {
    expect(mapOpenAIStreamError(err, 'openai-compatible')).toMatchObject({ kind, retryable, upstreamStatus: undefined });
  });
});
