import type { ReservedPart } from '../core/held-writes.js';

/** A counter a reservation names: a budget's `CounterRef` or a rate limit's `LimitRef`. */
export interface HeldRef {
  readonly counter: string;
}

interface Held<R extends HeldRef> {
  ref: R;
  since: number;
  amount: number;
  /** The largest single reservation added: what is left below a billionth of it is float residue. */
  largest: number;
}

/**
 * What each worker's reservations still hold in the primary's counters (budgets, rate limits), so the
 * reservations of a worker that dies with requests in flight (SIGKILL, OOM, a crash) are released when
 * it exits instead of being held until their period ends.
 *
 * Kept per counter and incarnation (`since`), not per reservation: calls carry no reservation id, and
 * a release only subtracts, so handing back each counter's sum equals handing back each part. Every
 * call costs a map update per counter, in the primary, on calls the worker makes anyway.
 */
export class WorkerHoldings<R extends HeldRef> {
  private readonly byWorker = new Map<number, Map<string, Held<R>>>();
  /** Workers that exited: a call of theirs read after the exit finds its reservation released already. */
  private readonly gone = new Set<number>();

  constructor(private readonly release: (refs: readonly R[], part: ReservedPart) => Promise<void>) {}

  /** A reservation granted to `worker`: `amount` on each counter, in the incarnation `since` names. */
  async hold(worker: number, refs: readonly R[], amount: number, since: readonly number[]): Promise<void> {
    if (!(amount > 0)) return;
    // Its worker is gone, so nothing will settle it: given back at once.
    if (this.gone.has(worker)) return this.release(refs, { amount, since });
    let held = this.byWorker.get(worker);
    if (!held) this.byWorker.set(worker, (held = new Map()));
    refs.forEach((ref, i) => {
      const at = since[i] as number;
      const key = keyOf(ref, at);
      const entry = held.get(key);
      if (entry) {
        entry.amount += amount;
        entry.largest = Math.max(entry.largest, amount);
      } else held.set(key, { ref, since: at, amount, largest: amount });
    });
  }

  /**
   * Part of a reservation settled or handed back by `worker`. False when the worker has exited: its
   * reservations were released then, so the part must not be taken from the counters again.
   */
  consume(worker: number, refs: readonly R[], part: ReservedPart | undefined): boolean {
    if (this.gone.has(worker)) return false;
    const held = this.byWorker.get(worker);
    if (!held || !part || !(part.amount > 0)) return true;
    refs.forEach((ref, i) => {
      const key = keyOf(ref, part.since[i] as number);
      const entry = held.get(key);
      if (!entry) return;
      entry.amount -= part.amount;
      if (entry.amount <= entry.largest * 1e-9) held.delete(key);
    });
    if (held.size === 0) this.byWorker.delete(worker);
    return true;
  }

  /** `worker` exited: releases what its reservations still hold, as its own releases would have. */
  async exited(worker: number): Promise<void> {
    this.gone.add(worker);
    const held = this.byWorker.get(worker);
    this.byWorker.delete(worker);
    if (!held) return;
    await Promise.all([...held.values()].map((e) => this.release([e.ref], { amount: e.amount, since: [e.since] })));
  }

  /** What `worker` still holds on `counter`, all incarnations summed (tests, diagnostics). */
  heldBy(worker: number, counter: string): number {
    let sum = 0;
    for (const e of this.byWorker.get(worker)?.values() ?? []) if (e.ref.counter === counter) sum += e.amount;
    return sum;
  }
}

const keyOf = (ref: HeldRef, since: number): string => `${since}|${ref.counter}`;
