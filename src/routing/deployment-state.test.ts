import { describe, expect, it } from 'vitest';
import { Canceller } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { FakeClock, failure, fakeDeployment, routing } from './testing/fakes.js';

const quick = routing({ breaker: { consecutive_failures: 2, cool_off_ms: 1_000 }, failback: { ramp_ms: 0 } });

/** A deployment whose breaker two failures opened and whose cool-off has passed: half-open, one trial slot free. */
function halfOpen(extra: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const d = fakeDeployment('a', extra, quick);
  for (let i = 0; i < 2; i++) {
    d.state.begin({ startedAt: clock.now() });
    d.state.fail(clock.now(), failure('unavailable'), 5, false);
  }
  clock.advance(1_000);
  expect(d.state.breaker.current(clock.now())).toBe('half-open');
  return { clock, d };
}

const refusedBeforeSending = (): GatewayError =>
  new GatewayError({ kind: 'invalid_request', message: 'Two tools are named lookup.', param: 'tools', fallbackable: true, unsent: true });

describe('DeploymentState: half-open trials', () => {
  it('gives the trial slot back when a dialect refuses the trial before sending it: nothing reached the upstream', () => {
    const { clock, d } = halfOpen();
    expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
    d.state.fail(clock.now(), refusedBeforeSending(), 0, true);
    expect(d.state.breaker.current(clock.now())).toBe('half-open');
    expect(d.state.inFlight).toBe(0);
    // The next request is the trial that decides.
    expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
    d.state.fail(clock.now(), failure('unavailable'), 5, true);
    expect(d.state.breaker.current(clock.now())).toBe('open');
  });

  it('closes on a trial the upstream answered with an error that is no health failure (a 400, a 404): it is serving', () => {
    for (const kind of ['invalid_request', 'not_found'] as const) {
      const { clock, d } = halfOpen();
      expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
      d.state.fail(clock.now(), failure(kind, { status: 400 }), 5, true);
      expect(d.state.breaker.current(clock.now())).toBe('closed');
    }
  });

  it('re-opens on a trial whose connection failed before sending: unsent, but a health failure', () => {
    const { clock, d } = halfOpen();
    expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
    d.state.fail(clock.now(), new GatewayError({ kind: 'network', message: 'Connection refused.', unsent: true }), 5, true);
    expect(d.state.breaker.current(clock.now())).toBe('open');
  });
});

describe('DeploymentState: shadow copies', () => {
  it('never lets a shadow copy take a half-open trial slot: the trial is live traffic’s', () => {
    const { clock, d } = halfOpen();
    expect(d.state.beginShadow({ startedAt: clock.now() }, new Canceller())).toBe(false);
    expect(d.state.inFlight).toBe(0);
    expect(d.state.begin({ startedAt: clock.now() })).toBe('probe');
  });

  it('holds at most a quarter of the connections for shadow copies, and starts none the pool would queue', () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a', { options: { max_connections: 8 } });
    expect(d.state.shadowCalls.cap).toBe(2);
    expect(d.state.beginShadow({ startedAt: clock.now() }, new Canceller())).toBe(true);
    expect(d.state.beginShadow({ startedAt: clock.now() }, new Canceller())).toBe(true);
    expect(d.state.beginShadow({ startedAt: clock.now() }, new Canceller())).toBe(false);
    // A lane with room still sends nothing into a full pool.
    const busy = fakeDeployment('b', { options: { max_connections: 8 } });
    for (let i = 0; i < 8; i++) busy.state.begin({ startedAt: clock.now() });
    expect(busy.state.beginShadow({ startedAt: clock.now() }, new Canceller())).toBe(false);
    // At least one, whatever the pool.
    expect(fakeDeployment('c', { options: { max_connections: 2 } }).state.shadowCalls.cap).toBe(1);
  });

  it('cancels the oldest shadow copy when a live attempt would otherwise wait for its connection', () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a', { options: { max_connections: 8 } });
    const older = new Canceller();
    const newer = new Canceller();
    expect(d.state.beginShadow({ startedAt: clock.now() }, older)).toBe(true);
    expect(d.state.beginShadow({ startedAt: clock.now() }, newer)).toBe(true);
    for (let i = 0; i < 6; i++) d.state.begin({ startedAt: clock.now() });
    expect(older.aborted).toBe(false);
    // Eight calls out: a ninth would wait, so the oldest copy gives its connection up, and only it.
    d.state.begin({ startedAt: clock.now() });
    expect(older.aborted).toBe(true);
    expect(older.reason).toMatchObject({ kind: 'cancelled' });
    expect(newer.aborted).toBe(false);
    expect(d.state.shadowCalls.size).toBe(1);
  });
});

describe('DeploymentState: latency in the status', () => {
  it('keeps whole answers and streams apart: a stream lasts as long as its answer, and mixed in it would read as a slow upstream', () => {
    const clock = new FakeClock();
    const d = fakeDeployment('a');
    for (const ms of [100, 120]) {
      d.state.begin({ startedAt: clock.now() });
      d.state.succeed(clock.now(), ms, false);
    }
    d.state.begin({ startedAt: clock.now() });
    d.state.succeed(clock.now(), 30_000, false, 400);
    const s = d.state.status(clock.now(), 1);
    expect(s.latencyMs).toEqual({ p50: 100, p95: 120, p99: 120 });
    expect(s.ttftMs).toEqual({ p50: 400, p95: 400, p99: 400 });
    expect(s.streamMs).toEqual({ p50: 30_000, p95: 30_000, p99: 30_000 });
  });
});
