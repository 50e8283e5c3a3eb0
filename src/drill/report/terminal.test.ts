import { describe, expect, it } from 'vitest';
import { percentiles } from '../measure.js';
import type { DrillPlan, DrillResult } from '../run.js';
import { formatPlan, formatSummary } from './terminal.js';

const plan: DrillPlan = {
  group: 'chat',
  scenario: 'region-outage',
  ratePerS: 10,
  durationMs: 5_000,
  requests: 50,
  warmupRequests: 2,
  targets: [{ deployment: 'primary', via: 'simulator' }],
  windows: [{ fromMs: 1_000, toMs: 3_000, effect: { status: 503 } }],
  shadowShare: 0.1,
  maxCostUsd: 0.0123,
};

describe('the drill plan printed before it starts', () => {
  it('gives the cost ceiling from the pricing catalog, with a shadow copy of every request, whatever the share', () => {
    expect(formatPlan(plan).split('\n')[2]).toBe('  cost: at most $0.0123 from the pricing catalog, a shadow copy of every request included (share 0.1)');
  });

  it('says in a sentence that the cost is unknown when a deployment has no price', () => {
    expect(formatPlan({ ...plan, maxCostUsd: undefined }).split('\n')[2]).toBe('  cost: unknown, a deployment has no price in the pricing catalog');
  });
});

describe('the drill summary', () => {
  const none = percentiles([]);
  const result = (faults: DrillResult['faults']): DrillResult => ({
    plan,
    metrics: {
      faultStartMs: undefined,
      faultEndMs: undefined,
      requests: 50,
      timeToDetectMs: undefined,
      timeToFullFailoverMs: undefined,
      errors: { total: 0, byKind: {} },
      latencyMs: { before: none, during: none, after: none },
      attemptsPerRequest: { mean: 1, max: 1 },
      failedOver: false,
      failbackMs: undefined,
      flapped: false,
    },
    cost: { usd: 0, shadowUsd: 0, shadowUsdPerHour: 0, unpricedAttempts: 0 },
    timeline: [],
    faults,
    injectionErrors: [],
  });
  const window = { fromMs: 1_000, toMs: 3_000, effect: { status: 503 } };

  it('says how late the faults were in place against their planned windows', () => {
    const faults = [
      { ...window, appliedAtMs: 1_120, appliedToMs: 3_120 },
      { ...window, fromMs: 2_000, appliedAtMs: 2_780, appliedToMs: 3_780 },
      { ...window, fromMs: 2_500, appliedAtMs: undefined, appliedToMs: undefined },
    ];
    expect(formatSummary(result(faults), []).split('\n')[1]).toBe('fault in place     at most 780 ms after the planned start (2 of 3 window(s))');
  });

  it('says so when no fault was in place', () => {
    expect(formatSummary(result([{ ...window, appliedAtMs: undefined, appliedToMs: undefined }]), []).split('\n')[1]).toBe('fault in place     never (no fault was injected)');
  });
});
