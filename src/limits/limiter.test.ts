import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { makeUsage } from '../core/types.js';
import { attempt } from '../ledger/testing/fixtures.js';
import type { RateLimitRule } from './config.js';
import { countersFor } from './counters.js';
import { formatReset, parseReset } from './headers.js';
import { RateLimiter } from './limiter.js';
import { MemoryRateLimitState, type RateLimitState } from './state.js';
import { refusal, request, rule } from './testing/fixtures.js';

// 30 s into a minute: the minute window resets in 30 s.
const START = Date.parse('2025-06-15T12:00:30Z');

function limiter(rules: RateLimitRule[], clock = { t: START }, state: RateLimitState = new MemoryRateLimitState(() => clock.t)) {
  return { limiter: new RateLimiter({ rules, state, logger: silentLogger, defaultCompletionTokens: 1000, now: () => clock.t }), clock };
}

describe('rate limits', () => {
  it('refuses the request past requests_per_minute with a 429 rate_limited, retry-after until the window resets and the OpenAI headers', async () => {
    const { limiter: l } = limiter([rule({ name: 'per-key', per: 'key', requests_per_minute: 2 })]);
    const first = await l.admit(request('r1'));
    expect(first.headers).toEqual({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': '30s' });
    first.release();
    (await l.admit(request('r2'))).release();
    const err = await refusal(l.admit(request('r3')));
    expect(err.kind).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.message).toBe('Rate limit "per-key" reached for key k1: 2 requests per minute. Try again in 30s.');
    expect(err.headers).toEqual({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '30s' });
  });

  it('counts each value of `per` apart and leaves requests outside `match` alone', async () => {
    const { limiter: l } = limiter([rule({ name: 'research', match: { team: 'research' }, per: 'key', requests_per_minute: 1 })]);
    await l.admit(request('a', { key: 'k1', team: 'research' }));
    await l.admit(request('b', { key: 'k2', team: 'research' }));
    expect((await l.admit(request('c', { key: 'k1', team: 'sales' }))).headers).toBeUndefined();
    expect((await refusal(l.admit(request('d', { key: 'k1', team: 'research' })))).kind).toBe('rate_limited');
  });

  it('frees the window when the minute turns', async () => {
    const { limiter: l, clock } = limiter([rule({ name: 'all', requests_per_minute: 1 })]);
    await l.admit(request('a'));
    await refusal(l.admit(request('b')));
    clock.t += 29_999;
    await refusal(l.admit(request('c')));
    clock.t += 1;
    expect((await l.admit(request('d'))).headers?.['x-ratelimit-reset-requests']).toBe('1m0s');
  });

  it('reserves prompt plus max_tokens and settles on the real usage', async () => {
    const { limiter: l } = limiter([rule({ name: 'tpm', tokens_per_minute: 1000 })]);
    // 100 prompt + 500 completion reserved; the answer really used 100 + 50.
    const t1 = await l.admit(request('r1', undefined, { maxCompletionTokens: 500 }));
    expect(t1.headers).toEqual({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '400', 'x-ratelimit-reset-tokens': '30s' });
    // While r1 holds its reservation, a second 600-token request does not fit.
    const err = await refusal(l.admit(request('r2', undefined, { maxCompletionTokens: 500 })));
    expect(err.message).toBe('Rate limit "tpm" reached for key k1: 1000 tokens per minute. Try again in 30s.');
    expect(err.headers?.['x-ratelimit-remaining-tokens']).toBe('400');
    l.onAttempt(attempt({ requestId: 'r1', usage: makeUsage({ prompt: 100, completion: 50 }) }));
    t1.release();
    expect(l.inFlight).toBe(0);
    // 150 used: 850 left, room for the 600 now.
    expect((await l.admit(request('r3', undefined, { maxCompletionTokens: 500 }))).headers?.['x-ratelimit-remaining-tokens']).toBe('250');
  });

  it('reserves default completion tokens when the request sets no max_tokens, and admits one oversized request into an empty window', async () => {
    const { limiter: l } = limiter([rule({ name: 'tpm', tokens_per_minute: 500 })]);
    const t = await l.admit(request('r1', undefined, { maxCompletionTokens: undefined }));
    expect(t.headers?.['x-ratelimit-remaining-tokens']).toBe('0');
    expect((await refusal(l.admit(request('r2', undefined, { maxCompletionTokens: 1 })))).kind).toBe('rate_limited');
  });

  it('reports the tightest of several limits in the headers', async () => {
    const { limiter: l } = limiter([
      rule({ name: 'team', match: { team: 'research' }, requests_per_minute: 100, requests_per_day: 1000 }),
      rule({ name: 'key', per: 'key', requests_per_minute: 3, tokens_per_day: 100_000 }),
    ]);
    const t = await l.admit(request('r1'));
    expect(t.headers).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-reset-requests': '30s',
      'x-ratelimit-limit-tokens': '100000',
      'x-ratelimit-remaining-tokens': '99800',
      'x-ratelimit-reset-tokens': '11h59m30s',
    });
  });

  it('does not count shadow copies against the caller', async () => {
    const state = new MemoryRateLimitState(() => START);
    const { limiter: l } = limiter([rule({ name: 'tpm', tokens_per_minute: 1000 })], { t: START }, state);
    const t = await l.admit(request('r1', undefined, { maxCompletionTokens: 0 }));
    l.onAttempt(attempt({ requestId: 'r1', role: 'shadow', usage: makeUsage({ prompt: 800, completion: 100 }) }));
    t.release();
    expect((await l.admit(request('r2', undefined, { maxCompletionTokens: 0 }))).headers?.['x-ratelimit-remaining-tokens']).toBe('900');
  });

  it('admits unchecked while its state is unreachable', async () => {
    const broken: RateLimitState = {
      take: () => Promise.reject(new Error('ECONNREFUSED')),
      release: async () => undefined,
      settle: async () => undefined,
      close: async () => undefined,
    };
    const { limiter: l } = limiter([rule({ name: 'all', requests_per_minute: 1 })], { t: START }, broken);
    expect((await l.admit(request('a'))).headers).toBeUndefined();
    expect((await l.admit(request('b'))).headers).toBeUndefined();
  });
});

