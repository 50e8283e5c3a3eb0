import { describe, expect, it } from 'vitest';
import { GatewayError, upstreamFailure } from '../../core/errors.js';
import { openAIErrorBody } from './errors.js';

describe("OpenAI's error body", () => {
  it('names the OpenAI error type of the kind, the param and the code', () => {
    const e = new GatewayError({ kind: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
    expect(openAIErrorBody(e)).toEqual({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
    const bad = new GatewayError({ kind: 'invalid_request', message: 'no', param: 'messages[0].role' });
    expect(openAIErrorBody(bad).error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });
    expect(openAIErrorBody(new GatewayError({ kind: 'budget_exceeded', message: 'x' })).error.type).toBe('insufficient_quota');
  });

  it("answers a missing or wrong key as api.openai.com does: type invalid_request_error, code invalid_api_key (OpenAI has no authentication_error type)", () => {
    const e = new GatewayError({ kind: 'unauthenticated', code: 'invalid_api_key', message: 'A valid API key is required.' });
    expect(openAIErrorBody(e)).toEqual({ error: { message: 'A valid API key is required.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    expect(openAIErrorBody(new GatewayError({ kind: 'unauthenticated', message: 'x' })).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
  });

  it("sends OpenAI's code for each kind, never the kind's own name where OpenAI has another", () => {
    const code = (init: Omit<ConstructorParameters<typeof GatewayError>[0], 'message'>): string | null => openAIErrorBody(new GatewayError({ ...init, message: 'x' })).error.code;
    expect(code({ kind: 'context_window_exceeded' })).toBe('context_length_exceeded');
    expect(code({ kind: 'rate_limited' })).toBe('rate_limit_exceeded');
    expect(code({ kind: 'content_filtered' })).toBe('content_filter');
    expect(code({ kind: 'unauthenticated' })).toBe('invalid_api_key');
    expect(code({ kind: 'not_found' })).toBe('model_not_found');
    // OpenAI's server errors and unnamed refusals carry no code.
    for (const kind of ['upstream_error', 'unavailable', 'overloaded', 'timeout', 'network', 'bad_upstream_response', 'authentication', 'permission', 'internal', 'invalid_request', 'forbidden', 'cancelled'] as const) {
      expect(code({ kind })).toBeNull();
    }
    // The gateway's own refusals that OpenAI has no code for keep ours.
    expect(code({ kind: 'budget_exceeded' })).toBe('budget_exceeded');
    expect(code({ kind: 'residency_violation' })).toBe('residency_violation');
    expect(code({ kind: 'no_deployment_available' })).toBe('no_deployment_available');
    expect(code({ kind: 'forbidden', code: 'direct_deployment_disabled' })).toBe('direct_deployment_disabled');
    expect(code({ kind: 'invalid_request', code: 'media_url_not_allowed' })).toBe('media_url_not_allowed');
    expect(code({ kind: 'timeout', code: 'deadline_exceeded' })).toBe('deadline_exceeded');
  });

  it("shows the upstream's scrubbed words only for exposing deployments", () => {
    const e = upstreamFailure({ kind: 'authentication', provider: 'p', upstreamStatus: 401, upstreamText: 'Incorrect API key provided: [redacted]' });
    expect(JSON.stringify(openAIErrorBody(e))).not.toContain('Incorrect');
    expect(openAIErrorBody(e, true).error.message).toContain('Upstream said: Incorrect API key provided: [redacted]');
  });
});
