import { describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { CircuitBreaker, transitionLog } from './breaker.js';
import { breakerSchema } from './config.js';
import { FakeClock, failure, fakeDeployment, routing } from './testing/fakes.js';
import { DeploymentState } from './deployment-state.js';

const config = breakerSchema.parse({ consecutive_failures: 1, cool_off_ms: 100, max_cool_off_ms: 100 });
const probation = { failures: 1, rampMs: 0 };

function recording(): { logger: Logger; lines: Array<{ msg: string | undefined; obj: Record<string, unknown> }> } {
  const lines: Array<{ msg: string | undefined; obj: Record<string, unknown> }> = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (obj, msg) => lines.push({ msg, obj: obj as Record<string, unknown> }),
    error: () => undefined,
    child: () => logger,
  };
  return { logger, lines };
}

describe('breaker transition log', () => {
  it('warns once per transition with the deployment, the states and our reason, never upstream text', () => {
    const { logger, lines } = recording();
    const b = new CircuitBreaker(config, probation, undefined, transitionLog(logger, 'azure-eu'));
    b.onFailure(10_000, false, 'unavailable');
    expect(b.current(10_100)).toBe('half-open');
    b.acquire(10_100);
    b.onSuccess(10_105, true);
    expect(lines).toEqual([
      { msg: 'circuit breaker opened', obj: { deployment: 'azure-eu', from: 'closed', to: 'open', reason: '1 consecutive failures (unavailable)', at: 10_000 } },
      { msg: 'circuit breaker half-open', obj: { deployment: 'azure-eu', from: 'open', to: 'half-open', reason: 'cool-off of 100 ms passed', at: 10_100 } },
      { msg: 'circuit breaker closed', obj: { deployment: 'azure-eu', from: 'half-open', to: 'closed', reason: '1 half-open trial(s) succeeded', at: 10_105 } },
    ]);
  });

  it('cannot flood: a flapping breaker logs one line per transition type per second and counts the rest on the next', () => {
    const { logger, lines } = recording();
    const b = new CircuitBreaker(config, probation, undefined, transitionLog(logger, 'a'));
    // Open, half-open by a probe, failed trial, ... every 10 ms for two seconds: 600 transitions.
    let t = 50_000;
    for (let i = 0; i < 200; i++, t += 10) {
      b.trip(t, 'flap');
      b.trialByProbe(t + 1, t);
      b.acquire(t + 1);
      b.onSuccess(t + 2, true);
    }
    expect(b.transitions()).toEqual({ open: 200, 'half-open': 200, closed: 200 });
    expect(lines.map((l) => l.msg)).toEqual(['circuit breaker opened', 'circuit breaker half-open', 'circuit breaker closed', 'circuit breaker opened', 'circuit breaker half-open', 'circuit breaker closed']);
    expect(lines.slice(3).map((l) => l.obj.unlogged)).toEqual([99, 99, 99]);
  });

  it('logs through the deployment state it is given a logger with, and the status says since when the breaker is in its state', () => {
    const { logger, lines } = recording();
    const clock = new FakeClock();
    const cfg = fakeDeployment('a').config;
    const state = new DeploymentState(cfg, routing({ breaker: { consecutive_failures: 1, cool_off_ms: 5_000 } }), undefined, undefined, undefined, logger);
    expect(state.status(clock.now(), 0.1).breaker.changedAt).toBeUndefined();
    state.begin({ startedAt: clock.now() });
    state.fail(clock.now(), failure('unavailable'), 5, false);
    expect(lines.map((l) => l.obj)).toEqual([expect.objectContaining({ deployment: 'a', from: 'closed', to: 'open' })]);
    const openedAt = clock.now();
    clock.advance(1_000);
    expect(state.status(clock.now(), 0.1).breaker).toMatchObject({ state: 'open', changedAt: openedAt });
    clock.advance(4_000);
    expect(state.status(clock.now(), 0.1).breaker).toMatchObject({ state: 'half-open', changedAt: openedAt + 5_000 });
  });
});