describe('the reset header format', () => {
  it("writes waits like OpenAI's headers (Go durations)", () => {
    expect([formatReset(20), formatReset(1000), formatReset(1500), formatReset(360_000), formatReset(3_600_000), formatReset(-5)]).toEqual(['20ms', '1s', '1.5s', '6m0s', '1h0m0s', '0ms']);
  });

  it('reads them back, for a front door that writes resets its own way', () => {
    for (const ms of [0, 20, 999, 1000, 1500, 59_999, 360_000, 3_723_500, 3_600_000]) expect(parseReset(formatReset(ms))).toBe(ms);
    for (const bad of ['', 'soon', '5', '1h2x', '-1s']) expect(parseReset(bad)).toBeUndefined();
  });
});

describe('a resumed stream', () => {
  it('counts its continuation as tokens of the same request, not as another request', async () => {
    const { limiter: l } = limiter([rule({ name: 'rpm', requests_per_minute: 1, tokens_per_minute: 10_000 })]);
    const first = await l.admit(request('r1'));
    // The gateway releases the first ticket when the broken attempt settles, before the continuation is admitted.
    first.release();
    const continuation = await l.admit(request('r1', undefined, { continuation: true }));
    expect(continuation.headers?.['x-ratelimit-remaining-requests']).toBe('0');
    expect(continuation.headers?.['x-ratelimit-remaining-tokens']).toBe('9800');
    continuation.release();
    expect(l.inFlight).toBe(0);
    expect((await refusal(l.admit(request('r2')))).kind).toBe('rate_limited');
  });

  it('counts a request reusing an id still in flight as another request', async () => {
    const { limiter: l } = limiter([rule({ name: 'rpm', requests_per_minute: 1 })]);
    const first = await l.admit(request('r1'));
    expect((await refusal(l.admit(request('r1')))).kind).toBe('rate_limited');
    first.release();
    expect(l.inFlight).toBe(0);
  });

  it('gives tokens back only to the counter that holds their reservation: one created again (a shared store lost it) keeps its own', async () => {
    const clock = { t: START };
    const state = new MemoryRateLimitState(() => clock.t);
    const [ref] = countersFor([rule({ name: 'tpm', tokens_per_minute: 1000 })], {}, 'chat', START);
    const taken = await state.take([ref!], 200);
    expect(taken).toEqual({ ok: true, figures: [{ requests: 1, tokens: 200 }], since: [START] });
    await state.release([ref!], { amount: 200, since: [START - 1] });
    await state.settle([ref!], 150, { amount: 150, since: [START - 1] });
    expect((await state.take([ref!], 0)).figures).toEqual([{ requests: 2, tokens: 350 }]);
    await state.settle([ref!], 150, { amount: 150, since: [START] });
    await state.release([ref!], { amount: 50, since: [START] });
    expect((await state.take([ref!], 0)).figures).toEqual([{ requests: 3, tokens: 300 }]);
  });
});
