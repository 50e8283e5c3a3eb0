import { describe, expect, it } from 'vitest';
import { GatewayError, upstreamFailure } from '../../core/errors.js';
import { openAIErrorBody } from './errors.js';

describe("OpenAI's error body", () => {
  it('names the OpenAI error type of the kind, the param and the code', () => {
    const e = new GatewayError({ kind: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
    expect(openAIErrorBody(e)).toEqual({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limited' } });
    const bad = new GatewayError({ kind: 'invalid_request', message: 'no', param: 'messages[0].role' });
    expect(openAIErrorBody(bad).error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });
    expect(openAIErrorBody(new GatewayError({ kind: 'budget_exceeded', message: 'x' })).error.type).toBe('insufficient_quota');
  });

  it("shows the upstream's scrubbed words only for exposing deployments", () => {
    const e = upstreamFailure({ kind: 'authentication', provider: 'p', upstreamStatus: 401, upstreamText: 'Incorrect API key provided: [redacted]' });
    expect(JSON.stringify(openAIErrorBody(e))).not.toContain('Incorrect');
    expect(openAIErrorBody(e, true).error.message).toContain('Upstream said: Incorrect API key provided: [redacted]');
  });
});
