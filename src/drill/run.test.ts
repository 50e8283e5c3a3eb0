import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { failure, FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import type { FaultTarget } from './faults/inject.js';
import { drillCostCeiling, drillProblem, injectWindow, prepareDrill, type DrillResult } from './run.js';
import { loadScenario, parseScenario, type FaultWindow } from './scenario.js';

const outage = loadScenario('region-outage');
const late = parseScenario({ name: 'late', faults: [{ start: 30, end: 60, effect: { status: 503 } }] }, 'test');

describe('drills that would prove nothing', () => {
  it('are refused without load: a rate or duration of 0, or too little of both for one request', () => {
    expect(drillProblem({ scenario: outage, ratePerS: 0, durationMs: 4_000 })).toMatch(/^the rate must be above 0 requests per second \(got 0\)/);
    expect(drillProblem({ scenario: outage, ratePerS: 20, durationMs: 0 })).toMatch(/^the duration must be above 0 \(got 0 ms\)/);
    expect(drillProblem({ scenario: outage, ratePerS: 0.1, durationMs: 5_000 })).toMatch(/^at 0\.1\/s for 5 s the drill would send no request/);
  });

  it('are refused when no fault window falls inside the run, naming the faults left out', () => {
    expect(drillProblem({ scenario: late, ratePerS: 10, durationMs: 4_000 })).toBe(
      'no fault of scenario "late" (30 s to 60 s) falls inside the 4 s run: the drill would inject nothing; lengthen the duration or move the faults',
    );
    expect(drillProblem({ scenario: late, ratePerS: 10, durationMs: 40_000 })).toBeUndefined();
    expect(drillProblem({ scenario: outage, ratePerS: 10, durationMs: 4_000 })).toBeUndefined();
  });

  it('are refused by prepareDrill too, before anything starts', async () => {
    await expect(prepareDrill({ config: {}, group: 'chat', scenario: late, ratePerS: 10, durationMs: 4_000 })).rejects.toThrow(/no fault of scenario "late"/);
  });
});

describe("a drill's cost ceiling", () => {
  /** Two members at $1 per million tokens in and out, and a standby outside the group at ten times that. */
  type Shadow = { share: number; deployments?: string[] };
  const config = (shadow: Shadow | undefined) =>
    resolveConfig({
      deployments: [rawDeployment('a'), rawDeployment('b'), rawDeployment('standby')],
      groups: [{ name: 'chat', deployments: ['a', 'b'], ...(shadow && { shadow }) }],
      pricing: { deployments: { a: { input: 1, output: 1 }, b: { input: 1, output: 1 }, standby: { input: 10, output: 10 } } },
    });
  const ceiling = (shadow?: Shadow) => {
    const c = config(shadow);
    return drillCostCeiling(c, c.groups[0]!, 100) as number;
  };

  it('counts each request and warm-up once without shadow traffic', () => {
    const perCall = ceiling() / 102;
    expect(perCall).toBeGreaterThan(0);
    expect(ceiling({ share: 0 })).toBeCloseTo(ceiling(), 12);
  });

  it('counts every request as mirrored, whatever the share: the share is a chance per request, not a cap', () => {
    const perCall = ceiling() / 102;
    // Each request copied to the other member: 100 requests, 100 copies, 2 warm-ups.
    expect(ceiling({ share: 0.01 })).toBeCloseTo(perCall * 202, 12);
    expect(ceiling({ share: 1 })).toBeCloseTo(perCall * 202, 12);
  });

  it('prices the copies at a standby outside the group, named by shadow.deployments', () => {
    const perCall = ceiling() / 102;
    // Whichever member serves, the standby gets one copy, at ten times the members' price.
    expect(ceiling({ share: 0.5, deployments: ['standby'] })).toBeCloseTo(perCall * (102 + 10 * 100), 10);
    // b serving: a copy to each of standby and a, priced (at most) as the standby's.
    expect(ceiling({ share: 0.5, deployments: ['standby', 'a'] })).toBeCloseTo(perCall * (102 + 10 * 200), 10);
  });
});

describe('fault windows that reach their target late', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const outage = parseScenario({ name: 'outage', faults: [{ start: 1, end: 3, effect: { status: 503 } }] }, 'test');
  const raw = {
    deployments: [rawDeployment('primary', { region: 'us-east' }), rawDeployment('standby', { region: 'eu-west' })],
    groups: [{ name: 'chat', strategy: 'priority' as const, deployments: ['primary', 'standby'] }],
    routing: { backoff: { base_ms: 5, cap_ms: 20 }, breaker: { consecutive_failures: 2, cool_off_ms: 500, cool_off_multiplier: 1 }, failback: { ramp_ms: 0 } },
  };

  /** A primary behind a fault API that gets each rule `lagMs` after it is sent and counts its duration from then, as a busy simulator does. */
  async function drillWithLag(lagMs: number): Promise<DrillResult> {
    let down = false;
    const injector: FaultTarget = {
      deployment: 'primary',
      via: 'simulator',
      async apply(_effect, durationMs) {
        await new Promise((resolve) => setTimeout(resolve, lagMs));
        down = true;
        setTimeout(() => void (down = false), durationMs);
      },
      close: () => Promise.resolve(),
    };
    const createProvider = (d: { id: string }): FakeProvider => {
      const provider = new FakeProvider(d.id);
      if (d.id === 'primary') provider.script = () => (down ? failure('unavailable', { status: 503 }) : 'ok');
      return provider;
    };
    const prepared = await prepareDrill({
      config: raw,
      group: 'chat',
      scenario: outage,
      ratePerS: 20,
      durationMs: 4_000,
      place: () => Promise.resolve({ config: resolveConfig(raw), targets: [injector] }),
      createProvider,
    });
    try {
      const running = prepared.run();
      await vi.advanceTimersByTimeAsync(5_000);
      return await running;
    } finally {
      await prepared.close();
    }
  }

  it('measures failover and failback from when the fault was in place, so the injection lag does not count as recovery time', async () => {
    // Off the 50 ms request grid and 400 ms apart (a multiple of it and of the 100 ms breaker samples), so only the lag differs.
    const prompt = await drillWithLag(10);
    const late = await drillWithLag(410);
    expect(prompt.metrics.failedOver).toBe(true);
    expect(prompt.metrics.timeToFullFailoverMs).toBeDefined();
    expect(prompt.metrics.failbackMs).toBeDefined();
    // Every request from the first one after the fault was in place (1 050 ms, 40 ms after it) is answered by the standby.
    expect(prompt.metrics.timeToFullFailoverMs).toBe(40);
    expect(late.metrics.timeToFullFailoverMs).toBe(prompt.metrics.timeToFullFailoverMs);
    expect(late.metrics.failbackMs).toBe(prompt.metrics.failbackMs);
    expect(late.metrics.timeToDetectMs).toBe(prompt.metrics.timeToDetectMs);
    expect(late.metrics.faultStartMs).toBe(1_410);
  });

  it('records the planned window beside when the fault was really in place', async () => {
    const late = await drillWithLag(400);
    expect(late.plan.windows).toEqual([{ fromMs: 1_000, toMs: 3_000, effect: { status: 503 } }]);
    expect(late.faults).toEqual([{ fromMs: 1_000, toMs: 3_000, effect: { status: 503 }, appliedAtMs: 1_400, appliedToMs: 3_400 }]);
  });
});

