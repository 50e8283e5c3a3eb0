import { parseReset } from '../../limits/headers.js';

/** The limiter's OpenAI-named headers and Anthropic's names for the same figures. */
const NAMES: ReadonlyArray<readonly [string, string]> = [
  ['x-ratelimit-limit-requests', 'anthropic-ratelimit-requests-limit'],
  ['x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining'],
  ['x-ratelimit-reset-requests', 'anthropic-ratelimit-requests-reset'],
  ['x-ratelimit-limit-tokens', 'anthropic-ratelimit-tokens-limit'],
  ['x-ratelimit-remaining-tokens', 'anthropic-ratelimit-tokens-remaining'],
  ['x-ratelimit-reset-tokens', 'anthropic-ratelimit-tokens-reset'],
];

/**
 * Renames the rate-limit headers in place to Anthropic's (`anthropic-ratelimit-*`), with the resets as
 * RFC 3339 times as Anthropic writes them; `retry-after` stays as it is (Anthropic sends it too).
 */
export function toAnthropicRateLimitHeaders(headers: Record<string, string>, now: number): void {
  for (const [openai, anthropic] of NAMES) {
    const value = headers[openai];
    if (value === undefined) continue;
    delete headers[openai];
    if (!openai.startsWith('x-ratelimit-reset-')) {
      headers[anthropic] = value;
      continue;
    }
    const ms = parseReset(value);
    if (ms !== undefined) headers[anthropic] = new Date(Math.ceil((now + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
}
