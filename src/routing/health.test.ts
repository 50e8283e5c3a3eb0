import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { createGateway } from '../gateway/gateway.js';
import { healthSchema } from './config.js';
import { HealthChecker } from './health.js';
import { FakeClock, FakeProvider, failure, fakeDeployment, rawDeployment, routing } from './testing/fakes.js';

afterEach(() => vi.useRealTimers());

describe('HealthChecker', () => {
  it('marks a deployment down after N failed probes and up after M successes, through its breaker', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, failures_to_down: 2, successes_to_up: 3 }), clock, silentLogger);
    d.provider.probeScript = () => failure('unavailable');
    await checker.runOnce();
    expect(d.state.healthUp).toBe(true);
    await checker.runOnce();
    expect(d.state.healthUp).toBe(false);
    expect(d.state.breaker.current(clock.now())).toBe('open');
    // Held open: the cool-off passing does not let traffic in while probes fail.
    clock.advance(600_000);
    expect(d.state.breaker.allows(clock.now())).toBe(false);
    d.provider.probeScript = () => 'ok';
    await checker.runOnce();
    await checker.runOnce();
    expect(d.state.healthUp).toBe(false);
    await checker.runOnce();
    expect(d.state.healthUp).toBe(true);
    expect(d.state.breaker.current(clock.now())).toBe('closed');
    expect(d.state.lastHealth).toMatchObject({ ok: true, at: clock.now() });
  });

  it('probes a breaker opened by live traffic and lets a live trial in within one interval of recovery', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 3, cool_off_ms: 5_000 } }));
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, interval_ms: 1_000, successes_to_up: 2 }), clock, silentLogger);
    // Three outages in a row grew the cool-off to 20 s.
    for (let trip = 0; trip < 3; trip++) {
      if (trip > 0) {
        clock.advance(d.state.breaker.toJSON().coolOffMs);
        expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
        d.state.fail(clock.now(), failure('unavailable'), 5, true);
      } else for (let i = 0; i < 3; i++) d.state.fail(clock.now(), failure('unavailable'), 5, false);
    }
    expect(d.state.breaker.toJSON()).toMatchObject({ state: 'open', coolOffMs: 20_000 });
    d.provider.probeScript = () => failure('unavailable');
    clock.advance(1_000);
    await checker.runOnce();
    expect(d.state.breaker.current(clock.now())).toBe('open');
    // The upstream recovers; the next health round (not the cool-off 20 s later) lets a trial in, and
    // the trial's success brings it back, ramping.
    d.provider.probeScript = () => 'ok';
    clock.advance(1_000);
    await checker.runOnce();
    expect(d.state.breaker.current(clock.now())).toBe('half-open');
    expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
    d.state.succeed(clock.now(), 5, true);
    expect(d.state.breaker.current(clock.now())).toBe('closed');
    expect(d.state.breaker.rampShare(clock.now(), 0.1)).toBeCloseTo(0.1);
    expect(d.state.healthUp).toBe(true);
  });

  it('never closes a breaker on a model list alone while chat keeps failing: the cool-off grows between live trials', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a', {}, routing({ breaker: { consecutive_failures: 3, cool_off_ms: 5_000, max_cool_off_ms: 40_000 } }));
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, interval_ms: 1_000, mode: 'models' }), clock, silentLogger);
    d.provider.probeScript = () => 'ok';
    for (let i = 0; i < 3; i++) d.state.fail(clock.now(), failure('unavailable'), 5, false);
    // Twenty minutes of health rounds a second apart, each live request that gets in failing with a 503.
    let trials = 0;
    for (let round = 0; round < 1_200; round++) {
      clock.advance(1_000);
      await checker.runOnce();
      expect(d.state.breaker.current(clock.now())).not.toBe('closed');
      if (d.state.begin({ startedAt: clock.now() }) === 'probe') {
        trials += 1;
        d.state.fail(clock.now(), failure('unavailable'), 5, true);
      }
    }
    expect(d.state.breaker.toJSON().coolOffMs).toBe(40_000);
    // One trial a second at first (the probe's), then one per grown cool-off: 5, 10, 20, 40 s...
    expect(trials).toBeLessThan(40);
  });

  it('times out a hung probe', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    d.provider.probeScript = () => 'hang';
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, timeout_ms: 500, failures_to_down: 1 }), clock, silentLogger);
    const run = checker.runOnce();
    await vi.advanceTimersByTimeAsync(500);
    await run;
    expect(d.state.lastHealth).toMatchObject({ ok: false, error: 'timeout' });
    expect(d.state.healthUp).toBe(false);
  });

  it('is started by the gateway on its interval, off by default, and stopped on close', async () => {
    vi.useFakeTimers();
    const providers: FakeProvider[] = [];
    const make = (health: Record<string, unknown> | undefined) =>
      createGateway(
        { deployments: [rawDeployment('a')], routing: health ? { health } : {} },
        { createProvider: (dep) => (providers.push(new FakeProvider(dep.id)), providers.at(-1)) },
      );
    const off = make(undefined);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(providers[0]?.probes).toBe(0);
    await off.close();
    const on = make({ enabled: true, interval_ms: 1_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(providers[1]?.probes).toBe(3);
    await on.close();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(providers[1]?.probes).toBe(3);
  });

  it('takes a throttled request probe as no health failure: it cools the deployment down for its retry-after and probes again after', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, mode: 'request', failures_to_down: 1 }), clock, silentLogger);
    d.provider.script = () => failure('rate_limited', { retryAfterMs: 2_000 });
    await checker.runOnce();
    expect(d.state.healthUp).toBe(true);
    expect(d.state.breaker.current(clock.now())).toBe('closed');
    expect(d.state.coolingFor(clock.now())).toBe(2_000);
    expect(d.state.lastHealth).toMatchObject({ ok: false, error: 'rate_limited' });
    // Not probed while it cools: a probe would only be throttled again.
    clock.advance(1_000);
    await checker.runOnce();
    expect(d.provider.calls).toBe(1);
    clock.advance(1_000);
    d.provider.script = () => 'ok';
    await checker.runOnce();
    expect(d.provider.calls).toBe(2);
    expect(d.state.lastHealth).toMatchObject({ ok: true });
  });

  it('keeps the failure streak through a throttled probe: only health failures count towards down', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, failures_to_down: 2 }), clock, silentLogger);
    const results = [failure('unavailable'), failure('rate_limited'), failure('invalid_request'), failure('unavailable')];
    d.provider.probeScript = (n) => results[n - 1] ?? 'ok';
    await checker.runOnce();
    await checker.runOnce();
    await checker.runOnce();
    expect(d.state.healthUp).toBe(true);
    // A models probe's 429 cools nothing: the model list is not what live traffic calls.
    expect(d.state.coolingFor(clock.now())).toBe(0);
    await checker.runOnce();
    expect(d.state.healthUp).toBe(false);
  });

  it('a 1-token request probe goes through chat', async () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    const checker = new HealthChecker([d], healthSchema.parse({ enabled: true, mode: 'request' }), clock, silentLogger);
    await checker.runOnce();
    expect(d.provider.requests[0]).toMatchObject({ maxOutputTokens: 1 });
    expect(d.provider.probes).toBe(0);
  });
});
