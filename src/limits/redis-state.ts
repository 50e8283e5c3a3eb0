import { OwnerLease, type LeaseOptions, type OwnedPart } from '../state/owner-lease.js';
import { RedisCounters, type RedisCountersOptions } from '../state/redis-client.js';
import type { LimitRef } from './counters.js';
import { ADJUST, TAKE } from './redis-scripts.js';
import type { CounterFigures, RateLimitState, TakeResult } from './state.js';

/** Counters outlive their window by this much, so answers that finish just after a reset still settle. */
const GRACE_MS = 120_000;

export interface RedisRateLimitStateOptions extends RedisCountersOptions {
  /** Key namespace, e.g. `switchyard:`. */
  prefix?: string;
  now?: () => number;
  /** This replica's lease on its reservations (`state/owner-lease.ts`); defaults for production. */
  lease?: LeaseOptions;
}

/**
 * Rate-limit counters shared by every replica through Redis: each check is one Lua script, atomic
 * over all the counters of a request. Keys carry the `{ratelimit}` hash tag so the multi-key scripts
 * also run on Redis Cluster. Token reservations are recorded under this replica's lease (`OwnerLease`):
 * a day window outlives a replica that dies, which gives back what it held once the lease expires.
 */
export class RedisRateLimitState implements RateLimitState {
  private readonly counters: RedisCounters;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly lease: OwnerLease;

  constructor(o: RedisRateLimitStateOptions) {
    // Limits fail open quickly rather than hold requests during an outage.
    this.counters = new RedisCounters(o, 'rate-limit state');
    this.prefix = o.prefix ?? '';
    this.now = o.now ?? Date.now;
    this.lease = new OwnerLease(this.counters, `${this.prefix}{ratelimit}:leases`, o.logger, 'rate-limit state', o.lease);
  }

  private keys(refs: readonly LimitRef[]): string[] {
    return refs.map((r) => `${this.prefix}{ratelimit}:${r.counter}`);
  }

  async take(refs: readonly LimitRef[], tokens: number, requests: 0 | 1 = 1): Promise<TakeResult> {
    const now = this.now();
    const perRef = refs.flatMap((r) => [r.requestLimit === undefined ? '' : String(r.requestLimit), r.tokenLimit === undefined ? '' : String(r.tokenLimit), String(Math.max(1, r.resetAt + GRACE_MS - now))]);
    const { reply, owner } = await this.lease.reserve(TAKE, this.keys(refs), (lease) => [String(tokens), String(requests), String(now), ...lease, ...perRef], tokens);
    if (reply[0] === '1') return { ok: true, figures: pairs(reply, 1, refs.length), since: reply.slice(1 + 2 * refs.length).map(Number), owner };
    return { ok: false, refused: Number(reply[1]), by: reply[2] === 'tokens' ? 'tokens' : 'requests', figures: pairs(reply, 3, refs.length) };
  }

  async release(refs: readonly LimitRef[], reserved: OwnedPart): Promise<void> {
    await this.adjust(refs, 0, reserved);
  }

  async settle(refs: readonly LimitRef[], used: number, fromReserved: OwnedPart | undefined): Promise<void> {
    await this.adjust(refs, used, fromReserved);
  }

  private async adjust(refs: readonly LimitRef[], used: number, reserved: OwnedPart | undefined): Promise<void> {
    const args = [String(used), String(reserved?.amount ?? 0), reserved?.owner ?? ''];
    for (let i = 0; i < refs.length; i += 1) args.push(reserved ? String(reserved.since[i]) : '');
    try {
      await this.counters.run(ADJUST, this.keys(refs), args);
    } catch (err) {
      this.lease.gaveBack(reserved, err);
      throw err;
    }
    this.lease.gaveBack(reserved);
  }

  /** Gives back what this replica still holds (its leases dropped), then closes the connection. */
  async close(): Promise<void> {
    await this.lease.close();
    await this.counters.close();
  }
}

/** The `count` counters' figures, pairs of requests and tokens from `from` on. */
function pairs(reply: readonly string[], from: number, count: number): CounterFigures[] {
  const out: CounterFigures[] = [];
  for (let i = from; i < from + 2 * count; i += 2) out.push({ requests: Number(reply[i]), tokens: Number(reply[i + 1]) });
  return out;
}
