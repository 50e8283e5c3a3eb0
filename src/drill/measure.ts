import type { BreakerState } from '../routing/breaker.js';
import type { FaultWindow } from './scenario.js';

/** One client request of the drill; times in ms from the start of the run. */
export interface RequestSample {
  startMs: number;
  endMs: number;
  ok: boolean;
  errorKind: string | undefined;
  /** Who answered (undefined when the request failed). */
  deployment: string | undefined;
  attempts: number;
}

/** What routing thinks of a deployment: its breaker state, or `cooling` after a 429 (breaker closed). */
export type RoutingState = BreakerState | 'cooling';

/** Routing states of every deployment of the group at one instant. */
export interface BreakerSample {
  atMs: number;
  states: Record<string, RoutingState>;
}

export interface MeasureInput {
  requests: readonly RequestSample[];
  breakers: readonly BreakerSample[];
  windows: readonly FaultWindow[];
  targets: readonly string[];
  /** End of the first failed attempt on a target deployment, if any. */
  firstFailureMs: number | undefined;
}

export interface Percentiles {
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

export interface DrillMetrics {
  faultStartMs: number | undefined;
  faultEndMs: number | undefined;
  requests: number;
  /** First failure on a target → a target's breaker open (or, for 429s, the target cooling down). */
  timeToDetectMs: number | undefined;
  /**
   * Fault start → start of the first run of requests that were all answered by a deployment that is
   * not a target (a failed half-open probe of a target on the way does not undo it); undefined: never reached.
   */
  timeToFullFailoverMs: number | undefined;
  errors: { total: number; byKind: Record<string, number> };
  latencyMs: { before: Percentiles; during: Percentiles; after: Percentiles };
  attemptsPerRequest: { mean: number; max: number };
  /** After a target failed, some request during the fault was answered by a deployment that is not a target: traffic left the targets. */
  failedOver: boolean;
  /** Fault end → first answer by a target again; undefined: no failover, or no failback within the run. */
  failbackMs: number | undefined;
  /** A target's breaker opened again after failback. */
  flapped: boolean;
}

/** Consecutive clean requests that show traffic has moved off the faulty deployments. */
const FAILED_OVER_RUN = 10;

/** Nearest-rank percentiles. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number | undefined => (sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

function firstOpen(breakers: readonly BreakerSample[], targets: readonly string[], afterMs: number, states: readonly RoutingState[] = ['open']): number | undefined {
  return breakers.find((b) => b.atMs >= afterMs && targets.some((t) => states.includes(b.states[t] ?? 'closed')))?.atMs;
}

/** Turns the raw samples of a run into the numbers the drill reports. */
export function measure(input: MeasureInput): DrillMetrics {
  const { requests, breakers, windows, targets } = input;
  const faultStart = windows[0]?.fromMs;
  const faultEnd = windows.length > 0 ? Math.max(...windows.map((w) => w.toMs)) : undefined;
  const phase = (r: RequestSample): 'before' | 'during' | 'after' =>
    faultStart === undefined || r.startMs < faultStart ? 'before' : r.startMs < (faultEnd as number) ? 'during' : 'after';
  const byKind: Record<string, number> = {};
  for (const r of requests) if (!r.ok) byKind[r.errorKind ?? 'unknown'] = (byKind[r.errorKind ?? 'unknown'] ?? 0) + 1;
  const latency = (p: 'before' | 'during' | 'after'): Percentiles => percentiles(requests.filter((r) => r.ok && phase(r) === p).map((r) => r.endMs - r.startMs));

  const detect = input.firstFailureMs === undefined ? undefined : firstOpen(breakers, targets, input.firstFailureMs, ['open', 'cooling']);
  // Who answered, not which deployments were tried: a request that probed a half-open target and was
  // then answered by the fallback shows failover working.
  const servedElsewhere = (r: RequestSample): boolean => r.ok && r.deployment !== undefined && !targets.includes(r.deployment);
  const during = requests.filter((r) => phase(r) === 'during').sort((a, b) => a.startMs - b.startMs);
  const firstFailure = input.firstFailureMs;
  // Answers elsewhere before a target failed are ordinary routing (a target that serves nothing), not failover.
  const failedOver = firstFailure !== undefined && during.some((r) => servedElsewhere(r) && r.endMs >= firstFailure);
  let fullFailover: number | undefined;
  // Only a failover completes: a run of answers elsewhere with no target failure is no recovery to time.
  if (faultStart !== undefined && failedOver) {
    const run = Math.min(FAILED_OVER_RUN, during.length);
    const at = during.findIndex((_, i) => i + run <= during.length && during.slice(i, i + run).every(servedElsewhere));
    if (run > 0 && at !== -1) fullFailover = Math.max(0, (during[at] as RequestSample).startMs - faultStart);
  }
  // Without a failover, a target answering after the fault is not a failback: it never stopped serving.
  const back = faultEnd === undefined || !failedOver ? undefined : requests.filter((r) => r.startMs >= faultEnd && r.ok && r.deployment !== undefined && targets.includes(r.deployment)).sort((a, b) => a.endMs - b.endMs)[0];
  const failbackMs = back && faultEnd !== undefined ? back.endMs - faultEnd : undefined;
  const attempts = requests.map((r) => r.attempts);
  return {
    faultStartMs: faultStart,
    faultEndMs: faultEnd,
    requests: requests.length,
    timeToDetectMs: detect !== undefined && input.firstFailureMs !== undefined ? Math.max(0, detect - input.firstFailureMs) : undefined,
    timeToFullFailoverMs: fullFailover,
    errors: { total: requests.filter((r) => !r.ok).length, byKind },
    latencyMs: { before: latency('before'), during: latency('during'), after: latency('after') },
    attemptsPerRequest: { mean: attempts.length === 0 ? 0 : attempts.reduce((a, b) => a + b, 0) / attempts.length, max: Math.max(0, ...attempts) },
    failedOver,
    failbackMs,
    flapped: back !== undefined && firstOpen(breakers, targets, back.endMs) !== undefined,
  };
}
