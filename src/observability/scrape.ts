import { Counter, Gauge, type Aggregator, type Registry } from 'prom-client';
import type { GatewayStatus } from '../gateway/engine.js';
import type { BatcherStats } from '../ledger/batcher.js';
import type { BudgetSpend } from '../ledger/budgets/guard.js';

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * How `serve --workers` combines a gauge across its workers (counters and histograms are summed).
 * Flags and readings of state the workers share (breakers, cool-downs, budget spend) are the same
 * fact seen by each, so a sum would count it once per worker: the primary takes the highest, as the
 * alert rules do across replicas. What each worker holds of its own (requests in flight, queued
 * events) keeps prom-client's default, the sum.
 */
const SHARED: Aggregator = 'max';

type DeploymentStatus = GatewayStatus['deployments'][number];

function isAvailable(d: DeploymentStatus): boolean {
  return d.health.up && d.breaker.state !== 'open' && d.coolingUntil === undefined && !d.drain.drained;
}

/**
 * Registers the series read from the gateway's status when Prometheus scrapes (breakers, health,
 * per-deployment in-flight, retry budget), so the request path pays nothing for them. `read` returns
 * the status snapshot taken once for the scrape under way.
 */
export function registerStatusCollectors(registry: Registry, read: () => GatewayStatus): void {
  const registers = [registry];
  registerBreakerCollectors(registers, read);
  registerDeploymentCollectors(registers, read);
  registerAvailabilityCollectors(registers, read);
}

function registerBreakerCollectors(registers: Registry[], read: () => GatewayStatus): void {
  new Gauge({
    name: 'switchyard_breaker_state',
    help: 'Circuit breaker state per deployment: 1 for the current state (closed, open, half-open), else 0.',
    labelNames: ['deployment', 'state'],
    registers,
    aggregator: SHARED,
    collect() {
      this.reset();
      for (const d of read().deployments) for (const s of BREAKER_STATES) this.set({ deployment: d.id, state: s }, d.breaker.state === s ? 1 : 0);
    },
  });
  new Counter({
    name: 'switchyard_breaker_transitions_total',
    help: 'Circuit breaker transitions made by this process, by the state entered.',
    labelNames: ['deployment', 'state'],
    registers,
    collect() {
      this.reset();
      for (const d of read().deployments) for (const s of BREAKER_STATES) this.inc({ deployment: d.id, state: s }, d.breaker.transitions[s]);
    },
  });
}

/** A gauge with one series per deployment, its value read from the deployment's status. */
function deploymentGauge(registers: Registry[], read: () => GatewayStatus, name: string, help: string, aggregator: Aggregator, value: (d: DeploymentStatus) => number): void {
  new Gauge({
    name,
    help,
    labelNames: ['deployment'],
    registers,
    aggregator,
    collect() {
      this.reset();
      for (const d of read().deployments) this.set({ deployment: d.id }, value(d));
    },
  });
}

function registerDeploymentCollectors(registers: Registry[], read: () => GatewayStatus): void {
  deploymentGauge(registers, read, 'switchyard_deployment_up', 'Active health checks hold the deployment up (1) or down (0); 1 without health checks.', SHARED, (d) => (d.health.up ? 1 : 0));
  new Counter({
    name: 'switchyard_health_checks_total',
    help: 'Active health check results per deployment (result ok or failed).',
    labelNames: ['deployment', 'result'],
    registers,
    collect() {
      this.reset();
      for (const d of read().deployments) {
        this.inc({ deployment: d.id, result: 'ok' }, d.health.checks.ok);
        this.inc({ deployment: d.id, result: 'failed' }, d.health.checks.failed);
      }
    },
  });
  deploymentGauge(registers, read, 'switchyard_deployment_in_flight', 'Upstream attempts in flight per deployment.', 'sum', (d) => d.inFlight);
  deploymentGauge(registers, read, 'switchyard_deployment_cooling_down', 'A 429 keeps the deployment out of rotation (1) or not (0).', SHARED, (d) => (d.coolingUntil === undefined ? 0 : 1));
}

