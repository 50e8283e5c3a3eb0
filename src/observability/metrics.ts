import { Counter, Registry } from 'prom-client';
import type { AttemptObserver, AttemptRecord } from '../core/events.js';
import type { DeploymentConfig } from '../config/schema.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { BatcherStats } from '../ledger/batcher.js';
import { AttemptSeries } from './attempt-series.js';
import { RequestSeries, type FirstContent, type RequestServedBy } from './request-series.js';
import type { BudgetSpend } from '../ledger/budgets/guard.js';
import { registerBudgetCollectors, registerLedgerCollectors, registerStatusCollectors, registerTracerCollectors } from './scrape.js';
import { metricsAsJson, type RegistryJson } from './metric-json.js';
import { ProcessMetrics } from './process-metrics.js';

export type { FirstContent, RequestServedBy } from './request-series.js';

export interface MetricsOptions {
  /** USD cost of an attempt's usage, or undefined when unpriced (the ledger's price book). */
  costOf?: (record: AttemptRecord) => number | undefined;
  /** The configured budgets with a soft limit: their soft-limit counters are exported at 0 from the start. */
  softLimitBudgets?: readonly string[];
}

/** Registries made in this process: each answer to the cluster primary names its own (`RegistryJson`). */
let registriesMade = 0;

/**
 * The gateway's Prometheus metrics: the OTel GenAI client metrics (under their Prometheus names) and
 * the gateway's own `switchyard_*` series, in a registry of its own (never prom-client's global one,
 * so two gateways in one process do not mix). Labels only take values from the config (group,
 * deployment, provider, model, region, key, team) or from closed sets (error kind, role, status).
 * The process's own metrics (CPU, memory, event-loop lag, GC) are there too, under prom-client's names.
 */
export class GatewayMetrics implements AttemptObserver {
  readonly registry = new Registry();
  private readonly registryNumber = (registriesMade += 1);
  private readonly attempts: AttemptSeries;
  private readonly requests: RequestSeries;
  private readonly softLimits: Counter;
  private readonly process: ProcessMetrics;
  private status: (() => GatewayStatus) | undefined;
  private snapshot: GatewayStatus | undefined;
  private budgets: (() => Promise<readonly BudgetSpend[]>) | undefined;
  private budgetSnapshot: Promise<readonly BudgetSpend[]> | undefined;

  constructor(deployments: readonly DeploymentConfig[], options: MetricsOptions = {}) {
    // Registration order is the exposition's order: the attempt series, then the request series.
    this.attempts = new AttemptSeries(this.registry, new Map(deployments.map((d) => [d.id, d])), options.costOf);
    this.requests = new RequestSeries(this.registry);
    this.softLimits = new Counter({
      name: 'switchyard_budget_soft_limit_reached_total',
      help: 'Budget counters that crossed their soft limit (one per counter and period), by budget.',
      labelNames: ['budget'],
      registers: [this.registry],
    });
    // At 0 before the first crossing, so `increase()` sees the step to 1: a series born at 1 has no
    // earlier sample, and the alert would miss every first crossing (and each after a restart or reload).
    for (const budget of options.softLimitBudgets ?? []) this.softLimits.inc({ budget }, 0);
    // Exported (empty) before a budget source is watched, so dashboards and alerts always find them.
    registerBudgetCollectors(this.registry, () => this.budgetSnapshot ?? this.readBudgets());
    const budgets = (): Promise<readonly BudgetSpend[]> => this.budgetSnapshot ?? this.readBudgets();
    new Counter({
      name: 'switchyard_budget_refusals_total',
      help: 'Requests refused with budget_exceeded, by config budget (the guard counts them; a virtual key\'s budget is not a label).',
      labelNames: ['budget'],
      registers: [this.registry],
      // The guard's running totals, read at scrape time: the refusal itself pays nothing for the metric.
      async collect() {
        const rows = await budgets();
        this.reset();
        for (const b of rows) if (b.refusals !== undefined) this.inc({ budget: b.budget }, b.refusals);
      },
    });
    this.process = new ProcessMetrics(this.registry);
  }

  /** Reads budget spend and limits from the budget guard at scrape time. */
  watchBudgets(spending: () => Promise<readonly BudgetSpend[]>): void {
    this.budgets = spending;
  }

  /** An unreachable budget state costs the scrape its budget series, never the scrape. */
  private readBudgets(): Promise<readonly BudgetSpend[]> {
    return this.budgets ? this.budgets().catch(() => []) : Promise.resolve([]);
  }

  /** Adds the series read from the gateway's status at scrape time (breakers, health, retry budget). */
  watch(status: () => GatewayStatus): void {
    if (this.status) return;
    this.status = status;
    registerStatusCollectors(this.registry, () => this.snapshot ?? status());
  }

  /** Adds the ledger's write queue and spill counters, read at scrape time. */
  watchLedger(stats: () => BatcherStats | undefined): void {
    registerLedgerCollectors(this.registry, stats);
  }

  /** Adds the spans the tracer dropped (a collector too slow or down), read at scrape time. */
  watchTracer(dropped: () => number): void {
    registerTracerCollectors(this.registry, dropped);
  }

  /** A budget counter crossed its soft limit (the ledger's `onSoftLimit`). */
  softLimitReached(budget: string): void {
    this.softLimits.inc({ budget });
  }

  /** The Prometheus text exposition of every metric, read at scrape time. */
  render(): Promise<string> {
    this.beginScrape();
    return this.registry.metrics();
  }

  /** Every metric as JSON, read at scrape time, for the cluster primary to combine with the other workers'. */
  async json(): Promise<RegistryJson> {
    this.beginScrape();
    return { registry: this.registryNumber, metrics: await this.process.forWorkers(await metricsAsJson(this.registry)) };
  }

  /** One status snapshot per scrape: prom-client runs every collector synchronously within the read. */
  private beginScrape(): void {
    this.snapshot = this.status?.();
    this.budgetSnapshot = this.readBudgets();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  onAttempt(r: AttemptRecord): void {
    this.attempts.record(r);
  }

  /** A client request started (the in-flight gauge the Kubernetes HPA scales on). */
  requestStarted(): void {
    this.requests.started();
  }

  /** A client request ended with HTTP `status` after `seconds`; `streamed`: its answer went out as a stream. */
  requestEnded(route: string, status: number, seconds: number, servedBy: RequestServedBy | undefined, errorKind: string | undefined, streamed = false): void {
    this.requests.ended(route, status, seconds, servedBy, errorKind, streamed);
  }

  /** A streamed answer's first content went out `seconds` after its request arrived (`gen_ai.server.time_to_first_token`). */
  firstContent(by: FirstContent, seconds: number): void {
    this.requests.firstContent(by, seconds);
  }
}
