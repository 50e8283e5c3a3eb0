import { GatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { DeploymentConfig, GatewayConfig } from '../config/schema.js';
import type { Provider } from '../core/provider.js';
import { findProvider } from '../providers/registry.js';
import { Router } from '../routing/router.js';
import type { Deployment } from '../routing/router.js';
import { DeploymentState, type DeploymentStatus } from '../routing/deployment-state.js';
import { BreakerSync } from '../routing/breaker-sync.js';
import { HealthChecker } from '../routing/health.js';
import { RetryBudget } from '../routing/retry-budget.js';
import type { StateStore } from '../state/store.js';
import type { LoadReport } from '../routing/load.js';

/** What `gateway.status()` and GET /v1/switchyard/status return. */
export interface GatewayStatus {
  at: number;
  deployments: DeploymentStatus[];
  groups: Array<{ name: string; strategy: string; deployments: string[] }>;
  retryBudget: { requests: number; retries: number; denied: number; ratio: number };
  /**
   * Under `serve --workers N` only: the status is every worker's combined by the primary
   * (src/cluster/combine-status.ts), and this says how many of the listening workers answered in time;
   * `expected: null` when the primary did not answer, so the status is the answering worker's alone.
   */
  workers?: { answered: number; expected: number | null };
}

/** Who asked for an operator action and why: both go to the audit line in the log. */
export interface OperatorAction {
  /** The admin API key id, `signal`, `interruption-watcher`... */
  actor?: string;
  reason?: string;
}

export interface EngineOptions {
  clock: Clock;
  random: () => number;
  logger: Logger;
  priceOf?: ((deploymentId: string) => number | undefined) | undefined;
  store?: StateStore | undefined;
  createProvider?: ((deployment: DeploymentConfig) => Provider | undefined) | undefined;
}

/** The routing engine's run-time parts: deployments with their state, the router, health, budget. */
export class Engine {
  readonly deployments = new Map<string, Deployment>();
  readonly router: Router;
  readonly budget: RetryBudget;
  readonly health: HealthChecker | undefined;
  /** Shares breaker states with other replicas; absent without a state store. */
  readonly sync: BreakerSync | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly options: EngineOptions,
  ) {
    const { logger, store } = options;
    this.sync = store
      ? new BreakerSync(store, this.deployments, { intervalMs: config.routing.state_sync_ms, ttlMs: config.routing.breaker.max_cool_off_ms * 2, logger })
      : undefined;
    for (const d of config.deployments) {
      const custom = options.createProvider?.(d);
      const factory = custom ? undefined : findProvider(d.provider);
      if (!custom && !factory) throw new GatewayError({ kind: 'internal', message: `unknown provider ${d.provider}` });
      const state = new DeploymentState(d, config.routing, this.sync?.publisher(d.id), this.sync?.coolingPublisher(d.id), this.sync?.drainPublisher(d.id), logger);
      const provider = custom ?? (factory as NonNullable<typeof factory>).create(d, d.options, { logger: logger.child({ deployment: d.id }) });
      this.deployments.set(d.id, { id: d.id, config: d, provider, state });
    }
    this.router = new Router(config, this.deployments, {
      random: options.random,
      now: () => options.clock.now(),
      priceOf: options.priceOf,
      failback: config.routing.failback,
      unknownModelToDefault: config.routing.unknown_model_to_default,
      defaultGroup: config.default_group,
    });
    this.budget = new RetryBudget(config.routing.retry_budget);
    if (config.routing.health.enabled) this.health = new HealthChecker([...this.deployments.values()], config.routing.health, options.clock, logger);
  }

  status(): GatewayStatus {
    const now = this.options.clock.now();
    const startShare = this.config.routing.failback.start_share;
    return {
      at: now,
      deployments: [...this.deployments.values()].map((d) => d.state.status(now, startShare)),
      groups: this.config.groups.map((g) => ({ name: g.name, strategy: g.strategy, deployments: g.deployments.map((m) => (typeof m === 'string' ? m : m.id)) })),
      retryBudget: this.budget.snapshot(now),
    };
  }

  /** This process's own use of each deployment's quota and provisioned capacity (those it uses at all). */
  load(): LoadReport {
    const now = this.options.clock.now();
    const report: LoadReport = {};
    for (const d of this.deployments.values()) {
      const load = d.state.load(now);
      if (load) report[d.id] = load;
    }
    return report;
  }

  /** Adopts the other workers' use of each deployment; a deployment `others` leaves out: none. */
  adoptOthersLoad(others: LoadReport): void {
    for (const d of this.deployments.values()) d.state.adoptOthers(Object.hasOwn(others, d.id) ? others[d.id] : undefined);
  }

  /** Takes a deployment out of routing (here at once, on other replicas within one state sync). */
  drain(id: string, action: OperatorAction): DeploymentStatus {
    return this.operate(id, 'drain', action, (d, now) => d.state.setDrained(now, true, action.reason ?? 'drained by an operator'));
  }

  /** Puts a drained deployment back into routing. */
  undrain(id: string, action: OperatorAction): DeploymentStatus {
    return this.operate(id, 'undrain', action, (d, now) => d.state.setDrained(now, false, null));
  }

  /** Closes a deployment's breaker with a clean history (no ramp); published like any transition. */
  resetBreaker(id: string, action: OperatorAction): DeploymentStatus {
    return this.operate(id, 'breaker reset', action, (d, now) => d.state.resetBreaker(now));
  }

  private operate(id: string, what: string, action: OperatorAction, apply: (d: Deployment, now: number) => unknown): DeploymentStatus {
    const d = this.deployments.get(id);
    if (!d) throw new GatewayError({ kind: 'not_found', status: 404, code: 'unknown_deployment', message: `Unknown deployment '${id}'.` });
    const now = this.options.clock.now();
    apply(d, now);
    // The audit trail of manual failover: who did what to which deployment, and why.
    this.options.logger.warn({ deployment: id, actor: action.actor, reason: action.reason, audit: true }, `operator: ${what}`);
    return d.state.status(now, this.config.routing.failback.start_share);
  }

  /**
   * True unless active health checks hold every deployment down. Passive breakers do not count: they
   * open on transient bursts, and pulling every replica out of a load balancer for one would turn an
   * upstream blip into a full outage.
   */
  ready(): boolean {
    for (const d of this.deployments.values()) if (d.state.healthUp) return true;
    return false;
  }
}
