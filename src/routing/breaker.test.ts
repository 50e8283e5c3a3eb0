import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';
import { breakerSchema } from './config.js';
import { SlidingWindow } from './window.js';

const config = breakerSchema.parse({ consecutive_failures: 3, error_rate: 0.5, window_ms: 10_000, min_requests: 10, cool_off_ms: 1_000, max_cool_off_ms: 8_000 });
const probation = { failures: 1, rampMs: 10_000 };

describe('CircuitBreaker', () => {
  it('opens after consecutive failures and refuses requests while open', () => {
    const b = new CircuitBreaker(config, probation);
    b.onFailure(0, false, 'unavailable');
    b.onFailure(1, false, 'unavailable');
    expect(b.current(2)).toBe('closed');
    b.onFailure(2, false, 'unavailable');
    expect(b.current(3)).toBe('open');
    expect(b.allows(500)).toBe(false);
    expect(b.retryAt(500)).toBe(1_002);
  });

  it('a success resets the consecutive count', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 5; i++) {
      b.onFailure(i, false, 'timeout');
      b.onFailure(i, false, 'timeout');
      b.onSuccess(i, false);
    }
    // 10 failures of 15 calls is an error rate of 67% over the minimum volume of 10: that trips instead.
    expect(b.current(10)).toBe('open');
    expect(b.toJSON().reason).toMatch(/error rate/);
  });

  it('ignores the error rate below the minimum volume', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 4; i++) {
      b.onFailure(i, false, 'timeout');
      b.onSuccess(i, false);
    }
    expect(b.current(10)).toBe('closed');
  });

  it('forgets failures older than the window', () => {
    const b = new CircuitBreaker({ ...config, consecutive_failures: 100 }, probation);
    for (let i = 0; i < 6; i++) b.onFailure(i, false, 'timeout');
    for (let i = 0; i < 4; i++) b.onSuccess(20_000 + i, false);
    for (let i = 0; i < 5; i++) b.onSuccess(20_010 + i, false);
    b.onFailure(20_100, false, 'timeout');
    expect(b.current(20_100)).toBe('closed');
  });

  it('half-opens after the cool-off, lets one trial through, and closes on its success', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    expect(b.acquire(999)).toBeUndefined();
    expect(b.current(1_000)).toBe('half-open');
    expect(b.acquire(1_000)).toBe('probe');
    expect(b.acquire(1_001)).toBeUndefined();
    b.onSuccess(1_050, true);
    expect(b.current(1_050)).toBe('closed');
    expect(b.acquire(1_051)).toBe('normal');
  });

  it('re-opens on a failed trial with a cool-off that doubles on every trip, up to the cap', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    let t = 0;
    const coolOffs: number[] = [];
    for (let trip = 0; trip < 5; trip++) {
      coolOffs.push(b.toJSON().coolOffMs);
      t = (b.retryAt(t) as number) + 0;
      expect(b.acquire(t)).toBe('probe');
      b.onFailure(t, true, 'unavailable');
    }
    expect(coolOffs).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(b.toJSON().trips).toBe(6);
  });

  it('a cancelled trial gives its slot back', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    expect(b.acquire(1_000)).toBe('probe');
    b.releaseProbe();
    expect(b.acquire(1_000)).toBe('probe');
  });

  it('trips on a single failure while ramping back after recovery (hysteresis)', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    b.acquire(1_000);
    b.onSuccess(1_000, true);
    b.onFailure(2_000, false, 'unavailable');
    expect(b.current(2_000)).toBe('open');
    // Second trip soon after recovery: the cool-off has grown.
    expect(b.toJSON().coolOffMs).toBe(2_000);
  });

  it('ramps the recovered share from the start share to 1 over the ramp', () => {
    const b = new CircuitBreaker(config, probation);
    expect(b.rampShare(0, 0.1)).toBe(1);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    b.acquire(1_000);
    b.onSuccess(1_000, true);
    expect(b.rampShare(1_000, 0.1)).toBeCloseTo(0.1);
    expect(b.rampShare(6_000, 0.1)).toBeCloseTo(0.55);
    expect(b.rampShare(11_000, 0.1)).toBe(1);
  });

  it('grows the cool-off trip by trip up to a ceiling of 30 s by default', () => {
    const defaults = breakerSchema.parse({ consecutive_failures: 1 });
    expect(defaults.max_cool_off_ms).toBe(30_000);
    const b = new CircuitBreaker(defaults, probation);
    const coolOffs: number[] = [];
    let t = 0;
    for (let trip = 0; trip < 5; trip++) {
      b.onFailure(t, false, 'unavailable');
      coolOffs.push(b.toJSON().coolOffMs);
      t = b.retryAt(t) as number;
      expect(b.acquire(t)).toBe('probe');
      b.onFailure(t, true, 'unavailable');
      coolOffs.push(b.toJSON().coolOffMs);
      t = b.retryAt(t) as number;
      b.acquire(t);
      b.onSuccess(t, true);
    }
    expect(coolOffs.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 30_000]);
    expect(Math.max(...coolOffs)).toBe(30_000);
    // A configured first cool-off longer than the default ceiling is not cut short.
    expect(breakerSchema.parse({ cool_off_ms: 60_000 }).max_cool_off_ms).toBe(60_000);
    expect(breakerSchema.parse({ cool_off_ms: 1_000, max_cool_off_ms: 4_000 }).max_cool_off_ms).toBe(4_000);
  });

  it('a successful health probe that started after the breaker opened makes it half-open: the trial, live traffic, decides', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(100, false, 'unavailable');
    // A probe that was already running when the breaker opened proves nothing about the outage.
    expect(b.trialByProbe(150, 50)).toBe(false);
    expect(b.current(150)).toBe('open');
    expect(b.trialByProbe(400, 300)).toBe(true);
    expect(b.current(400)).toBe('half-open');
    expect(b.acquire(400)).toBe('probe');
    b.onSuccess(410, true);
    expect(b.current(410)).toBe('closed');
    expect(b.rampShare(410, 0.1)).toBeCloseTo(0.1);
    // A breaker the health checks hold is theirs to release.
    b.trip(500, 'health', true);
    expect(b.trialByProbe(900, 800)).toBe(false);
  });

  it('lets the cool-off grow once a trial refuted a probe: the probed route answers, chat does not', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    expect(b.trialByProbe(100, 50)).toBe(true);
    b.acquire(100);
    b.onFailure(110, true, 'unavailable');
    expect(b.toJSON()).toMatchObject({ state: 'open', trips: 2, coolOffMs: 2_000 });
    // Later probes succeed again, but the breaker waits out its grown cool-off before the next trial.
    expect(b.trialByProbe(500, 400)).toBe(false);
    expect(b.current(2_109)).toBe('open');
    expect(b.current(2_110)).toBe('half-open');
    b.acquire(2_110);
    b.onFailure(2_120, true, 'unavailable');
    expect(b.toJSON()).toMatchObject({ state: 'open', trips: 3, coolOffMs: 4_000 });
    // Once the deployment really recovers (a trial closes it), probes may shorten the next outage again.
    b.acquire(6_120);
    b.onSuccess(6_130, true);
    expect(b.current(6_130)).toBe('closed');
    b.trip(7_000, 'outage');
    expect(b.trialByProbe(7_200, 7_100)).toBe(true);
  });

  it('client errors and rate limits do not count against the deployment', async () => {
    const { countsAgainstHealth } = await import('./breaker.js');
    expect(countsAgainstHealth('invalid_request')).toBe(false);
    expect(countsAgainstHealth('context_window_exceeded')).toBe(false);
    expect(countsAgainstHealth('unavailable')).toBe(true);
    // A 429 says "less, please", not "broken": the deployment's cool-down deals with it.
    expect(countsAgainstHealth('rate_limited')).toBe(false);
  });

  it('is held open by health checks until released, then closes', () => {
    const b = new CircuitBreaker(config, probation);
    b.trip(0, 'health', true);
    expect(b.current(100_000)).toBe('open');
    b.release(100_000);
    expect(b.current(100_000)).toBe('closed');
  });

  it('round-trips through toJSON/fromJSON (JSON text included)', () => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    const copy = CircuitBreaker.fromJSON(JSON.parse(JSON.stringify(b.toJSON())), config, probation);
    expect(copy.toJSON()).toEqual(b.toJSON());
    expect(copy.allows(500)).toBe(false);
    expect(copy.current(1_000)).toBe('half-open');
  });

  it('reports every transition to its listener', () => {
    const states: string[] = [];
    const b = new CircuitBreaker(config, probation, (s) => states.push(s.state));
    for (let i = 0; i < 3; i++) b.onFailure(0, false, 'unavailable');
    b.acquire(1_000);
    b.onSuccess(1_000, true);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });
});

