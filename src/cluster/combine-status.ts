import type { GatewayStatus } from '../gateway/engine.js';
import type { BreakerState } from '../routing/breaker.js';
import type { DeploymentStatus, HealthCheckResult, LatencySummary } from '../routing/deployment-state.js';
import type { QuotaStatus } from '../routing/quota.js';

/** GET /v1/switchyard/status under `serve --workers N`: every answering worker's status as one. */
export type ClusterStatus = GatewayStatus & Required<Pick<GatewayStatus, 'workers'>>;

type Breaker = DeploymentStatus['breaker'];
type Provisioned = NonNullable<DeploymentStatus['provisioned']>;

const SEVERITY: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Adds count maps key by key (errors by kind, fallbacks by cause). */
function addCounts<K extends string>(maps: ReadonlyArray<Partial<Record<K, number>>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m) as Array<[K, number | undefined]>) out[k] = (out[k] ?? 0) + (v ?? 0);
  return out;
}

/** The mean of `values` weighted by `weights` (equal weights when they are all 0). */
function weightedMean(values: readonly number[], weights: readonly number[]): number {
  const total = sum(weights);
  if (total === 0) return sum(values) / values.length;
  return values.reduce((acc, v, i) => acc + v * (weights[i] as number), 0) / total;
}

/**
 * Percentiles cannot be added. The median is the mean of the workers' medians weighted by their
 * successes (each worker's latency samples); p95 and p99 are the highest of any worker, so one slow
 * worker's tail is never averaged away. Undefined when no worker has a sample.
 */
function latency(parts: ReadonlyArray<{ summary: LatencySummary | undefined; successes: number }>): LatencySummary | undefined {
  const some = parts.filter((p): p is { summary: LatencySummary; successes: number } => p.summary !== undefined);
  if (some.length === 0) return undefined;
  return {
    p50: weightedMean(
      some.map((p) => p.summary.p50),
      some.map((p) => p.successes),
    ),
    p95: Math.max(...some.map((p) => p.summary.p95)),
    p99: Math.max(...some.map((p) => p.summary.p99)),
  };
}

/**
 * The breaker is shared through the primary, but each worker adopts a change a moment apart: the most
 * severe state wins, with its reason, retry time and ramp. Trips travel with the shared snapshot (the
 * highest is the newest); transitions are each worker's own (adopted ones are not counted), so they add.
 */
function breaker(all: readonly Breaker[]): Breaker {
  const worst = all.reduce((a, b) => (SEVERITY[b.state] > SEVERITY[a.state] || (b.state === a.state && b.rampShare < a.rampShare) ? b : a));
  return {
    ...worst,
    trips: Math.max(...all.map((b) => b.trips)),
    transitions: {
      closed: sum(all.map((b) => b.transitions.closed)),
      open: sum(all.map((b) => b.transitions.open)),
      'half-open': sum(all.map((b) => b.transitions['half-open'])),
    },
  };
}

/** The latest of the workers' last health checks (each worker probes on its own). */
function lastCheck(checks: ReadonlyArray<HealthCheckResult | undefined>): HealthCheckResult | undefined {
  let last: HealthCheckResult | undefined;
  for (const c of checks) if (c && (!last || c.at > last.at)) last = c;
  return last;
}

/** The provider's quota is one for the pod: each worker's last minute adds up, and the headroom follows from the sums. */
function quota(all: ReadonlyArray<QuotaStatus | undefined>): QuotaStatus | undefined {
  const some = all.filter((q): q is QuotaStatus => q !== undefined);
  const first = some[0];
  if (!first) return undefined;
  const lastMinuteRequests = sum(some.map((q) => q.lastMinuteRequests));
  const lastMinuteTokens = sum(some.map((q) => q.lastMinuteTokens));
  // As QuotaMeter.headroom: the smaller share left of requests or tokens.
  const used = Math.max(first.rpm === undefined ? 0 : lastMinuteRequests / first.rpm, first.tpm === undefined ? 0 : lastMinuteTokens / first.tpm);
  return { rpm: first.rpm, tpm: first.tpm, lastMinuteRequests, lastMinuteTokens, headroom: Math.max(0, 1 - used) };
}

