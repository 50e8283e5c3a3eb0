import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { textOf } from '../core/types.js';
import { executeWithFallback, type ExecuteOptions, type ExecutePolicy } from './executor.js';
import { RetryBudget } from './retry-budget.js';
import { FakeClock, failure, fakeDeployment, response, routing, seeded, type FakeProvider } from './testing/fakes.js';
import type { Deployment } from './router.js';

function policy(clock: FakeClock, over: Partial<ExecutePolicy> = {}): ExecutePolicy {
  return {
    clock,
    random: () => 0.5,
    maxAttemptsPerDeployment: 3,
    deadlineMs: 60_000,
    backoff: { baseMs: 100, capMs: 2_000, maxRetryAfterMs: 5_000 },
    budget: new RetryBudget({ ratio: 1, window_ms: 10_000, min_retries: 100 }),
    logger: silentLogger,
    ...over,
  };
}

const opts = (over: Partial<ExecuteOptions<unknown>> = {}): ExecuteOptions<unknown> => ({
  signal: new AbortController().signal,
  requestId: 'r1',
  attemptTimeoutMs: 10_000,
  ...over,
});

const chat = (a: { deployment: Deployment }, s: CancelSignal) => a.deployment.provider.chat({ model: 'm', messages: [] }, { signal: s, requestId: 'r1' });

afterEach(() => vi.useRealTimers());