describe('CircuitBreaker.adopt (replicas sharing state)', () => {
  const opened = (at: number): CircuitBreaker => {
    const b = new CircuitBreaker(config, probation);
    for (let i = 0; i < 3; i++) b.onFailure(at, false, 'unavailable');
    return b;
  };

  it("lets no extra trial through when another replica's snapshot arrived while its own trial ran", () => {
    const twoTrials = breakerSchema.parse({ consecutive_failures: 1, cool_off_ms: 1_000, half_open_probes: 1, half_open_successes: 2 });
    const b = new CircuitBreaker(twoTrials, probation);
    b.onFailure(0, false, 'unavailable');
    expect(b.acquire(1_000)).toBe('probe');
    // Another replica half-opened later and published it; adopting it resets the trial slots.
    const other = new CircuitBreaker(twoTrials, probation);
    other.onFailure(500, false, 'unavailable');
    expect(other.current(1_600)).toBe('half-open');
    expect(b.adopt(other.toJSON())).toBe(true);
    b.onSuccess(1_700, true);
    // One trial at a time, as half_open_probes says.
    expect(b.acquire(1_701)).toBe('probe');
    expect(b.acquire(1_702)).toBeUndefined();
  });

  it('adopts a newer snapshot, cool-off included, and ignores its own or older ones', () => {
    const a = opened(100);
    const b = new CircuitBreaker(config, probation);
    expect(b.adopt(a.toJSON())).toBe(true);
    expect(b.current(500)).toBe('open');
    expect(b.retryAt(500)).toBe(1_100);
    expect(b.adopt(a.toJSON())).toBe(false);
    expect(b.adopt(new CircuitBreaker(config, probation).toJSON())).toBe(false);
  });

  it('a close after a half-open wins over the half-open stamped at the same instant elsewhere', () => {
    const a = opened(0);
    const b = new CircuitBreaker(config, probation);
    b.adopt(a.toJSON());
    // Both half-open at 1_000 with the same stamp; b's trial succeeds within that very millisecond.
    expect(a.current(1_000)).toBe('half-open');
    expect(b.acquire(1_000)).toBe('probe');
    b.onSuccess(1_000, true);
    expect(a.adopt(b.toJSON())).toBe(true);
    expect(a.current(1_000)).toBe('closed');
    expect(b.adopt(a.toJSON())).toBe(false);
  });

  it('adopting a recovery elsewhere forgets local failures so they cannot re-trip at once', () => {
    const a = opened(0);
    a.acquire(1_000);
    a.onSuccess(1_000, true);
    const b = new CircuitBreaker({ ...config, consecutive_failures: 100, min_requests: 4 }, { failures: 100, rampMs: 0 });
    for (let i = 0; i < 3; i++) b.onFailure(900, false, 'timeout');
    expect(b.adopt(a.toJSON())).toBe(true);
    b.onFailure(1_100, false, 'timeout');
    expect(b.current(1_100)).toBe('closed');
  });

  it('a breaker held by local health checks is not overridden, and a held one elsewhere is not held here', () => {
    const held = new CircuitBreaker(config, probation);
    held.trip(0, 'health check failed', true);
    expect(held.toJSON().held).toBe(true);
    const b = new CircuitBreaker(config, probation);
    expect(b.adopt(held.toJSON())).toBe(true);
    // Not held here: it half-opens after the cool-off and probes on its own.
    expect(b.current(1_000)).toBe('half-open');
    const closed = opened(0);
    closed.acquire(1_000);
    closed.onSuccess(5_000, true);
    expect(held.adopt(closed.toJSON())).toBe(false);
    expect(held.current(10_000)).toBe('open');
  });
});

