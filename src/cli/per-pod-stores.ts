import type { GatewayConfig } from '../config/schema.js';

/** Where docs/DEPLOY.md says how to share the stores between replicas. */
export const SHARED_STORES_DOC = 'docs/DEPLOY.md#several-replicas-ledger-and-shared-state';

/** What `serve` logs once at start: the settings that keep state per pod, and why that matters. */
export interface PerPodStores {
  readonly settings: string[];
  readonly message: string;
}

/**
 * On Kubernetes (`KUBERNETES_SERVICE_HOST`, which the kubelet sets in every container) the replicas are
 * meant to share their ledger and state; a config that keeps them per pod (an edited overlay that dropped
 * the `${SWITCHYARD_LEDGER_STORE:-sqlite}` / `${SWITCHYARD_STATE_STORE:-memory}` lines) otherwise runs
 * without a word, each pod with its own budgets, quotas and breakers. `undefined` elsewhere or when shared.
 */
export function perPodStores(config: GatewayConfig, env: Readonly<Record<string, string | undefined>>): PerPodStores | undefined {
  if (!env.KUBERNETES_SERVICE_HOST) return undefined;
  const settings: string[] = [];
  if (config.ledger.enabled && config.ledger.store === 'sqlite') settings.push('ledger.store: sqlite');
  if (config.state.store === 'memory') settings.push('state.store: memory');
  // Virtual keys carry budgets of their own (`hard_usd` per key), counted in the same budget state.
  const budgeted = config.budgets.limits.length > 0 || config.keys.hmac_secret !== undefined;
  if (budgeted && config.budgets.state === 'memory') settings.push('budgets.state: memory');
  if (settings.length === 0) return undefined;
  return {
    settings,
    message:
      `running on Kubernetes with per-pod stores (${settings.join(', ')}): each replica keeps its own ledger, budgets, rate limits and breakers, ` +
      `so a client gets each replica's budget and quota; for several replicas set the stores as ${SHARED_STORES_DOC} says (components/shared-stores)`,
  };
}
