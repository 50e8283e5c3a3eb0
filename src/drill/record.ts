import type { AttemptRecord } from '../core/events.js';
import type { Gateway } from '../gateway/gateway.js';
import type { PriceBook } from '../ledger/pricing/price-book.js';
import type { BreakerSample, RoutingState } from './measure.js';

/** Requests whose id starts with this are the unmeasured warm-up. */
export const WARMUP = 'drill-warmup-';

interface Tally {
  attempts: number;
}

/** Hears every attempt of the drill's gateway: attempts per request, the first failure on a target, cost. */
export class DrillRecorder {
  readonly cost = { usd: 0, shadowUsd: 0, shadowUsdPerHour: 0, unpricedAttempts: 0 };
  firstFailureMs: number | undefined;
  private readonly tallies = new Map<string, Tally>();
  private t0 = 0;

  constructor(
    private readonly prices: PriceBook,
    private readonly targets: readonly string[],
    private readonly faultStartMs: number,
  ) {}

  /** Times from here on are measured from `t0`. */
  start(t0: number): void {
    this.t0 = t0;
  }

  tally(requestId: string): Tally {
    return this.tallies.get(requestId) ?? { attempts: 0 };
  }

  readonly onAttempt = (r: AttemptRecord): void => {
    const usd = r.usage ? this.prices.usdOf(r, r.usage) : 0;
    if (usd === undefined) this.cost.unpricedAttempts += 1;
    if (r.role === 'shadow') this.cost.shadowUsd += usd ?? 0;
    else this.cost.usd += usd ?? 0;
    if (r.role === 'shadow' || r.requestId.startsWith(WARMUP)) return;
    const t = this.tally(r.requestId);
    t.attempts += 1;
    this.tallies.set(r.requestId, t);
    const endMs = r.startedAt + r.latencyMs - this.t0;
    if (r.outcome === 'error' && this.targets.includes(r.deployment) && endMs >= this.faultStartMs) this.firstFailureMs = Math.min(this.firstFailureMs ?? endMs, endMs);
  };
}

/** Samples the routing state of the group's deployments every `everyMs` until stopped. */
export function sampleRouting(gateway: Gateway, members: readonly string[], t0: number, everyMs: number): { samples: BreakerSample[]; stop(): void } {
  const samples: BreakerSample[] = [];
  const sample = (): void => {
    const status = gateway.status();
    const states: Record<string, RoutingState> = {};
    for (const d of status.deployments) {
      if (!members.includes(d.id)) continue;
      const cooling = d.breaker.state === 'closed' && d.coolingUntil !== undefined && d.coolingUntil > status.at;
      states[d.id] = cooling ? 'cooling' : d.breaker.state;
    }
    samples.push({ atMs: Date.now() - t0, states });
  };
  const timer = setInterval(sample, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}
