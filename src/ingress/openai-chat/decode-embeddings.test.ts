import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeEmbeddingRequest } from './decode-embeddings.js';
import { openAIErrorBody } from './errors.js';

describe('embedding request decoding', () => {
  it('names encoding_format and user when they have the wrong type, and drops nulls', () => {
    expect(() => decodeEmbeddingRequest({ model: 'e', input: 'x', encoding_format: 'hex' })).toThrow(expect.objectContaining({ param: 'encoding_format' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: 'x', user: [] })).toThrow(expect.objectContaining({ param: 'user' }));
    expect(decodeEmbeddingRequest({ model: 'e', input: 'x', encoding_format: null, dimensions: null })).toEqual({ request: { model: 'e', input: ['x'] }, encodingFormat: 'float' });
  });

  it('refuses a body that is not an object with param null, as OpenAI refuses the body as a whole', () => {
    try {
      decodeEmbeddingRequest([]);
    } catch (err) {
      expect(GatewayError.isInstance(err) && openAIErrorBody(err).error).toMatchObject({ param: null, message: 'The request body must be a JSON object.' });
      return;
    }
    throw new Error('accepted');
  });

  it('refuses a missing model, an empty or non-string input and out-of-range dimensions', () => {
    expect(() => decodeEmbeddingRequest('x')).toThrow(expect.objectContaining({ param: undefined, message: 'The request body must be a JSON object.' }));
    expect(() => decodeEmbeddingRequest({ input: 'x' })).toThrow(expect.objectContaining({ param: 'model' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: [] })).toThrow(expect.objectContaining({ param: 'input', message: "'input' must be a non-empty string or a non-empty array of up to 2048 non-empty strings." }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: [1, 2] })).toThrow(expect.objectContaining({ param: 'input' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: '' })).toThrow(expect.objectContaining({ param: 'input' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: ['a', ''] })).toThrow(expect.objectContaining({ param: 'input' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: 'x', dimensions: 0 })).toThrow(expect.objectContaining({ param: 'dimensions' }));
  });

  it('makes a single input a list of one, and returns the encoding format beside the request', () => {
    expect(decodeEmbeddingRequest({ model: 'e', input: ['a', 'b'], dimensions: 256, user: 'u', encoding_format: 'base64' })).toEqual({
      request: { model: 'e', input: ['a', 'b'], dimensions: 256, user: 'u' },
      encodingFormat: 'base64',
    });
  });

  it('carries fields it does not map in passthrough', () => {
    expect(decodeEmbeddingRequest({ model: 'e', input: 'x', input_type: 'query' }).request.passthrough).toEqual({ input_type: 'query' });
  });
});
