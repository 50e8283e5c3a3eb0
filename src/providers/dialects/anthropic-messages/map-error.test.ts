import { describe, expect, it } from 'vitest';
import { mapAnthropicError } from './map-error.js';

const err = (message: string) => ({ type: 'error', error: { type: 'invalid_request_error', message }, request_id: 'req_1' });
const NOW = Date.UTC(2026, 2, 23, 23, 8);

describe('Anthropic account refusals sent as a 400 invalid_request_error', () => {
  it.each([
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
    'This organization has been disabled.',
  ])('maps %j to a permission error another deployment may serve, never retried here', (message) => {
    const e = mapAnthropicError(400, {}, err(message), 'anthropic', NOW);
    expect(e).toMatchObject({ kind: 'permission', fallbackable: true, retryable: false, upstreamStatus: 400 });
  });

  it('cools a usage-limited account until the date it names, as a spent quota: fallbackable, not retried', () => {
    const message = 'You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.';
    const e = mapAnthropicError(400, {}, err(message), 'anthropic', NOW);
    expect(e).toMatchObject({ kind: 'rate_limited', fallbackable: true, retryable: false });
    expect(e.retryAfterMs).toBe(Date.UTC(2026, 3, 1) - NOW);
  });

  it('leaves a usage limit whose date has passed to the breaker, as a permission error', () => {
    const message = 'You have reached your specified API usage limits. You will regain access on 2026-03-01 at 00:00 UTC.';
    const e = mapAnthropicError(400, {}, err(message), 'anthropic', NOW);
    expect(e).toMatchObject({ kind: 'permission', retryAfterMs: undefined });
  });

  it('keeps an ordinary bad request the client’s own', () => {
    expect(mapAnthropicError(400, {}, err('max_tokens: Field required'), 'anthropic', NOW).kind).toBe('invalid_request');
  });
});

describe("Claude's context limit counted with max_tokens", () => {
  it('maps "input length and `max_tokens` exceed context limit" to context_window_exceeded', () => {
    const message = 'input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again';
    expect(mapAnthropicError(400, {}, err(message), 'anthropic').kind).toBe('context_window_exceeded');
  });
});

describe('a host or model that refuses output_config', () => {
  it('is a bad request another deployment may serve: Vertex refuses structured outputs until the organization allows them', () => {
    for (const message of ['output_config.format: Extra inputs are not permitted', 'output_config: Extra inputs are not permitted']) {
      expect(mapAnthropicError(400, {}, err(message), 'vertex', NOW)).toMatchObject({ kind: 'invalid_request', fallbackable: true });
    }
    expect(mapAnthropicError(400, {}, err('tools.0.custom.parameters: Extra inputs are not permitted'), 'anthropic', NOW).fallbackable).toBeFalsy();
  });
});
