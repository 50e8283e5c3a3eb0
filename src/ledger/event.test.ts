import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { GatewayError, SERVER_SHUTDOWN_CODE } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import { eventId, toUsageEvent, utcDay } from './event.js';
import { createLedger } from './index.js';
import { admissionRequest, attempt } from './testing/fixtures.js';

const iso = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe('utcDay', () => {
  it('matches the ISO date on both sides of midnight and when time goes back', () => {
    const midnight = Date.parse('2025-06-02T00:00:00Z');
    const times = [midnight - 1, midnight, midnight + 1, midnight - 1, midnight + 86_399_999, midnight + 86_400_000, 0, -1, Date.parse('2024-02-29T23:59:59.999Z'), midnight];
    for (const t of times) expect(utcDay(t)).toBe(iso(t));
  });
});

describe('a cache hit in the ledger', () => {
  it('costs 0 and records what the answer would have cost', () => {
    const hit = toUsageEvent(attempt({ cacheHit: true }), { usd: 0.42, priced: true });
    expect([hit.cacheHit, hit.costUsd, hit.savedUsd]).toEqual([true, 0, 0.42]);
    const paid = toUsageEvent(attempt(), { usd: 0.42, priced: true });
    expect([paid.cacheHit, paid.costUsd, paid.savedUsd]).toEqual([undefined, 0.42, undefined]);
  });

  it('is not charged to budgets', async () => {
    const config = resolveConfig({
      deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
      ledger: { enabled: false },
      budgets: { limits: [{ name: 'tiny', period: 'daily', hard_usd: 0.0001 }] },
    });
    const ledger = await createLedger(config);
    const big = makeUsage({ prompt: 1_000_000, completion: 0 });
    ledger.observer.onAttempt(attempt({ requestId: 'hit', cacheHit: true, usage: big, startedAt: Date.now() }));
    await new Promise((r) => setTimeout(r, 10));
    (await ledger.admission.admit(admissionRequest('next', { key: 'k1' }))).release();
    ledger.observer.onAttempt(attempt({ requestId: 'paid', usage: big, startedAt: Date.now() }));
    await new Promise((r) => setTimeout(r, 10));
    await expect(Promise.resolve(ledger.admission.admit(admissionRequest('after', { key: 'k1' })))).rejects.toThrow(/hard limit/);
    await ledger.close();
  });
});

describe("a cancelled attempt's stored error kind", () => {
  const cancelled = (cause?: unknown) => toUsageEvent(attempt({ outcome: 'cancelled', error: new GatewayError({ kind: 'cancelled', message: 'Cancelled.', cause }) }), { usd: 0, priced: true });
  // What a runtime that ends the request itself cancels it with (a drain's deadline): the error its client is told as the cause.
  const told = new GatewayError({ kind: 'unavailable', code: SERVER_SHUTDOWN_CODE, message: 'The server is shutting down; retry the request.' });

  it("says server_shutdown for one the gateway's shutdown cancelled, and cancelled for a client's leaving", () => {
    expect([cancelled(told).status, cancelled(told).errorKind]).toEqual(['cancelled', 'server_shutdown']);
    expect([cancelled().status, cancelled().errorKind]).toEqual(['cancelled', 'cancelled']);
    expect(cancelled(new DOMException('the client went away', 'AbortError')).errorKind).toBe('cancelled');
  });

  it("keeps cancelled for a client's abort that wrapped an upstream's error, another cancellation or another 503", () => {
    expect(cancelled(new GatewayError({ kind: 'unavailable', message: 'Every deployment is draining.' })).errorKind).toBe('cancelled');
    expect(cancelled(new GatewayError({ kind: 'network', message: 'Upstream reset.', provider: 'openai' })).errorKind).toBe('cancelled');
    expect(cancelled(new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.' })).errorKind).toBe('cancelled');
  });

  it('stores any other error by its kind', () => {
    const failed = toUsageEvent(attempt({ outcome: 'error', error: new GatewayError({ kind: 'timeout', message: 'Timed out.', cause: told }) }), { usd: 0, priced: true });
    expect([failed.status, failed.errorKind]).toEqual(['error', 'timeout']);
  });
});

describe('eventId', () => {
  it('sorts by start time across request ids, so new keys append to the primary-key index', () => {
    const ids = [0, 1, 15, 16, 1_000, Date.parse('2025-06-01T10:00:00Z'), Date.parse('2100-01-01T00:00:00Z')].map((t, i) => eventId(attempt({ startedAt: t, requestId: `${9 - i}-uuid` })));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is the same for a replayed attempt and differs for retries and shadows', () => {
    const a = attempt({ requestId: 'r' });
    expect(eventId({ ...a })).toBe(eventId(a));
    expect(new Set([eventId(a), eventId({ ...a, attempt: 2 }), eventId({ ...a, role: 'shadow' })]).size).toBe(3);
    expect(eventId(a)).toMatch(/^[0-9a-f]{12}:r:1$/);
  });
});
