/** One budget counter touched by a request, with the hard limit that applies to it. */
export interface CounterRef {
  counter: string;
  hardUsd: number | undefined;
  /** When the counter's period ends; a shared store may drop it afterwards. */
  expiresAt: number;
}

export type ReserveResult = { ok: true } | { ok: false; refused: number; spent: number; reserved: number };

/**
 * Budget counters: settled spend and outstanding reservations per counter. Behind an interface so a
 * shared store keeps several replicas in agreement; every method is atomic for its counters.
 */
export interface BudgetState {
  /**
   * Reserves `amount` on every counter when each is still under its hard limit (spent + reserved <
   * hard); otherwise reserves nothing and names the first counter that refused.
   */
  reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult>;
  /** Returns an unused reservation. */
  release(counters: readonly string[], amount: number): Promise<void>;
  /** Adds settled cost, turning `fromReserved` of a reservation into spend; returns each counter's spend. */
  settle(refs: readonly CounterRef[], cost: number, fromReserved: number): Promise<number[]>;
  /** Sets a counter's spend from the ledger when the state does not know it yet (a fresh start). */
  seed(ref: CounterRef, spent: number): Promise<void>;
  close(): Promise<void>;
}

interface Counter {
  spent: number;
  reserved: number;
  expiresAt: number;
}

/** Budget counters in this process's memory: exact for one replica, the default. */
export class MemoryBudgetState implements BudgetState {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(ref: CounterRef): Counter {
    let c = this.counters.get(ref.counter);
    if (!c) {
      c = { spent: 0, reserved: 0, expiresAt: ref.expiresAt };
      this.counters.set(ref.counter, c);
      if (this.counters.size % 1024 === 0) this.prune();
    }
    return c;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, c] of this.counters) if (c.expiresAt < now && c.reserved <= 0) this.counters.delete(k);
  }

  async reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult> {
    // Checked and applied in one synchronous step: no interleaving between concurrent admissions.
    for (let i = 0; i < refs.length; i += 1) {
      const ref = refs[i] as CounterRef;
      const c = this.get(ref);
      if (ref.hardUsd !== undefined && c.spent + c.reserved >= ref.hardUsd) return { ok: false, refused: i, spent: c.spent, reserved: c.reserved };
    }
    for (const ref of refs) this.get(ref).reserved += amount;
    return { ok: true };
  }

  async release(counters: readonly string[], amount: number): Promise<void> {
    for (const k of counters) {
      const c = this.counters.get(k);
      if (c) c.reserved = Math.max(0, c.reserved - amount);
    }
  }

  async settle(refs: readonly CounterRef[], cost: number, fromReserved: number): Promise<number[]> {
    return refs.map((ref) => {
      const c = this.get(ref);
      c.spent += cost;
      c.reserved = Math.max(0, c.reserved - fromReserved);
      return c.spent;
    });
  }

  async seed(ref: CounterRef, spent: number): Promise<void> {
    if (!this.counters.has(ref.counter)) this.counters.set(ref.counter, { spent, reserved: 0, expiresAt: ref.expiresAt });
  }

  /** A counter's current figures (tests, diagnostics). */
  peek(counter: string): { spent: number; reserved: number } | undefined {
    const c = this.counters.get(counter);
    return c ? { spent: c.spent, reserved: c.reserved } : undefined;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}
