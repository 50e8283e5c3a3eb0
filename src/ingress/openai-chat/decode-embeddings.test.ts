import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeEmbeddingRequest } from './decode-embeddings.js';
import { openAIErrorBody, type OpenAIErrorBody } from './errors.js';

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

  it('refuses a missing model and out-of-range dimensions naming the parameter', () => {
    expect(() => decodeEmbeddingRequest('x')).toThrow(expect.objectContaining({ param: undefined, message: 'The request body must be a JSON object.' }));
    expect(() => decodeEmbeddingRequest({ input: 'x' })).toThrow(expect.objectContaining({ param: 'model' }));
    expect(() => decodeEmbeddingRequest({ model: 'e', input: 'x', dimensions: 0 })).toThrow(expect.objectContaining({ param: 'dimensions' }));
  });

  it("refuses a bad input as OpenAI does: param and code null, OpenAI's '$.input' sentence, then what is wrong", () => {
    const refusal = (input: unknown): OpenAIErrorBody['error'] => {
      try {
        decodeEmbeddingRequest({ model: 'e', input });
      } catch (err) {
        if (GatewayError.isInstance(err)) return openAIErrorBody(err).error;
      }
      throw new Error(`accepted ${JSON.stringify(input)}`);
    };
    const bad = [undefined, null, '', [], ['a', ''], [{}], 7, ['a', [1]], [[1], 'a'], [[]], [[1], []], [1, 'a'], [-1], [1.5], [2 ** 53], [[0, -3]], [[1, 2], [3, NaN]], Array.from({ length: 2049 }, () => [1])];
    for (const input of bad) {
      expect(refusal(input), JSON.stringify(input)).toEqual({
        message: expect.stringMatching(/^'\$\.input' is invalid\. Please check the API reference: https:\/\/platform\.openai\.com\/docs\/api-reference\. \S/) as unknown,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    }
  });

  it('makes a single input a list of one, and returns the encoding format beside the request', () => {
    expect(decodeEmbeddingRequest({ model: 'e', input: ['a', 'b'], dimensions: 256, user: 'u', encoding_format: 'base64' })).toEqual({
      request: { model: 'e', input: ['a', 'b'], dimensions: 256, user: 'u' },
      encodingFormat: 'base64',
    });
  });

  it('takes token ids as OpenAI does, one token array or several, as tokens with one list per input', () => {
    expect(decodeEmbeddingRequest({ model: 'e', input: [1212, 318, 0] }).request).toEqual({ model: 'e', tokens: [[1212, 318, 0]] });
    expect(decodeEmbeddingRequest({ model: 'e', input: [[1212, 318], [257]], dimensions: 8 }).request).toEqual({ model: 'e', tokens: [[1212, 318], [257]], dimensions: 8 });
    expect(decodeEmbeddingRequest({ model: 'e', input: Array.from({ length: 2048 }, () => [7]) }).request.tokens).toHaveLength(2048);
  });

  it('holds one token array to no length of its own: it is one input, and the model sets its limit', () => {
    const ids = Array.from({ length: 8191 }, (_, i) => i);
    expect(decodeEmbeddingRequest({ model: 'e', input: ids }).request.tokens).toEqual([ids]);
  });

  it('says which item of the input is wrong', () => {
    expect(() => decodeEmbeddingRequest({ model: 'e', input: [[1, 2], [3, -4]] })).toThrow(/'input\[1\]\[1\]' must be a token id \(an integer from 0\)/);
    expect(() => decodeEmbeddingRequest({ model: 'e', input: ['a', 'b', 5] })).toThrow(/'input\[2\]' must be a non-empty string/);
    expect(() => decodeEmbeddingRequest({ model: 'e', input: Array.from({ length: 2049 }, () => 'a') })).toThrow(/'input' has 2049 items; at most 2048/);
  });

  it('carries fields it does not map in passthrough', () => {
    expect(decodeEmbeddingRequest({ model: 'e', input: 'x', input_type: 'query' }).request.passthrough).toEqual({ input_type: 'query' });
  });
});
