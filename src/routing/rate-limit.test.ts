import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { DeploymentState } from './deployment-state.js';
import { executeWithFallback, type ExecuteOptions, type ExecutePolicy } from './executor.js';
import { RetryBudget } from './retry-budget.js';
import { Router, type Deployment } from './router.js';
import { FakeClock, FakeProvider, failure, fakeDeployment, rawDeployment, routing } from './testing/fakes.js';

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

const opts = (over: Partial<ExecuteOptions<unknown>> = {}): ExecuteOptions<unknown> => ({ signal: new AbortController().signal, requestId: 'r1', attemptTimeoutMs: 10_000, ...over });
const chat = (a: { deployment: Deployment }, s: CancelSignal) => a.deployment.provider.chat({ model: 'm', messages: [] }, { signal: s, requestId: 'r1' });
const run = (ds: Deployment[], clock: FakeClock, over: Partial<ExecutePolicy> = {}) => executeWithFallback(ds, chat, policy(clock, over), opts());
const caught = (p: Promise<unknown>): Promise<GatewayError> => p.then(() => Promise.reject(new Error('expected a failure')), (e: unknown) => e as GatewayError);

describe('a 429 cools its deployment down', () => {
  it('falls over at once, and no call reaches the throttled deployment before its retry-after', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = (n) => (n === 1 ? failure('rate_limited', { retryAfterMs: 2_000 }) : 'ok');
    expect((await run([a, b], clock)).attempt.deployment.id).toBe('b');
    expect(clock.sleeps).toEqual([]);
    // Requests planned with `a` first (before or after its 429) go straight to `b` while it cools.
    for (const step of [0, 500, 1_499]) {
      clock.advance(step);
      expect((await run([a, b], clock)).attempt.deployment.id).toBe('b');
    }
    expect(a.provider.calls).toBe(1);
    clock.advance(1);
    expect((await run([a, b], clock)).attempt.deployment.id).toBe('a');
    expect(a.state.status(clock.now(), 0.1).fallbacksFrom).toEqual({ rate_limited: 4 });
  });

  it('uses retry-after-ms as parsed by the provider, and the default cool-down when the upstream gave none', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a', {}, routing({ rate_limit: { default_cool_down_ms: 700 } }));
    a.state.fail(clock.now(), failure('rate_limited'), 5, false);
    expect(a.state.coolingFor(clock.now())).toBe(700);
    a.state.fail(clock.now(), failure('rate_limited', { retryAfterMs: 1_250 }), 5, false);
    expect(a.state.coolingUntil).toBe(clock.now() + 1_250);
    // A shorter answer later never cuts a cool-down short.
    a.state.fail(clock.now(), failure('rate_limited', { retryAfterMs: 100 }), 5, false);
    expect(a.state.coolingUntil).toBe(clock.now() + 1_250);
  });

  it('cools no longer than max_cool_down_ms, whatever retry-after the upstream asked for', () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a', {}, routing({ rate_limit: { max_cool_down_ms: 60_000 } }));
    a.state.fail(clock.now(), failure('rate_limited', { retryAfterMs: 1e12 }), 5, false);
    expect(a.state.coolingFor(clock.now())).toBe(60_000);
    expect(fakeDeployment('b').state.coolingFor(clock.now())).toBe(0);
    const b = fakeDeployment('b');
    b.state.fail(clock.now(), failure('rate_limited', { retryAfterMs: 86_400_000 }), 5, false);
    expect(b.state.coolingFor(clock.now())).toBe(300_000);
  });

  it('is not a health failure: a run of 429s leaves the breaker closed', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 2 } }));
    for (let i = 0; i < 10; i++) a.state.fail(clock.now() + i, failure('rate_limited', { retryAfterMs: 1 }), 5, false);
    expect(a.state.breaker.current(clock.now())).toBe('closed');
    expect(a.state.breaker.toJSON().trips).toBe(0);
  });

  it('a throttled half-open trial gives its slot back instead of re-opening the breaker', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 1, cool_off_ms: 1_000 } }));
    a.state.fail(clock.now(), failure('unavailable'), 5, false);
    clock.advance(1_000);
    expect(a.state.begin({ startedAt: clock.now() })).toBe('probe');
    a.state.fail(clock.now(), failure('rate_limited', { retryAfterMs: 500 }), 5, true);
    expect(a.state.breaker.toJSON()).toMatchObject({ state: 'half-open', trips: 1 });
    expect(a.state.breaker.allows(clock.now())).toBe(true);
  });

  it('sleeps on the last deployment for the whole cool-down, only when it fits the deadline', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    // No retry-after: the default cool-down (1 s), not a short jittered backoff, before the retry.
    a.provider.script = (n) => (n === 1 ? failure('rate_limited') : 'ok');
    expect((await run([a], clock)).attempt.number).toBe(2);
    expect(clock.sleeps).toEqual([1_000]);

    const tight = fakeDeployment('tight');
    tight.provider.script = () => failure('rate_limited', { retryAfterMs: 2_000 });
    const err = await caught(run([tight], clock, { deadlineMs: 1_500 }));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2_000 });
    expect(tight.provider.calls).toBe(1);
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('when every deployment is cooling, answers 429 with the shortest remaining cool-down', async () => {
    const clock = new FakeClock();
    const a = fakeDeployment('a');
    const b = fakeDeployment('b');
    a.provider.script = () => failure('rate_limited', { retryAfterMs: 2_000 });
    b.provider.script = () => failure('rate_limited', { retryAfterMs: 9_000 });
    const err = await caught(run([a, b], clock));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2_000 });
    expect([a.provider.calls, b.provider.calls]).toEqual([1, 1]);
    // A request already planned meets both cool-downs: no upstream call, the same answer, less time left.
    clock.advance(600);
    expect(await caught(run([a, b], clock, { backoff: { baseMs: 100, capMs: 2_000, maxRetryAfterMs: 1_000 } }))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1_400 });
    expect([a.provider.calls, b.provider.calls]).toEqual([1, 1]);
  });
});

