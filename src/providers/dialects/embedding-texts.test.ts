import { describe, expect, it } from 'vitest';
import { embeddingTexts } from './embedding-texts.js';

describe('the texts of an embeddings request, for an upstream that embeds text only', () => {
  it('are its input', () => {
    expect(embeddingTexts({ model: 'e', input: ['a', 'b'] }, 'Vertex AI')).toEqual(['a', 'b']);
  });

  it('are refused for token ids before sending: a 400 naming input that the next deployment of a group may still serve', () => {
    expect(() => embeddingTexts({ model: 'e', tokens: [[1, 2]] }, 'Vertex AI')).toThrow(
      expect.objectContaining({
        kind: 'invalid_request',
        status: 400,
        param: 'input',
        fallbackable: true,
        retryable: false,
        unsent: true,
        message: "Vertex AI embeds text only; this request's 'input' is token ids. Send the text instead, or use a model whose deployment takes token ids (OpenAI, Azure OpenAI, vLLM).",
      }),
    );
  });
});
