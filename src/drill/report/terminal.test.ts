import { describe, expect, it } from 'vitest';
import type { DrillPlan } from '../run.js';
import { formatPlan } from './terminal.js';

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
