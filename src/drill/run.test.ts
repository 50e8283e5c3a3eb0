import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { rawDeployment } from '../routing/testing/fakes.js';
import { drillCostCeiling, drillProblem, prepareDrill } from './run.js';
import { loadScenario, parseScenario } from './scenario.js';

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
