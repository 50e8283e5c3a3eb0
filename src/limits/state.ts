import type { OwnedPart } from '../state/owner-lease.js';
import type { LimitRef } from './counters.js';

/** A counter's figures after a check: requests counted and tokens used or reserved in its window. */
export interface CounterFigures {
  requests: number;
  tokens: number;
}

export type TakeResult =
  /**
   * `since`: when each counter was created, naming the incarnation that holds the reservation
   * (`ReservedPart`); `owner`: the replica's lease it is recorded under in Redis (`OwnedPart`).
   */
  | { ok: true; figures: CounterFigures[]; since: number[]; owner?: string }
  | { ok: false; refused: number; by: 'requests' | 'tokens'; figures: CounterFigures[] };

/**
 * Rate-limit counters: per counter, requests taken and tokens used plus reserved. Behind an interface
 * so replicas share them through Redis; every method is atomic over its counters. A counter a shared
 * store lost starts again from zero when next taken, as a new incarnation (a later `since`): it holds
 * none of the reservations made before, so releases and settlements name the `since` they reserved on.
 */
export interface RateLimitState {
  /**
   * Counts one request and reserves `tokens` on every counter when each has room: a request limit
   * not yet reached, and a token limit the reservation fits under (a window holding nothing yet
   * admits one request larger than the whole limit, so no request is refused for ever). Otherwise
   * takes nothing and names the first counter that refused, and why. `requests` 0 (a continuation of
   * a request already counted) reserves tokens only.
   */
  take(refs: readonly LimitRef[], tokens: number, requests?: 0 | 1): Promise<TakeResult>;
  /** Returns an unused reservation to the counters that hold it. */
  release(refs: readonly LimitRef[], reserved: OwnedPart): Promise<void>;
  /** Adds tokens used, turning `fromReserved` of a reservation into use on the counters that hold it. */
  settle(refs: readonly LimitRef[], used: number, fromReserved: OwnedPart | undefined): Promise<void>;
  close(): Promise<void>;
}

interface Counter extends CounterFigures {
  resetAt: number;
  since: number;
}

/** Counters in this process's memory: exact for one replica, the default. */
export class MemoryRateLimitState implements RateLimitState {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(ref: LimitRef): Counter {
    let c = this.counters.get(ref.counter);
    if (!c) {
      c = { requests: 0, tokens: 0, resetAt: ref.resetAt, since: this.now() };
      this.counters.set(ref.counter, c);
      if (this.counters.size % 1024 === 0) this.prune();
    }
    return c;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, c] of this.counters) if (c.resetAt < now) this.counters.delete(k);
  }

  async take(refs: readonly LimitRef[], tokens: number, requests: 0 | 1 = 1): Promise<TakeResult> {
    // Checked and applied in one synchronous step: no interleaving between concurrent admissions.
    const counters = refs.map((ref) => this.get(ref));
    for (let i = 0; i < refs.length; i += 1) {
      const ref = refs[i] as LimitRef;
      const c = counters[i] as Counter;
      if (requests > 0 && ref.requestLimit !== undefined && c.requests >= ref.requestLimit) return { ok: false, refused: i, by: 'requests', figures: counters.map(figures) };
      if (ref.tokenLimit !== undefined && c.tokens > 0 && c.tokens + tokens > ref.tokenLimit) return { ok: false, refused: i, by: 'tokens', figures: counters.map(figures) };
    }
    for (const c of counters) {
      c.requests += requests;
      c.tokens += tokens;
    }
    return { ok: true, figures: counters.map(figures), since: counters.map((c) => c.since) };
  }

  async release(refs: readonly LimitRef[], reserved: OwnedPart): Promise<void> {
    refs.forEach((ref, i) => {
      const c = this.counters.get(ref.counter);
      if (c && c.since === reserved.since[i]) c.tokens = Math.max(0, c.tokens - reserved.amount);
    });
  }

  async settle(refs: readonly LimitRef[], used: number, fromReserved: OwnedPart | undefined): Promise<void> {
    refs.forEach((ref, i) => {
      const c = this.counters.get(ref.counter);
      const back = fromReserved && c?.since === fromReserved.since[i] ? fromReserved.amount : 0;
      if (c) c.tokens = Math.max(0, c.tokens + used - back);
    });
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}

const figures = (c: CounterFigures): CounterFigures => ({ requests: c.requests, tokens: c.tokens });
