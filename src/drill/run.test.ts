import { describe, expect, it } from 'vitest';
import { drillProblem, prepareDrill } from './run.js';
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