describe('executeWithFallback', () => {
  it('never retries or falls back on invalid_request (400)', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => failure('invalid_request');
    await expect(executeWithFallback([a, b], chat, policy(clock), opts())).rejects.toMatchObject({ kind: 'invalid_request' });
    expect(a.provider.calls).toBe(1);
    expect(b.provider.calls).toBe(0);
  });

  it('retries a 503 with jittered exponential backoff, then falls back', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => failure('unavailable');
    const roles: string[] = [];
    const out = await executeWithFallback([a, b], chat, policy(clock, { random: () => 0.99 }), opts({ onAttemptError: (at) => roles.push(`${at.role}:${at.cause ?? ''}`) }));
    expect(out.attempt.deployment.id).toBe('b');
    expect(out.attempt.role).toBe('fallback');
    expect(out.attempt.cause).toBe('unavailable');
    expect(a.provider.calls).toBe(3);
    expect(roles).toEqual(['primary:', 'retry:unavailable', 'retry:unavailable']);
    // full jitter: random * min(cap, base * 2^(n-1))
    expect(clock.sleeps).toEqual([99, 198]);
    expect(a.state.retries).toBe(2);
    expect(a.state.status(clock.now(), 0.1).fallbacksFrom).toEqual({ unavailable: 1 });
  });

  it('honours retry-after on the last deployment when it is within the cap, and falls back at once when it is longer', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = (n) => (n === 1 ? failure('unavailable', { retryAfterMs: 1_500 }) : 'ok');
    const out = await executeWithFallback([a, b], chat, policy(clock), opts());
    expect(out.attempt.deployment.id).toBe('a');
    expect(clock.sleeps).toEqual([1_500]);

    const c = fakeDeployment('c');
    c.provider.script = () => failure('rate_limited', { retryAfterMs: 60_000 });
    const out2 = await executeWithFallback([c, b], chat, policy(clock), opts());
    expect(out2.attempt.deployment.id).toBe('b');
    expect(c.provider.calls).toBe(1);
  });

  it('falls back without retrying on a bad credential', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => failure('authentication');
    await executeWithFallback([a, b], chat, policy(clock), opts());
    expect(a.provider.calls).toBe(1);
    expect(b.provider.calls).toBe(1);
  });

  it('sends context_window_exceeded only to the configured special fallback', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    const big = fakeDeployment('big');
    a.provider.script = () => failure('context_window_exceeded');
    await expect(executeWithFallback([a, b], chat, policy(clock), opts())).rejects.toMatchObject({ kind: 'context_window_exceeded' });
    expect(b.provider.calls).toBe(0);
    const out = await executeWithFallback([a, b], chat, policy(clock), opts({ special: (kind) => (kind === 'context_window_exceeded' ? [big] : []) }));
    expect(out.attempt.deployment.id).toBe('big');
    expect(out.attempt.cause).toBe('context_window_exceeded');
    expect(b.provider.calls).toBe(0);
  });

  it('content_filtered without a special fallback fails fast', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => failure('content_filtered');
    await expect(executeWithFallback([a, b], chat, policy(clock), opts({ special: () => [] }))).rejects.toMatchObject({ kind: 'content_filtered' });
    expect(b.provider.calls).toBe(0);
  });

  it('times out a hung attempt and falls back', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => 'hang';
    const p = executeWithFallback([a, b], chat, policy(clock, { maxAttemptsPerDeployment: 1 }), opts({ attemptTimeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(1_000);
    const out = await p;
    expect(out.attempt.deployment.id).toBe('b');
    expect(out.attempt.cause).toBe('timeout');
    expect(a.state.status(clock.now(), 0.1).errors).toEqual({ timeout: 1 });
  });

  it('ends an attempt with the upstream\'s error answer, not a timeout, when the timeout only cut that answer\'s body', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    // A 429 whose body stalls: the provider maps it by its status once the attempt's signal cuts the body.
    const cutAnswer = (_: unknown, signal: CancelSignal): Promise<never> =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new GatewayError({ kind: 'rate_limited', message: 'Upstream a is rate limiting the gateway.', upstreamStatus: 429 }))));
    const p = executeWithFallback([a], cutAnswer, policy(clock, { maxAttemptsPerDeployment: 1 }), opts({ attemptTimeoutMs: 1_000 }));
    const settled = expect(p).rejects.toMatchObject({ kind: 'rate_limited', status: 429, deployment: 'a' });
    await vi.advanceTimersByTimeAsync(1_000);
    await settled;
    expect(a.state.status(clock.now(), 0.1).errors).toEqual({ rate_limited: 1 });
  });

  it('falls over to another deployment after a timeout instead of retrying the hung one', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => 'hang';
    const p = executeWithFallback([a, b], chat, policy(clock, { maxAttemptsPerDeployment: 3 }), opts({ attemptTimeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(1_000);
    const out = await p;
    expect(out.attempt).toMatchObject({ number: 2, role: 'fallback', cause: 'timeout' });
    expect(out.attempt.deployment.id).toBe('b');
    expect(a.provider.calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries the same deployment after a timeout only when it is the last one and the deadline allows', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => 'hang';
    b.provider.script = (n) => (n === 1 ? 'hang' : 'ok');
    const p = executeWithFallback([a, b], chat, policy(clock, { maxAttemptsPerDeployment: 3 }), opts({ attemptTimeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(2_000);
    const out = await p;
    expect(out.attempt).toMatchObject({ number: 3, role: 'retry', cause: 'timeout' });
    expect([a.provider.calls, b.provider.calls]).toEqual([1, 2]);
  });

  it('a failed request answered 503 always tells the client when to come back', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 1, cool_off_ms: 4_000 } }));
    const b = fakeDeployment('b', {}, routing({ breaker: { consecutive_failures: 100 } }));
    a.provider.script = () => failure('unavailable');
    b.provider.script = () => failure('unavailable');
    // `a` tripped its breaker: the answer points at its trial; `b` alone says nothing, so the default.
    const err = await executeWithFallback([a, b], chat, policy(clock, { maxAttemptsPerDeployment: 1 }), opts()).catch((e: unknown) => e as GatewayError);
    expect(err).toMatchObject({ kind: 'unavailable', status: 503, retryAfterMs: 4_000 });
    const alone = await executeWithFallback([b], chat, policy(clock, { maxAttemptsPerDeployment: 1 }), opts()).catch((e: unknown) => e as GatewayError);
    expect(alone).toMatchObject({ kind: 'unavailable', status: 503, retryAfterMs: 1_000 });
  });

  it('stops at the total deadline instead of trying further deployments', async () => {
    const clock = new FakeClock();
    const ds = ['a', 'b', 'c'].map((id) => fakeDeployment(id));
    for (const d of ds) d.provider.script = () => (clock.advance(400), failure('unavailable'));
    const err = await executeWithFallback(ds, chat, policy(clock, { deadlineMs: 700, maxAttemptsPerDeployment: 1 }), opts()).catch((e: unknown) => e as GatewayError);
    expect(err).toMatchObject({ kind: 'timeout', code: 'deadline_exceeded' });
    expect(ds.map((d) => d.provider.calls)).toEqual([1, 1, 0]);
  });

  it('the retry budget caps attempts under a full outage', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, window_ms: 10_000, min_retries: 0 });
    // A breaker that never opens, so that only the budget stands between the outage and a retry storm.
    const a = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 10_000, min_requests: 10_000 } }));
    a.provider.script = () => failure('unavailable');
    const requests = 100;
    for (let i = 0; i < requests; i++) {
      await executeWithFallback([a], chat, policy(clock, { budget, maxAttemptsPerDeployment: 5, backoff: { baseMs: 0, capMs: 0, maxRetryAfterMs: 0 } }), opts()).catch(() => undefined);
    }
    // Without the budget: 500 upstream calls. With it: at most one extra call per five requests.
    expect(a.provider.calls).toBeLessThanOrEqual(requests * 1.2);
    expect(a.provider.calls).toBeGreaterThanOrEqual(requests);
    expect(budget.snapshot(clock.now()).denied).toBeGreaterThan(0);
  });

  it('skips a deployment whose breaker opened after planning, and counts the skip', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.state.breaker.trip(clock.now(), 'test');
    const out = await executeWithFallback([a, b], chat, policy(clock), opts());
    expect(out.attempt.deployment.id).toBe('b');
    expect(out.attempt.number).toBe(1);
    expect(a.provider.calls).toBe(0);
    expect(a.state.status(clock.now(), 0.1).fallbacksFrom).toEqual({ circuit_open: 1 });
  });

  it('a pinned deployment is tried despite an open breaker, and never falls back', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.state.breaker.trip(clock.now(), 'test');
    a.provider.script = () => failure('unavailable');
    await expect(executeWithFallback([a, b], chat, policy(clock, { maxAttemptsPerDeployment: 1 }), opts({ pinned: true }))).rejects.toMatchObject({ kind: 'unavailable' });
    expect(a.provider.calls).toBe(1);
    expect(b.provider.calls).toBe(0);
  });

  it('keeps a whole attempt for the next deployment under a tight deadline, but a pinned deployment, having none, is retried', async () => {
    const clock = new FakeClock();
    // A slow 503, then an answer: 700 ms are left, a 500 ms attempt is kept for b, too little is left for a retry.
    const slowFirst = (): Deployment => {
      const a = fakeDeployment('a');
      a.provider.script = (n) => (n === 1 ? (clock.advance(300), failure('unavailable')) : 'ok');
      return a;
    };
    const b = fakeDeployment('b');
    const tight = policy(clock, { deadlineMs: 1_000 });
    expect((await executeWithFallback([slowFirst(), b], chat, tight, opts({ attemptTimeoutMs: 500 }))).attempt.deployment.id).toBe('b');
    expect(clock.sleeps).toEqual([]);
    const pinned = await executeWithFallback([slowFirst(), b], chat, tight, opts({ attemptTimeoutMs: 500, pinned: true }));
    expect(pinned.attempt).toMatchObject({ role: 'retry', deployment: { id: 'a' } });
    expect(clock.sleeps).toEqual([50]);
  });

  it('gives the next deployment its whole attempt when a retry is skipped after all: the time kept for it is not taken from it', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    // A slow 503 leaves room for a retry; during its backoff a starts cooling, so the retry is skipped for b.
    a.provider.script = () => {
      clock.advance(300);
      a.state.coolingUntil = clock.now() + 60_000;
      return failure('unavailable');
    };
    b.provider.script = (n) => (n === 1 ? 'hang' : 'ok');
    const failed: string[] = [];
    const p = executeWithFallback([a, b], chat, policy(clock, { deadlineMs: 1_000 }), opts({ attemptTimeoutMs: 400, onAttemptError: (at, err) => failed.push(`${at.deployment.id}: ${err.message}`) }));
    await vi.advanceTimersByTimeAsync(5_000);
    await p;
    expect(failed.slice(0, 2)).toEqual(['a: simulated unavailable', 'b: Deployment b did not answer within 400 ms.']);
    expect(a.provider.calls).toBe(1);
  });

  it('skips a retry whose share of the deadline shrank while it waited, for the next deployment', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => (clock.advance(100), failure('unavailable'));
    // The backoff's timer fires late (a busy event loop): 700 ms are left, 500 kept for b, 200 for the retry.
    const late = policy(clock, { deadlineMs: 1_000 });
    const sleep = clock.sleep.bind(clock);
    clock.sleep = (ms, signal) => (clock.advance(200), sleep(ms, signal));
    const out = await executeWithFallback([a, b], chat, late, opts({ attemptTimeoutMs: 500 }));
    expect(out.attempt).toMatchObject({ role: 'fallback', deployment: { id: 'b' } });
    expect(a.provider.calls).toBe(1);
  });

  it('a pinned deployment is not swapped for a special fallback either', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const lax = fakeDeployment('lax');
    a.provider.script = () => failure('content_filtered');
    const special = () => [lax];
    await expect(executeWithFallback([a], chat, policy(clock), opts({ pinned: true, special }))).rejects.toMatchObject({ kind: 'content_filtered' });
    expect(lax.provider.calls).toBe(0);
    expect((await executeWithFallback([a], chat, policy(clock), opts({ special }))).attempt.deployment.id).toBe('lax');
  });

  it('a quality gate escalates to the next tier, and keeps the last answer when every tier is rejected', async () => {
    const clock = new FakeClock();
    const cheap = fakeDeployment('cheap');
    const dear = fakeDeployment('dear');
    const rejected: string[] = [];
    const accept = (v: unknown): boolean => !textOf((v as ReturnType<typeof response>).content).includes('cheap');
    const out = await executeWithFallback([cheap, dear], chat, policy(clock), { ...opts(), accept, onRejected: (a) => rejected.push(a.deployment.id) } as ExecuteOptions<unknown>);
    expect(out.attempt.deployment.id).toBe('dear');
    expect(out.attempt.cause).toBe('quality_gate');
    expect(rejected).toEqual(['cheap']);
    const last = await executeWithFallback([cheap], chat, policy(clock), { ...opts(), accept: () => false } as ExecuteOptions<unknown>);
    expect(last.attempt.deployment.id).toBe('cheap');
    expect([out.rejected, last.rejected]).toEqual([undefined, undefined]);
  });

  it('returns the answer a quality gate turned down, marked so, when every better tier failed', async () => {
    const clock = new FakeClock();
    const cheap = fakeDeployment('cheap');
    const dear = fakeDeployment('dear');
    dear.provider.script = () => failure('unavailable');
    const accept = (v: unknown): boolean => !textOf((v as ReturnType<typeof response>).content).includes('cheap');
    const out = await executeWithFallback([cheap, dear], chat, policy(clock, { maxAttemptsPerDeployment: 1 }), { ...opts(), accept } as ExecuteOptions<unknown>);
    expect([out.attempt.deployment.id, out.rejected]).toEqual(['cheap', true]);
  });

  it('a client cancel stops at once and frees the in-flight slot', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    a.provider.script = () => 'hang';
    const controller = new AbortController();
    const p = executeWithFallback([a], chat, policy(clock), opts({ signal: controller.signal }));
    expect(a.state.inFlight).toBe(1);
    controller.abort();
    await expect(p).rejects.toMatchObject({ kind: 'cancelled' });
    expect(a.state.inFlight).toBe(0);
  });

  it('logs every retry and fallback with its cause', async () => {
    const clock = new FakeClock();
    const lines: Array<{ msg: string | undefined; cause: unknown }> = [];
    const logger = { ...silentLogger, warn: (obj: object, msg?: string) => lines.push({ msg, cause: (obj as { cause?: unknown }).cause }) };
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = (n) => (n === 1 ? failure('overloaded') : failure('network'));
    await executeWithFallback([a, b], chat, policy(clock, { logger, maxAttemptsPerDeployment: 2 }), opts());
    expect(lines).toEqual([
      { msg: 'retrying', cause: 'overloaded' },
      { msg: 'falling back', cause: 'network' },
    ]);
  });

  it('with a seeded random, backoff delays stay under the exponential ceiling', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a') as Deployment & { provider: FakeProvider };
    a.provider.script = (n) => (n < 4 ? failure('overloaded') : 'ok');
    await executeWithFallback([a], chat, policy(clock, { random: seeded(3), maxAttemptsPerDeployment: 4 }), opts());
    clock.sleeps.forEach((ms, i) => expect(ms).toBeLessThan(100 * 2 ** i));
  });
});

