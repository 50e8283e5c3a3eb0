import { request } from 'undici';
import type { FaultRule } from '../../sim/faults.js';
import type { Effect } from '../scenario.js';
import { FaultProxy } from './proxy.js';

/** A deployment the drill can make faulty, through a simulator's fault API or a fault proxy. */
export interface FaultTarget {
  readonly deployment: string;
  readonly via: 'simulator' | 'proxy';
  /**
   * Starts the effect; it ends by itself after `durationMs` (a crashed drill leaves no fault behind),
   * and only it: effects of overlapping windows combine as `combineEffects` says.
   */
  apply(effect: Effect, durationMs: number): Promise<void>;
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

/** The simulator's own words for a refusal (`{error:{message}}`), when it gave them. */
function refusalMessage(body: unknown): string | undefined {
  const error: unknown = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  const message: unknown = typeof error === 'object' && error !== null && 'message' in error ? error.message : undefined;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** A simulator target: each window is its own rule that expires on its own (other rules, e.g. cold start, stay). */
export function simulatorTarget(deployment: string, origin: string): FaultTarget {
  return {
    deployment,
    via: 'simulator',
    async apply(effect, durationMs) {
      const res = await request(`${origin}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(simRule(effect, durationMs)) });
      if (res.statusCode === 200) {
        await res.body.dump();
        return;
      }
      const said = refusalMessage(await res.body.json().catch(() => undefined));
      throw new Error(`simulator at ${origin} refused the fault rule (HTTP ${res.statusCode})${said === undefined ? '' : `: ${said}`}`);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * The effect of several active windows, oldest first, as a simulator combines its rules: later fields
 * win, latencies add up. Undefined when none is active.
 */
export function combineEffects(effects: readonly Effect[]): Effect | undefined {
  if (effects.length === 0) return undefined;
  const combined: Effect = {};
  let latency: number | undefined;
  for (const { latency_ms, ...rest } of effects) {
    Object.assign(combined, rest);
    if (latency_ms !== undefined) latency = (latency ?? 0) + latency_ms;
  }
  return latency === undefined ? combined : { ...combined, latency_ms: latency };
}

/** A proxy target: the drill points the deployment's endpoint at `proxy.url`; each window's effect ends on its own timer. */
export function proxyTarget(deployment: string, proxy: Pick<FaultProxy, 'set' | 'close'>): FaultTarget {
  const active: Array<{ effect: Effect; timer: NodeJS.Timeout }> = [];
  return {
    deployment,
    via: 'proxy',
    apply(effect, durationMs) {
      const entry = {
        effect,
        timer: setTimeout(() => {
          active.splice(active.indexOf(entry), 1);
          // A window ending is no new outage: connections opened under the others stay.
          proxy.set(combineEffects(active.map((a) => a.effect)), false);
        }, durationMs),
      };
      active.push(entry);
      proxy.set(combineEffects(active.map((a) => a.effect)));
      return Promise.resolve();
    },
    close: () => {
      for (const a of active.splice(0)) clearTimeout(a.timer);
      return proxy.close();
    },
  };
}