describe('CircuitBreaker.carryFrom (a reload that kept the upstream)', () => {
  it('keeps the consecutive failures: two of three before, one after opens it', () => {
    const before = new CircuitBreaker(config, probation);
    before.onFailure(0, false, 'unavailable');
    before.onFailure(1, false, 'unavailable');
    const after = new CircuitBreaker(config, probation);
    expect(after.carryFrom(before, 2)).toBe(true);
    after.onFailure(3, false, 'unavailable');
    expect(after.current(3)).toBe('open');
    expect(after.toJSON().reason).toBe('3 consecutive failures (unavailable)');
  });

  it('keeps the open state, not the hold of the old health checks', () => {
    const before = new CircuitBreaker(config, probation);
    before.trip(0, 'health check failed', true);
    const after = new CircuitBreaker(config, probation);
    after.carryFrom(before, 10);
    expect(after.current(10)).toBe('open');
    expect(after.toJSON().held).toBe(false);
    expect(after.current(1_000)).toBe('half-open');
  });

  it('keeps a suspicion a suspicion: its trial succeeding after the reload starts no failback ramp', () => {
    const before = new CircuitBreaker(config, probation);
    before.suspect(100, 'seen down elsewhere');
    const after = new CircuitBreaker(config, probation);
    after.carryFrom(before, 200);
    expect(after.acquire(300)).toBe('probe');
    after.onSuccess(300, true);
    expect(after.rampShare(300, 0.1)).toBe(1);
  });

  it('takes nothing over a newer state the new breaker adopted meanwhile (a recovery elsewhere)', () => {
    const before = new CircuitBreaker(config, probation);
    before.onFailure(0, false, 'unavailable');
    before.onFailure(1, false, 'unavailable');
    const elsewhere = new CircuitBreaker(config, probation);
    elsewhere.trip(0, 'tripped elsewhere');
    elsewhere.release(500);
    // No failback ramp: a single failure while ramping would open it whatever was carried.
    const after = new CircuitBreaker(config, { failures: 1, rampMs: 0 });
    after.adopt(elsewhere.toJSON());
    expect(after.carryFrom(before, 600)).toBe(false);
    after.onFailure(700, false, 'unavailable');
    expect(after.current(700)).toBe('closed');
  });
});

