import type { DeploymentConfig } from '../config/schema.js';
import type { Gateway } from '../gateway/gateway.js';
import { breakerKey, coolingKey, drainKey } from '../routing/breaker-sync.js';
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
 * What a deployment's breaker and cool-down describe: the upstream it calls and how. A changed endpoint,
 * model, provider, region, credentials or provider options is another upstream, whose state is not known.
 */
function upstreamOf(d: DeploymentConfig): string {
  return JSON.stringify([d.provider, d.model, d.region ?? null, d.endpoint ?? null, d.api_key?.reveal() ?? null, d.headers, d.options]);
}

/**
 * The store keys the next config keeps: the breaker and cool-down of each deployment whose id and
 * upstream are unchanged, and the drain of each id still configured (a drain is an operator's word on
 * the id, which a new endpoint does not take back; breaker and cool-down are observations of the old one).
 */
export function carriedKeys(from: readonly DeploymentConfig[], to: readonly DeploymentConfig[]): string[] {
  const before = new Map(from.map((d) => [d.id, d]));
  const keys: string[] = [];
  for (const d of to) {
    const old = before.get(d.id);
    if (!old) continue;
    keys.push(drainKey(d.id));
    if (upstreamOf(old) === upstreamOf(d)) keys.push(breakerKey(d.id), coolingKey(d.id));
  }
  return keys;
}

/**
 * Hands `from`'s routing state to `to` before `to` takes traffic: a process-local store's records of the
 * deployments `to` keeps are copied, then `to` reads its store (waiting at most `SYNC_WAIT_MS` for a
 * shared one), so the first request after a reload already sees an open breaker, a cool-down, a drain.
 */
export async function carryRoutingState(from: CarriedApp, to: CarriedApp): Promise<void> {
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
