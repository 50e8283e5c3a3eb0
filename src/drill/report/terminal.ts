import type { Percentiles } from '../measure.js';
import type { DrillPlan, DrillResult } from '../run.js';

const ms = (v: number | undefined, none = 'not reached'): string => (v === undefined ? none : `${Math.round(v)} ms`);
const usd = (v: number): string => `$${v < 0.01 ? v.toFixed(6) : v.toFixed(4)}`;
const pct = (p: Percentiles): string => (p.count === 0 ? 'no answers' : `p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}  (${p.count})`);

/** What the drill will do and its cost ceiling, printed before it starts. */
export function formatPlan(plan: DrillPlan): string {
  const windows = plan.windows.map((w) => `${(w.fromMs / 1000).toFixed(1)}-${(w.toMs / 1000).toFixed(1)} s`).join(', ');
  return [
    `drill "${plan.scenario}" on group "${plan.group}": at most ${plan.requests} requests (${plan.ratePerS}/s for ${plan.durationMs / 1000} s) after ${plan.warmupRequests} warm-up requests`,
    `  faulty: ${plan.targets.map((t) => `${t.deployment} (via ${t.via})`).join(', ')}; fault window(s): ${windows || 'none'}`,
    plan.maxCostUsd === undefined
      ? '  cost: unknown, a deployment has no price in the pricing catalog'
      : `  cost: at most ${usd(plan.maxCostUsd)} from the pricing catalog${plan.shadowShare > 0 ? `, a shadow copy of every request included (share ${plan.shadowShare})` : ''}`,
  ].join('\n');
}

/** How late the faults were in place against their planned windows (the metrics count from in place). */
function faultLag(faults: DrillResult['faults']): string {
  const lags = faults.flatMap((f) => (f.appliedAtMs === undefined ? [] : [f.appliedAtMs - f.fromMs]));
  if (lags.length === 0) return 'never (no fault was injected)';
  return `at most ${Math.round(Math.max(...lags))} ms after the planned start (${lags.length} of ${faults.length} window(s))`;
}

/** The terminal summary of a finished drill. */
export function formatSummary(result: DrillResult, breaches: readonly string[]): string {
  const m = result.metrics;
  const kinds = Object.entries(m.errors.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `requests           ${m.requests}`,
    `fault in place     ${faultLag(result.faults)}`,
    `time to detect     ${ms(m.timeToDetectMs, 'not detected (no breaker opened, no cool-down)')}`,
    `time to failover   ${ms(m.timeToFullFailoverMs)}`,
    `errors             ${m.errors.total}${kinds ? ` (${kinds})` : ''}`,
    `latency before     ${pct(m.latencyMs.before)}`,
    `latency during     ${pct(m.latencyMs.during)}`,
    `latency after      ${pct(m.latencyMs.after)}`,
    `attempts/request   mean ${m.attemptsPerRequest.mean.toFixed(2)}, max ${m.attemptsPerRequest.max}`,
    `failback           ${m.failedOver ? ms(m.failbackMs, 'not within the run') : 'no failover (traffic never left the targets)'}${m.flapped ? ' (flapped: the breaker opened again)' : ''}`,
    `cost               ${usd(result.cost.usd)}${result.cost.shadowUsd > 0 ? `; shadow ${usd(result.cost.shadowUsd)} (${usd(result.cost.shadowUsdPerHour)}/hour at this rate)` : ''}` +
      (result.cost.unpricedAttempts > 0 ? `; ${result.cost.unpricedAttempts} attempts unpriced` : ''),
    ...result.injectionErrors.map((e) => `FAULT NOT INJECTED ${e}`),
    breaches.length === 0 ? 'SLOs               met' : `SLOs               BROKEN: ${breaches.join('; ')}`,
  ].join('\n');
}