describe('CircuitBreaker.suspect (replicas of an earlier release, which cannot say which upstream they saw)', () => {
  it('half-opens a closed breaker: one trial at a time, and its success closes it with no failback ramp', () => {
    const b = new CircuitBreaker(config, probation);
    expect(b.suspect(100, 'seen down elsewhere')).toBe(true);
    expect(b.acquire(200)).toBe('probe');
    expect(b.acquire(200)).toBeUndefined();
    b.onSuccess(300, true);
    expect(b.current(300)).toBe('closed');
    expect(b.rampShare(300, 0.1)).toBe(1);
  });

  it("a failed trial opens it with this breaker's first cool-off, whatever trips the suspicion came with", () => {
    const b = new CircuitBreaker(config, probation);
    b.suspect(100, 'seen down elsewhere');
    b.acquire(200);
    b.onFailure(200, true, 'unavailable');
    expect(b.toJSON()).toMatchObject({ state: 'open', trips: 1, coolOffMs: 1_000 });
  });

  it('is neither published nor counted as a transition, and ignored when not newer than the last one or when not closed', () => {
    const published: unknown[] = [];
    const b = new CircuitBreaker(config, probation, (s) => published.push(s));
    b.onFailure(0, false, 'unavailable');
    b.onFailure(0, false, 'unavailable');
    b.onFailure(0, false, 'unavailable');
    expect(b.suspect(1, 'seen down elsewhere')).toBe(false);
    const c = new CircuitBreaker(config, probation, (s) => published.push(s));
    expect(c.suspect(5, 'seen down elsewhere')).toBe(true);
    expect(c.suspect(6, 'seen down elsewhere')).toBe(false);
    expect(published).toHaveLength(1);
    expect(c.transitions()['half-open']).toBe(0);
  });
});

describe('SlidingWindow', () => {
  it('carries its counts to another window by their times, whatever its bucket size', () => {
    const from = new SlidingWindow(1_000, 2, 10);
    from.add(100, 1, 3);
    from.add(950, 0, 2);
    const to = new SlidingWindow(500, 2, 5);
    from.carryTo(to, 1_000);
    // The 500 ms window no longer covers 100 ms.
    expect(to.sum(1_000, 1)).toBe(0);
    expect(to.sum(1_000, 0)).toBe(2);
    const same = new SlidingWindow(1_000, 2, 10);
    from.carryTo(same, 1_000);
    expect([same.sum(1_000, 0), same.sum(1_000, 1), same.sum(1_200, 1)]).toEqual([2, 3, 0]);
  });

  it('sums events inside the window and drops older buckets', () => {
    const w = new SlidingWindow(1_000, 1, 10);
    w.add(0, 0, 3);
    w.add(500, 0, 2);
    expect(w.sum(900, 0)).toBe(5);
    expect(w.sum(1_050, 0)).toBe(2);
    expect(w.sum(5_000, 0)).toBe(0);
  });
});
