import { request } from 'undici';
import type { FaultRule } from '../../sim/faults.js';
import type { Effect } from '../scenario.js';
import { FaultProxy } from './proxy.js';

/** A deployment the drill can make faulty, through a simulator's fault API or a fault proxy. */
export interface FaultTarget {
  readonly deployment: string;
  readonly via: 'simulator' | 'proxy';
  /** Starts the effect; it ends by itself after `durationMs` (a crashed drill leaves no fault behind). */
  apply(effect: Effect, durationMs: number): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** True when the origin answers the simulators' control API. */
export async function isSimulator(origin: string): Promise<boolean> {
  try {
    const res = await request(`${origin}/__sim/stats`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    const body: unknown = await res.body.json().catch(() => undefined);
    return res.statusCode === 200 && typeof body === 'object' && body !== null && 'total' in body;
  } catch {
    return false;
  }
}

/** The simulator fault rule that plays an effect for `durationMs`. */
export function simRule(effect: Effect, durationMs: number): FaultRule {
  const rule: FaultRule = { duration_ms: Math.max(1, Math.round(durationMs)) };
  if (effect.status !== undefined) rule.status = effect.status;
  if (effect.retry_after_s !== undefined) rule.retry_after_s = effect.retry_after_s;
  if (effect.refuse) rule.reset = true;
  // A simulator cannot stay silent forever; holding the answer past the window is the same to a client.
  if (effect.blackhole) rule.latency_ms = Math.round(durationMs) + 600_000;
  if (effect.latency_ms !== undefined) rule.latency_ms = (rule.latency_ms ?? 0) + effect.latency_ms;
  if (effect.ttft_ms !== undefined) rule.ttft_ms = effect.ttft_ms;
  if (effect.cut_after_chunks !== undefined) rule.cut_after_chunks = effect.cut_after_chunks;
  return rule;
}

/** A simulator target: rules expire on their own, so `clear` has nothing to undo (and keeps e.g. cold-start rules). */
export function simulatorTarget(deployment: string, origin: string): FaultTarget {
  return {
    deployment,
    via: 'simulator',
    async apply(effect, durationMs) {
      const res = await request(`${origin}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(simRule(effect, durationMs)) });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`simulator at ${origin} refused the fault rule (HTTP ${res.statusCode})`);
    },
    clear: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** A proxy target: the drill points the deployment's endpoint at `proxy.url`. */
export function proxyTarget(deployment: string, proxy: FaultProxy): FaultTarget {
  let timer: NodeJS.Timeout | undefined;
  return {
    deployment,
    via: 'proxy',
    apply(effect, durationMs) {
      clearTimeout(timer);
      proxy.set(effect);
      timer = setTimeout(() => proxy.set(undefined), durationMs);
      return Promise.resolve();
    },
    clear() {
      clearTimeout(timer);
      proxy.set(undefined);
      return Promise.resolve();
    },
    close: () => {
      clearTimeout(timer);
      return proxy.close();
    },
  };
}