function provisioned(all: ReadonlyArray<DeploymentStatus['provisioned']>): DeploymentStatus['provisioned'] {
  const some = all.filter((p): p is Provisioned => p !== undefined);
  const first = some[0];
  return first && { ...first, lastMinuteRequests: sum(some.map((p) => p.lastMinuteRequests)) };
}

/** One deployment as every worker sees it; `all` holds at least one status, the first the answering worker's. */
function deployment(all: readonly DeploymentStatus[]): DeploymentStatus {
  const first = all[0] as DeploymentStatus;
  const requests = sum(all.map((d) => d.requests));
  const errors = addCounts(all.map((d) => d.errors));
  const failed = sum(Object.values(errors) as number[]);
  const cooling = all.map((d) => d.coolingUntil).filter((u): u is number => u !== undefined);
  const ewma = all.filter((d) => d.ewmaLatencyMs !== undefined);
  return {
    id: first.id,
    provider: first.provider,
    model: first.model,
    region: first.region,
    requests,
    successes: sum(all.map((d) => d.successes)),
    errors,
    errorRate: requests === 0 ? 0 : failed / requests,
    latencyMs: latency(all.map((d) => ({ summary: d.latencyMs, successes: d.successes }))),
    ttftMs: latency(all.map((d) => ({ summary: d.ttftMs, successes: d.successes }))),
    streamMs: latency(all.map((d) => ({ summary: d.streamMs, successes: d.successes }))),
    ewmaLatencyMs:
      ewma.length === 0
        ? undefined
        : weightedMean(
            ewma.map((d) => d.ewmaLatencyMs as number),
            ewma.map((d) => d.successes),
          ),
    inFlight: sum(all.map((d) => d.inFlight)),
    retries: sum(all.map((d) => d.retries)),
    fallbacksFrom: addCounts(all.map((d) => d.fallbacksFrom)),
    shadow: { requests: sum(all.map((d) => d.shadow.requests)), errors: sum(all.map((d) => d.shadow.errors)) },
    breaker: breaker(all.map((d) => d.breaker)),
    coolingUntil: cooling.length === 0 ? undefined : Math.max(...cooling),
    // Shared through the primary: the newest drain wins, as in the store.
    drain: all.reduce((a, b) => (b.drain.at > a.drain.at ? b : a)).drain,
    health: {
      up: all.every((d) => d.health.up),
      last: lastCheck(all.map((d) => d.health.last)),
      checks: { ok: sum(all.map((d) => d.health.checks.ok)), failed: sum(all.map((d) => d.health.checks.failed)) },
    },
    provisioned: provisioned(all.map((d) => d.provisioned)),
    quota: quota(all.map((d) => d.quota)),
  };
}

/**
 * Every answering worker's status as one process's (`statuses[0]` the answering worker's, whose
 * config names and orders deployments and groups first; one that only another worker has, in the
 * middle of a reload, follows). Counters, in-flight and the last minute's use add up; what the workers
 * share (breaker, drain, cool-down) takes the most severe or newest; see `latency` for percentiles.
 */
export function combineStatuses(statuses: readonly GatewayStatus[], expected: number): ClusterStatus {
  const byId = new Map<string, DeploymentStatus[]>();
  const groups = new Map<string, GatewayStatus['groups'][number]>();
  for (const s of statuses) {
    for (const d of s.deployments) {
      const seen = byId.get(d.id);
      if (seen) seen.push(d);
      else byId.set(d.id, [d]);
    }
    for (const g of s.groups) if (!groups.has(g.name)) groups.set(g.name, g);
  }
  const budgets = statuses.map((s) => s.retryBudget);
  return {
    at: Math.max(...statuses.map((s) => s.at)),
    deployments: [...byId.values()].map(deployment),
    groups: [...groups.values()],
    retryBudget: {
      requests: sum(budgets.map((b) => b.requests)),
      retries: sum(budgets.map((b) => b.retries)),
      denied: sum(budgets.map((b) => b.denied)),
      ratio: budgets[0]?.ratio ?? 0,
    },
    workers: { answered: statuses.length, expected },
  };
}
