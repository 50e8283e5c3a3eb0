import { describe, expect, it } from 'vitest';
import { errorSummary } from './respond.js';

describe('errorSummary', () => {
  it("is an error's name and message on one line, credentials and control characters taken out, never its stack", () => {
    const error = new TypeError('upstream said: Authorization: Bearer sk-live-4f3c9a1b7e2d8c6a\r\nforged line');
    // A line feed would let the message forge a log entry where a platform logs plain text.
    expect(errorSummary(error)).toBe('TypeError: upstream said: Authorization: Bearer [redacted] forged line');
    expect(errorSummary('a string thrown')).toBe('non-Error thrown');
  });
});
