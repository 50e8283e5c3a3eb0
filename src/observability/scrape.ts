import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayStatus } from '../gateway/engine.js';

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Registers the series read from the gateway's status when Prometheus scrapes (breakers, health,
 * per-deployment in-flight, retry budget), so the request path pays nothing for them. `read` returns
 * the status snapshot taken once for the scrape under way.
 */
export function registerStatusCollectors(registry: Registry, read: () => GatewayStatus): void {
  const registers = [registry];

  new Gauge({
    name: 'switchyard_breaker_state',
    help: 'Circuit breaker state per deployment: 1 for the current state (closed, open, half-open), else 0.',
    labelNames: ['deployment', 'state'],
    registers,
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
  new Gauge({
    name: 'switchyard_deployment_up',
    help: 'Active health checks hold the deployment up (1) or down (0); 1 without health checks.',
    labelNames: ['deployment'],
    registers,
    collect() {
      this.reset();
      for (const d of read().deployments) this.set({ deployment: d.id }, d.health.up ? 1 : 0);
    },
  });
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
  new Gauge({
    name: 'switchyard_deployment_in_flight',
    help: 'Upstream attempts in flight per deployment.',
    labelNames: ['deployment'],
    registers,
    collect() {
      this.reset();
      for (const d of read().deployments) this.set({ deployment: d.id }, d.inFlight);
    },
  });
  new Gauge({
    name: 'switchyard_deployment_cooling_down',
    help: 'A 429 keeps the deployment out of rotation (1) or not (0).',
    labelNames: ['deployment'],
    registers,
    collect() {
      this.reset();
      for (const d of read().deployments) this.set({ deployment: d.id }, d.coolingUntil === undefined ? 0 : 1);
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
