import type { DeploymentConfig } from '../config/schema.js';
import type { Gateway } from '../gateway/gateway.js';
import { breakerKey, coolingKey, drainKey, upstreamDigest } from '../routing/breaker-sync.js';
import { carryBreaker } from '../routing/deployment-state.js';
import type { MemoryStateStore } from '../state/memory.js';

/** How long a reload waits for the new app's first read of a shared store (Redis, the primary's) before it takes traffic. */
export const SYNC_WAIT_MS = 1_000;

/** What a generation hands the next: its gateway and, where its routing state lives in this process only, that store. */
export interface CarriedApp {
  readonly gateway: Gateway;
  /** The app's process-local store of breaker states, 429 cool-downs and drains (see `App.localState`). */
  readonly localState?: MemoryStateStore | undefined;
}

/**
 * The store keys the next config keeps: the breaker and cool-down of each deployment whose id and
 * upstream are unchanged (a changed upstream's keys are others: `upstreamDigest`), and the drain of each
 * id still configured (a drain is an operator's word on the id, which a new endpoint does not take back;
 * breaker and cool-down are observations of the old upstream).
 */
export function carriedKeys(from: readonly DeploymentConfig[], to: readonly DeploymentConfig[]): string[] {
  const before = new Set(from.map((d) => d.id));
  const keys: string[] = [];
  for (const d of to) {
    if (!before.has(d.id)) continue;
    const upstream = upstreamDigest(d);
    keys.push(drainKey(d.id), breakerKey(d.id, upstream), coolingKey(d.id, upstream));
  }
  return keys;
}

/**
 * Hands each breaker whose deployment keeps its id and upstream to the next config's, in this process:
 * with its state, the failures counted toward its thresholds, which no store holds (a deployment that
 * had failed N-1 times of N is one failure from opening after the reload too). A changed upstream's
 * breaker starts afresh, as its store keys do.
 */
export function carryBreakers(from: readonly DeploymentConfig[], to: readonly DeploymentConfig[], now: number): void {
  const before = new Map(from.map((d) => [d.id, d]));
  for (const d of to) {
    const old = before.get(d.id);
    if (old && upstreamDigest(old) === upstreamDigest(d)) carryBreaker(old, d, now);
  }
}

/**
 * Hands `from`'s routing state to `to` before `to` takes traffic: its breakers (`carryBreakers`), a
 * process-local store's records of the deployments `to` keeps, then `to` reads its store (waiting at
 * most `SYNC_WAIT_MS` for a shared one), so the first request after a reload already sees an open
 * breaker, a cool-down, a drain, and the failures counted toward opening one. `now`: the gateways' clock.
 */
export async function carryRoutingState(from: CarriedApp, to: CarriedApp, now = Date.now()): Promise<void> {
  carryBreakers(from.gateway.config.deployments, to.gateway.config.deployments, now);
  if (from.localState && to.localState) from.localState.copyTo(to.localState, carriedKeys(from.gateway.config.deployments, to.gateway.config.deployments));
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, SYNC_WAIT_MS)));
  // Twice: the pull `to` began when it was built may still be running, and it read before the copy.
  const pulled = to.gateway
    .syncState()
    .then(() => to.gateway.syncState())
    .catch(() => undefined); // the store's outage is logged by its sync
  await Promise.race([pulled, waited]);
  clearTimeout(timer);
}