function registerAvailabilityCollectors(registers: Registry[], read: () => GatewayStatus): void {
  new Gauge({
    name: 'switchyard_group_deployments_available',
    help: 'Deployments of a group that can take traffic: health up, breaker not open, not cooling down, not drained.',
    labelNames: ['group'],
    registers,
    aggregator: SHARED,
    collect() {
      this.reset();
      const status = read();
      const available = new Set(status.deployments.filter(isAvailable).map((d) => d.id));
      for (const g of status.groups) this.set({ group: g.name }, g.deployments.filter((id) => available.has(id)).length);
    },
  });
  new Counter({
    name: 'switchyard_retry_budget_exhausted_total',
    help: 'Retries refused because the retry budget was spent.',
    registers,
    collect() {
      this.reset();
      this.inc(read().retryBudget.denied);
    },
  });
}

/**
 * Registers the ledger's write queue and spill series, read from `read()` at scrape time; they stay
 * at 0 while the ledger is disabled (`read` returns undefined).
 */
export function registerLedgerCollectors(registry: Registry, read: () => BatcherStats | undefined): void {
  const registers = [registry];
  new Gauge({
    name: 'switchyard_ledger_queued_events',
    help: 'Usage events waiting in memory to be written to the ledger store.',
    registers,
    collect() {
      this.reset();
      const s = read();
      if (s) this.set(s.queued);
    },
  });
  new Gauge({
    name: 'switchyard_ledger_store_down',
    help: 'The ledger store is failing writes (1) or not (0).',
    registers,
    // Each worker writes through its own batcher: the process group's store is down if any finds it so.
    aggregator: 'max',
    collect() {
      this.reset();
      const s = read();
      if (s) this.set(s.storeDown ? 1 : 0);
    },
  });
  const counted = (name: string, help: string, count: (s: BatcherStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const s = read();
        if (s) this.inc(count(s));
      },
    });
  };
  counted('switchyard_ledger_spilled_events_total', 'Usage events appended to the spill file because the store could not take them.', (s) => s.spilled);
  counted(
    'switchyard_ledger_dropped_events_total',
    'Usage events lost: the store was down and the spill file could not be written either (past twice max_buffer).',
    (s) => s.dropped,
  );
  counted('switchyard_ledger_replayed_events_total', 'Spilled usage events written back to the store from the spill file.', (s) => s.replayed);
}

/**
 * Registers budget spend and hard limit per budget counter (budget, period, scope), read from the
 * budget state at scrape time; `read` resolves to the spending of the scrape under way.
 */
export function registerBudgetCollectors(registry: Registry, read: () => Promise<readonly BudgetSpend[]>): void {
  const registers = [registry];
  new Gauge({
    name: 'switchyard_budget_spend_usd',
    help: 'Spend in USD of each budget counter in its current period (the budget state; shared across replicas with Redis).',
    labelNames: ['budget', 'period', 'scope'],
    registers,
    aggregator: SHARED,
    async collect() {
      this.reset();
      for (const b of await read()) if (b.spentUsd !== undefined) this.set({ budget: b.budget, period: b.period, scope: b.scope }, b.spentUsd);
    },
  });
  new Gauge({
    name: 'switchyard_budget_limit_usd',
    help: 'Hard limit in USD of each budget counter (requests are refused once its spend reaches it).',
    labelNames: ['budget', 'period', 'scope'],
    registers,
    aggregator: SHARED,
    async collect() {
      this.reset();
      for (const b of await read()) if (b.limitUsd !== undefined) this.set({ budget: b.budget, period: b.period, scope: b.scope }, b.limitUsd);
    },
  });
}

/** Registers the count of trace spans dropped unexported (queue full, or still queued at shutdown). */
export function registerTracerCollectors(registry: Registry, dropped: () => number): void {
  new Counter({
    name: 'switchyard_trace_spans_dropped_total',
    help: 'Trace spans dropped unexported: the oldest past the queue bound while the collector was slow or down, and those left at shutdown.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(dropped());
    },
  });
}
