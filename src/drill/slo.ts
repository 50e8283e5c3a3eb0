import type { DrillMetrics } from './measure.js';

/** Service-level objectives given on the command line; a broken one makes the drill exit non-zero. */
export interface DrillSlo {
  maxErrors?: number;
  /** Longest acceptable time to full failover (recovery time objective). */
  maxRtoMs?: number;
  /** Highest acceptable p95 latency in any phase (before, during, after). */
  maxP95Ms?: number;
}

/** Every broken objective, as a sentence; empty when the drill met them all. A fault that was not injected fails the drill too. */
export function sloBreaches(metrics: DrillMetrics, slo: DrillSlo, injectionErrors: readonly string[] = []): string[] {
  const out: string[] = injectionErrors.length > 0 ? [`${injectionErrors.length} fault injection(s) failed: the drill did not test what it planned`] : [];
  if (slo.maxErrors !== undefined && metrics.errors.total > slo.maxErrors) out.push(`${metrics.errors.total} client-visible errors (max ${slo.maxErrors})`);
  if (slo.maxRtoMs !== undefined) {
    const rto = metrics.timeToFullFailoverMs;
    // Without a fault there was nothing to recover from: the objective is unproven, not met.
    if (metrics.faultStartMs === undefined) out.push(`no fault was injected, so no failover was measured (max RTO ${slo.maxRtoMs} ms)`);
    else if (rto === undefined) out.push(`failover never completed during the fault (max RTO ${slo.maxRtoMs} ms)`);
    else if (rto > slo.maxRtoMs) out.push(`time to full failover ${rto} ms (max ${slo.maxRtoMs} ms)`);
  }
  if (slo.maxP95Ms !== undefined) {
    for (const [phase, p] of Object.entries(metrics.latencyMs)) {
      if (p.p95 !== undefined && p.p95 > slo.maxP95Ms) out.push(`p95 latency ${phase} the fault ${p.p95} ms (max ${slo.maxP95Ms} ms)`);
    }
  }
  return out;
}
