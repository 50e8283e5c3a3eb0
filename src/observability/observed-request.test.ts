import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ObservedRequest, OpenRequests, type Sinks } from './observed-request.js';

describe('the open requests, by request id', () => {
  it('finds each open request among thousands sharing its 1,024 buckets, and none of those ended, whichever order they end in', () => {
    const open = new OpenRequests();
    const sinks: Sinks = { metrics: undefined, tracer: undefined, open, now: () => 0 };
    const requests = Array.from({ length: 5_000 }, (_, i) => {
      const requestId = i % 2 === 0 ? randomUUID() : `req-${i}`;
      const r = new ObservedRequest(sinks, { method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId }, 0);
      open.add(r);
      return r;
    });
    // Every third ends: heads, middles and tails of chains alike.
    const ended = new Set(requests.filter((_, i) => i % 3 === 0));
    for (const r of ended) r.end(200);
    for (const r of requests) expect(open.get(r.requestId)).toBe(ended.has(r) ? undefined : r);
    for (const r of requests) r.end(200);
    expect(requests.some((r) => open.get(r.requestId) !== undefined)).toBe(false);
  });
});
