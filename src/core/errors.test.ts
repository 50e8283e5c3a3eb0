import { describe, expect, it } from 'vitest';
import { GatewayError, parseRetryAfter, toGatewayError } from './errors.js';

describe('GatewayError', () => {
  it('takes status, retryability and the OpenAI type from its kind', () => {
    const e = new GatewayError({ kind: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
    expect(e).toMatchObject({ status: 429, retryable: true, fallbackable: true, code: 'rate_limited' });
    expect(e.toOpenAI()).toEqual({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limited' } });
    expect(new GatewayError({ kind: 'invalid_request', message: 'x' })).toMatchObject({ status: 400, retryable: false, fallbackable: false });
  });

  it("never repeats an upstream's words about the gateway's credentials to clients", () => {
    const e = new GatewayError({ kind: 'authentication', message: 'Upstream p returned 401: Incorrect API key provided: sk-live-****abcd', provider: 'p', upstreamStatus: 401 });
    expect(JSON.stringify(e.toOpenAI())).not.toContain('sk-live');
    expect(e.toOpenAI().error.message).toBe("Upstream p refused the gateway's credentials (401).");
    // The gateway's own authentication errors (no upstream) keep their message.
    expect(new GatewayError({ kind: 'authentication', status: 401, message: 'A valid API key is required.' }).toOpenAI().error.message).toBe('A valid API key is required.');
  });

  it('recognises copies from another instance of the package and wraps unknown throwables as internal', () => {
    const e = new GatewayError({ kind: 'timeout', message: 't' });
    expect(GatewayError.isInstance(e)).toBe(true);
    expect(GatewayError.isInstance({ kind: 'timeout' })).toBe(false);
    expect(toGatewayError(new Error('boom'))).toMatchObject({ kind: 'internal', message: 'Internal gateway error.' });
    expect(e.withDeployment('d', 'p')).toMatchObject({ kind: 'timeout', deployment: 'd', provider: 'p' });
  });

  it('parses retry-after in seconds, as an HTTP date, and retry-after-ms', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(undefined, '1500')).toBe(1500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', undefined, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