describe('a cancelled request', () => {
  it('starts no attempt once the client has gone', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const client = new AbortController();
    client.abort();
    await expect(executeWithFallback([a], chat, policy(clock), opts({ signal: client.signal }))).rejects.toMatchObject({ kind: 'cancelled' });
    expect(a.provider.calls).toBe(0);
  });

  it('ends with the timeout a runtime deadline aborted it with, not as a cancellation, and does not blame the deployment', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    a.provider.script = () => 'hang';
    const runtime = new AbortController();
    const errors: GatewayError[] = [];
    const p = executeWithFallback([a], chat, policy(clock), opts({ signal: runtime.signal, onAttemptError: (_at, e) => errors.push(e) }));
    runtime.abort(new GatewayError({ kind: 'timeout', code: 'deadline_exceeded', message: 'The platform deadline is near.' }));
    await expect(p).rejects.toMatchObject({ kind: 'timeout', code: 'deadline_exceeded', status: 504, deployment: 'a' });
    expect(errors).toMatchObject([{ kind: 'timeout', unsent: false }]);
    expect(a.state.inFlight).toBe(0);
    expect(a.state.breaker.current(clock.now())).toBe('closed');
  });

  it("keeps the runtime's own words for a cancellation it made (a server's drain), not the client's", async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    a.provider.script = () => 'hang';
    const runtime = new AbortController();
    const errors: GatewayError[] = [];
    const p = executeWithFallback([a], chat, policy(clock), opts({ signal: runtime.signal, onAttemptError: (_at, e) => errors.push(e) }));
    runtime.abort(new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.' }));
    await expect(p).rejects.toMatchObject({ kind: 'cancelled', message: 'The server shut down before the answer was done.', deployment: 'a' });
    expect(errors).toMatchObject([{ kind: 'cancelled', message: 'The server shut down before the answer was done.', unsent: false }]);
    expect(a.state.breaker.current(clock.now())).toBe('closed');
  });

  it('starts no attempt after a runtime deadline, and answers its timeout', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const runtime = new AbortController();
    runtime.abort(new GatewayError({ kind: 'timeout', code: 'deadline_exceeded', message: 'The platform deadline is near.' }));
    await expect(executeWithFallback([a], chat, policy(clock), opts({ signal: runtime.signal }))).rejects.toMatchObject({ kind: 'timeout', code: 'deadline_exceeded' });
    expect(a.provider.calls).toBe(0);
  });
});
