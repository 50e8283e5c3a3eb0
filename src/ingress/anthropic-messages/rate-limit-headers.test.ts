import { describe, expect, it } from 'vitest';
import { toAnthropicRateLimitHeaders } from './rate-limit-headers.js';

describe("Anthropic's rate-limit headers", () => {
  it('renames the limiter headers to anthropic-ratelimit-*, resets as RFC 3339 times', () => {
    const now = Date.parse('2026-12-03T10:00:00.000Z');
    const headers: Record<string, string> = {
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '21.62s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-tokens': '1m0s',
      'retry-after': '22',
    };
    toAnthropicRateLimitHeaders(headers, now);
    expect(headers).toEqual({
      'anthropic-ratelimit-requests-limit': '3',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-12-03T10:00:22Z',
      'anthropic-ratelimit-tokens-limit': '1000',
      'anthropic-ratelimit-tokens-remaining': '900',
      'anthropic-ratelimit-tokens-reset': '2026-12-03T10:01:00Z',
      'retry-after': '22',
    });
  });

  it('leaves headers alone where there is no limit', () => {
    const headers = { 'x-switchyard-deployment': 'd' };
    toAnthropicRateLimitHeaders(headers, 0);
    expect(headers).toEqual({ 'x-switchyard-deployment': 'd' });
  });
});
