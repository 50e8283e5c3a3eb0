import { describe, expect, it } from 'vitest';
import { mapGoogleError } from './map-error.js';

const invalid = (message: string) => ({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } });

describe('Google context-window errors', () => {
  it.each([
    // Vertex AI (google-gemini/gemini-cli#19727).
    'Unable to submit request because the input token count is 1251952 but model only supports up to 1048576. Reduce the input token count and try again. You can also use the CountTokens API to calculate prompt token count and billable characters. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/models',
    // The Gemini API (google-gemini/gemini-cli#6678).
    'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).',
  ])('maps %j to context_window_exceeded', (message) => {
    expect(mapGoogleError(400, {}, invalid(message), 'vertex').kind).toBe('context_window_exceeded');
  });

  it('keeps any other INVALID_ARGUMENT the client’s bad request', () => {
    expect(mapGoogleError(400, {}, invalid('Unable to submit request because it has an empty contents field.'), 'vertex').kind).toBe('invalid_request');
  });
});