describe('the router and cooling deployments', () => {
  function setup() {
    const config = resolveConfig({ deployments: [rawDeployment('a'), rawDeployment('b')], groups: [{ name: 'chat', deployments: ['a', 'b'] }] }, {});
    const clock = new FakeClock();
    const deployments = new Map<string, Deployment>();
    for (const d of config.deployments) deployments.set(d.id, { id: d.id, config: d, provider: new FakeProvider(d.id), state: new DeploymentState(d, config.routing) });
    const router = new Router(config, deployments, { random: () => 0.5, now: () => clock.now(), failback: config.routing.failback, unknownModelToDefault: false, defaultGroup: undefined });
    const state = (id: string): DeploymentState => (deployments.get(id) as Deployment).state;
    const plan = (override?: string) => router.plan({ model: 'chat', override, needs: { capabilities: [], promptTokens: 1, residency: undefined } });
    return { clock, state, plan };
  }

  it('filters a cooling deployment like an open circuit', () => {
    const { clock, state, plan } = setup();
    state('a').coolDown(clock.now(), 2_000);
    expect(plan().deployments.map((d) => d.id)).toEqual(['b']);
    clock.advance(2_000);
    expect(plan().deployments.map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('answers 429 rate_limited with the shortest remaining cool-down when every candidate cools', () => {
    const { clock, state, plan } = setup();
    state('a').coolDown(clock.now(), 3_000);
    state('b').coolDown(clock.now(), 2_000);
    clock.advance(500);
    expect(plan).toThrow(expect.objectContaining({ kind: 'rate_limited', status: 429, code: 'rate_limited', retryAfterMs: 1_500 }));
    // An explicit choice waives the breaker, not the upstream's own request to wait.
    expect(() => plan('a')).toThrow(expect.objectContaining({ kind: 'rate_limited', retryAfterMs: 2_500 }));
  });

  it('a breaker held by health checks still answers with a retry-after', () => {
    const { clock, state, plan } = setup();
    state('a').breaker.trip(clock.now(), 'health', true);
    state('b').breaker.trip(clock.now(), 'health', true);
    expect(plan).toThrow(expect.objectContaining({ kind: 'no_deployment_available', retryAfterMs: 1_000 }));
  });
});
