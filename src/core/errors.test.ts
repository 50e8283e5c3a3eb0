import { describe, expect, it } from 'vitest';
import { GatewayError, parseRetryAfter, toGatewayError, upstreamFailure } from './errors.js';

describe('GatewayError', () => {
  it('takes status and retryability from its kind', () => {
    const e = new GatewayError({ kind: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
    expect(e).toMatchObject({ status: 429, retryable: true, fallbackable: true, code: 'rate_limited' });
    expect(e.clientMessage()).toBe('slow down');
    expect(new GatewayError({ kind: 'invalid_request', message: 'x' })).toMatchObject({ status: 400, retryable: false, fallbackable: false });
  });

  it("writes its own message for an upstream's failure and keeps the upstream's words for exposing deployments only", () => {
    const e = upstreamFailure({ kind: 'authentication', provider: 'p', upstreamStatus: 401, upstreamText: 'Incorrect API key provided: [redacted]' });
    expect(e.clientMessage()).toBe("Upstream p refused the gateway's credentials (HTTP 401).");
    expect(e.clientMessage()).not.toContain('Incorrect');
    const attributed = e.withDeployment('p-eu', 'p', { region: 'eu-west-1', attempts: 2 });
    expect(attributed).toMatchObject({ deployment: 'p-eu', region: 'eu-west-1', attempts: 2 });
    expect(attributed.clientMessage()).toBe("Upstream p-eu (p) refused the gateway's credentials (HTTP 401).");
    expect(attributed.clientMessage(true)).toBe("Upstream p-eu (p) refused the gateway's credentials (HTTP 401). Upstream said: Incorrect API key provided: [redacted]");
    expect(upstreamFailure({ kind: 'overloaded', provider: 'p' }).message).toBe('Upstream p is overloaded mid-stream.');
    // The gateway's own errors keep their message when attributed.
    expect(new GatewayError({ kind: 'timeout', message: 'Deployment d did not answer.' }).withDeployment('d', 'p').message).toBe('Deployment d did not answer.');
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

  it('takes a retry-after that is neither a delay nor an HTTP date as absent, not as "retry now"', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    for (const odd of ['-5', '1, 2', 'abc 1', '   ', '1e3', '0x10', 'Infinity']) expect(parseRetryAfter(odd, undefined, now), odd).toBeUndefined();
    expect(parseRetryAfter(' 1.5 ', undefined, now)).toBe(1500);
    expect(parseRetryAfter('Thu, 22 Oct 2026 07:28:00 GMT', undefined, now)).toBe(86_400_000);
    expect(parseRetryAfter('Thursday, 22-Oct-26 07:28:00 GMT', undefined, now)).toBe(86_400_000);
    // An unreadable retry-after-ms gives way to retry-after.
    expect(parseRetryAfter('2', '-100', now)).toBe(2000);
  });
});
