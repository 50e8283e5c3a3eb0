import { describe, expect, it } from 'vitest';
import type { SpanData } from './otlp.js';
import { capturing } from './testing/collector.js';
import { Tracer } from './tracing.js';

/** The SERVER span of a request answered `status`, with the error kind the handler gave. */
async function ended(status: number, errorKind: string | undefined): Promise<SpanData> {
  const exported: SpanData[] = [];
  const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
  tracer.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId: 'req' });
  tracer.endServerSpan('req', status, undefined, errorKind);
  await tracer.close();
  return exported[0] as SpanData;
}

const outcome = (span: SpanData): [unknown, unknown, SpanData['status']] => [span.attributes['error.type'], span.attributes['switchyard.error_kind'], span.status];

describe('server span status and error.type (HTTP semantic conventions)', () => {
  it("sets no error.type on a 4xx, which a SERVER span counts as the client's error, and keeps its kind in switchyard.error_kind", async () => {
    expect(outcome(await ended(401, 'unauthenticated'))).toEqual([undefined, 'unauthenticated', { code: 0 }]);
    expect(outcome(await ended(429, 'rate_limited'))).toEqual([undefined, 'rate_limited', { code: 0 }]);
    expect(outcome(await ended(400, 'invalid_request'))).toEqual([undefined, 'invalid_request', { code: 0 }]);
  });

  it('sets error.type and status ERROR on a 5xx, its kind or else its status code', async () => {
    expect(outcome(await ended(503, 'unavailable'))).toEqual(['unavailable', 'unavailable', { code: 2, message: 'unavailable' }]);
    expect(outcome(await ended(500, undefined))).toEqual(['500', undefined, { code: 2, message: '500' }]);
  });

  it('sets error.type and status ERROR on a stream that failed after its 200 went out, and neither on a success', async () => {
    expect(outcome(await ended(200, 'network'))).toEqual(['network', 'network', { code: 2, message: 'network' }]);
    expect(outcome(await ended(200, undefined))).toEqual([undefined, undefined, { code: 0 }]);
  });

  it('marks a request whose client left before any status went out as failed (error.type cancelled, status ERROR) and claims no status code, since its 499 reached nobody', async () => {
    const before = await ended(499, 'cancelled');
    expect(outcome(before)).toEqual(['cancelled', 'cancelled', { code: 2, message: 'cancelled' }]);
    expect(before.attributes['http.response.status_code']).toBeUndefined();
    // After its first chunk the 200 was sent: the span says so, and that the request failed.
    const after = await ended(200, 'cancelled');
    expect(outcome(after)).toEqual(['cancelled', 'cancelled', { code: 2, message: 'cancelled' }]);
    expect(after.attributes['http.response.status_code']).toBe(200);
  });
});
