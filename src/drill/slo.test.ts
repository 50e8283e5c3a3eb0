import { describe, expect, it } from 'vitest';
import { percentiles, type DrillMetrics } from './measure.js';
import { sloBreaches } from './slo.js';

const metrics = (o: Partial<DrillMetrics> = {}): DrillMetrics => ({
  faultStartMs: 1_000,
  faultEndMs: 2_000,
  requests: 100,
  timeToDetectMs: 50,
  timeToFullFailoverMs: 300,
  errors: { total: 0, byKind: {} },
  latencyMs: { before: percentiles([10]), during: percentiles([400]), after: percentiles([12]) },
  attemptsPerRequest: { mean: 1, max: 2 },
  failedOver: true,
  failbackMs: 500,
  flapped: false,
  ...o,
});

describe('drill SLOs', () => {
  it('are met when every objective holds', () => {
    expect(sloBreaches(metrics(), { maxErrors: 0, maxRtoMs: 500, maxP95Ms: 500 })).toEqual([]);
  });

  it('name each broken objective: errors, RTO (also when failover never completed) and p95 by phase', () => {
    expect(sloBreaches(metrics({ errors: { total: 3, byKind: { unavailable: 3 } } }), { maxErrors: 1 })).toEqual(['3 client-visible errors (max 1)']);
    expect(sloBreaches(metrics(), { maxRtoMs: 200 })).toEqual(['time to full failover 300 ms (max 200 ms)']);
    expect(sloBreaches(metrics({ timeToFullFailoverMs: undefined }), { maxRtoMs: 200 })).toEqual(['failover never completed during the fault (max RTO 200 ms)']);
    expect(sloBreaches(metrics(), { maxP95Ms: 100 })).toEqual(['p95 latency during the fault 400 ms (max 100 ms)']);
  });

  it('count an RTO objective as broken when no fault was injected: there was no failover to measure', () => {
    expect(sloBreaches(metrics({ faultStartMs: undefined, faultEndMs: undefined, timeToFullFailoverMs: undefined }), { maxRtoMs: 1_000 })).toEqual([
      'no fault was injected, so no failover was measured (max RTO 1000 ms)',
    ]);
  });

  it('fail the drill when a fault could not be injected, whatever the numbers', () => {
    expect(sloBreaches(metrics(), {}, ['simulator at http://x refused the fault rule (HTTP 400)'])).toEqual(['1 fault injection(s) failed: the drill did not test what it planned']);
  });
});
