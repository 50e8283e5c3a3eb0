import { describe, expect, it } from 'vitest';
import { mapOpenAIEmbeddingError, mapOpenAIError, mapOpenAIStreamError } from './map-error.js';

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

describe('embeddings refused for the model (an embeddings call)', () => {
  const map = mapOpenAIEmbeddingError({ model: 'my-group', input: ['hi'] }, 'serves a chat model');
  const OPENAI_403 = { error: { message: 'You are not allowed to generate embeddings from this model', type: 'invalid_request_error', param: null, code: null } };
  const AZURE_400 = {
    error: {
      code: 'OperationNotSupported',
      message: 'The embeddings operation does not work with the specified model, gpt-4o. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.',
    },
  };
  const VLLM = { object: 'error', message: 'The model does not support Embeddings API', type: 'BadRequestError', param: null, code: 400 };
  // Ollama's OpenAI middleware writes every error as { message, type, param: null, code: null }, `api_error` for a 5xx.
  const OLLAMA_RUNNER = { error: { message: 'this model does not support embeddings', type: 'api_error', param: null, code: null } };
  const LLAMA_SERVER_WORDS = 'This server does not support embeddings. Start it with `--embeddings`';

  it.each([
    ["OpenAI's 403", 403, OPENAI_403],
    ["Azure's 400 OperationNotSupported", 400, AZURE_400],
    ["vLLM's bare 400", 400, VLLM],
    ["vLLM's wrapped 400", 400, { error: VLLM }],
    ["vLLM's 501 (NotImplementedError)", 501, { error: { ...VLLM, type: 'NotImplementedError', code: 501 } }],
    ["Ollama's 500 of its runner's words (up to 0.13.2)", 500, OLLAMA_RUNNER],
    ["Ollama's 501 of its runner's words (0.13.3 to 0.29)", 501, OLLAMA_RUNNER],
    ["Ollama's 501 of llama-server's words (0.30 on)", 501, { error: { message: LLAMA_SERVER_WORDS, type: 'api_error', param: null, code: null } }],
    ["llama.cpp's llama-server's own 501", 501, { error: { code: 501, message: LLAMA_SERVER_WORDS, type: 'not_supported_error' } }],
  ])('%s is the capability refusal: fallbackable, sent, in the gateway’s words', (_, status, body) => {
    const error = map(status, {}, body, 'openai-compatible');
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, fallbackable: true, retryable: false, code: 'unsupported_capability', param: 'model', unsent: false, upstreamStatus: status });
    expect(error.message).toBe("No deployment of 'my-group' served these embeddings: the last one tried serves a chat model. Ask for an embedding model instead.");
    expect(error.upstreamText).toMatch(/embeddings/i);
  });

  it.each([
    ['a 403 with another message (a project without access)', 403, { error: { message: 'Project `proj_x` does not have access to model `text-embedding-3-small`', type: 'invalid_request_error', param: null, code: 'model_not_found' } }, 'permission'],
    ['a 403 without a body', 403, undefined, 'permission'],
    ["OpenAI's words under another status", 400, OPENAI_403, 'invalid_request'],
    ['OperationNotSupported for another operation', 400, { error: { code: 'OperationNotSupported', message: 'The completion operation does not work with the specified model, gpt-4o.' } }, 'invalid_request'],
    ["Azure's words without its code", 400, { error: { message: AZURE_400.error.message } }, 'invalid_request'],
    ["vLLM's words under a 500", 500, { error: VLLM }, 'upstream_error'],
    ['another vLLM 400', 400, { ...VLLM, message: 'temperature must be non-negative' }, 'invalid_request'],
    ["Ollama's runner words under a 502 (a proxy's)", 502, OLLAMA_RUNNER, 'unavailable'],
    ['another Ollama 500', 500, { error: { ...OLLAMA_RUNNER.error, message: 'llama runner process has terminated: exit status 2' } }, 'upstream_error'],
    ["llama-server's words under a 500", 500, { error: { message: LLAMA_SERVER_WORDS, type: 'api_error', param: null, code: null } }, 'upstream_error'],
  ])('%s maps as any error does', (_, status, body, kind) => {
    const error = map(status, {}, body, 'openai-compatible');
    expect(error.kind).toBe(kind);
    expect(error.code).not.toBe('unsupported_capability');
    expect(error).toEqual(mapOpenAIError(status, {}, body, 'openai-compatible'));
  });
});