describe('injecting one fault window', () => {
  const window: FaultWindow = { fromMs: 1_000, toMs: 3_000, effect: { status: 503 } };
  /** A target that takes `ackMs` to acknowledge each rule on a clock the spec moves. */
  const clock = { now: 0 };
  const target = (ackMs: number, durations: number[], refusal?: string): Pick<FaultTarget, 'apply'> => ({
    apply(_effect, durationMs) {
      durations.push(durationMs);
      clock.now += ackMs;
      return refusal === undefined ? Promise.resolve() : Promise.reject(new Error(refusal));
    },
  });

  it('sends a window whose timer fired late for the time left to its planned end, in place from the acknowledgement', async () => {
    clock.now = 1_300;
    const durations: number[] = [];
    const errors: string[] = [];
    const applied = await injectWindow(window, [target(250, durations)], () => clock.now, errors);
    expect(durations).toEqual([1_700]);
    expect(applied).toEqual({ ...window, appliedAtMs: 1_550, appliedToMs: 3_250 });
    expect(errors).toEqual([]);
  });

  it('injects nothing once the planned end has passed, and says so', async () => {
    clock.now = 3_000;
    const durations: number[] = [];
    const errors: string[] = [];
    const applied = await injectWindow(window, [target(0, durations)], () => clock.now, errors);
    expect(durations).toEqual([]);
    expect(applied).toEqual({ ...window, appliedAtMs: undefined, appliedToMs: undefined });
    expect(errors).toEqual(['the fault window 1000-3000 ms had passed (3000 ms into the run) before it could be injected']);
  });

  it('counts a window in place when one target took it though another refused, naming the refusal', async () => {
    clock.now = 1_000;
    const errors: string[] = [];
    const applied = await injectWindow(window, [target(10, [], 'simulator at x refused the fault rule (HTTP 400)'), target(20, [])], () => clock.now, errors);
    expect(applied.appliedAtMs).toBe(1_030);
    expect(errors).toEqual(['simulator at x refused the fault rule (HTTP 400)']);
  });

  it('is not in place when every target refused it', async () => {
    clock.now = 1_000;
    const errors: string[] = [];
    const applied = await injectWindow(window, [target(10, [], 'down')], () => clock.now, errors);
    expect(applied.appliedAtMs).toBeUndefined();
    expect(errors).toEqual(['down']);
  });
});
