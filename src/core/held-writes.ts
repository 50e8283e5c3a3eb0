/** The error of a shared counter store that was known to be down, so the call never left: it certainly did not apply. */
export function unreachedError(message: string): Error {
  return Object.assign(new Error(message), { unreached: true });
}

/** Held writes sent at once when replayed. */
const REPLAY_BATCH = 256;

const isUnreached = (err: unknown): boolean => (err as { unreached?: unknown } | undefined)?.unreached === true;

/** A write to shared counters; `replayed` is true when it is written again after the store was down. */
export type HeldWrite = (replayed: boolean) => Promise<unknown>;

/**
 * Part of a reservation on shared counters: the amount, and per counter (in the order of its refs) the
 * `since` of the counter that holds it, which names that counter's incarnation. A counter created again
 * since (a shared store that lost its data) never held it, so gives none of it back.
 */
export interface ReservedPart {
  amount: number;
  since: readonly number[];
}

/**
 * Writes to shared counters (budget and rate-limit settlements and releases) that failed because the
 * store was known to be down, kept in order and written once it answers again: without them a blip
 * leaks the reservations of the requests that end during it, refusing requests until the counter's
 * period ends, and loses their spend. Only writes that certainly never left are kept, so none is
 * applied twice; any other failure goes to `onError`. At most `max` are kept (the oldest stay). They are
 * counter additions, which commute: replayed in batches, not one at a time. A replayed write is told so:
 * the store may have lost its data meanwhile, and a counter created again since must not take a
 * reservation it never held (`ReservedPart`) nor, for a budget seeded from the ledger, spend it holds.
 */
export class HeldWrites {
  private readonly held: HeldWrite[] = [];
  private replaying: Promise<void> | undefined;
  /** The bound was reached since the last replay: dropping further writes was told once. */
  private full = false;

  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly max = 100_000,
  ) {}

  /** Runs a write; one the store certainly did not take is held for `replay`. */
  write(op: HeldWrite): void {
    op(false).catch((err: unknown) => {
      if (!isUnreached(err)) this.onError(err);
      else if (this.held.length < this.max) this.held.push(op);
      else if (!this.full) {
        // Told once per fill, not once per write a long outage under load drops.
        this.full = true;
        this.onError(new Error(`${this.max} writes already held while the store is down; further ones are dropped until it answers`));
      }
    });
  }

  /** Writes what is held, in order; undefined when nothing is. Stops, keeping the rest, while the store is still down. */
  replay(): Promise<void> | undefined {
    if (this.held.length === 0) return undefined;
    return (this.replaying ??= this.drain().finally(() => {
      this.replaying = undefined;
      if (this.held.length < this.max) this.full = false;
    }));
  }

  /**
   * In batches of `REPLAY_BATCH` at once: the writes are counter additions, which commute, and the next
   * checks wait for the replay, so a long outage's backlog must not take a round trip per write. The
   * first write goes alone: every check replays, and while the store is still down that costs one
   * failed write, not a batch's worth per request.
   */
  private async drain(): Promise<void> {
    let size = 1;
    while (this.held.length > 0) {
      const batch = this.held.splice(0, size);
      size = REPLAY_BATCH;
      const results = await Promise.allSettled(batch.map((op) => op(true)));
      const again: HeldWrite[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        if (isUnreached(r.reason)) again.push(batch[i] as HeldWrite);
        else this.onError(r.reason);
      });
      if (again.length > 0) {
        // Down again: what it did not take waits, first in line, for the next replay.
        this.held.unshift(...again);
        return;
      }
    }
  }
}
