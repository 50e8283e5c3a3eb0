import type { OwnedPart } from '../../state/owner-lease.js';

/** One budget counter touched by a request, with the hard limit that applies to it. */
export interface CounterRef {
  /** `budget|period-start-day|value`: unique per budget, period and scope value. */
  counter: string;
  /** The budget's name. */
  budget: string;
  /** The value of the budget's `per` tag, or `*` for a budget without `per`. */
  value: string;
  hardUsd: number | undefined;
  /** When the counter's period started (epoch ms). */
  periodStart: number;
  /** When the counter's period ends; a shared store may drop it afterwards. */
  expiresAt: number;
}

/**
 * A temporary limit on one budget counter's scope set by on-call (`/v1/switchyard/budgets/overrides`):
 * held in the budget state beside the counters, so every replica and worker enforces it, and a reload
 * keeps it; it ends by itself at `expiresAt`.
 */
export interface BudgetOverride {
  /** A config budget's name. */
  budget: string;
  /** The `per` value it applies to; `*` for a budget without `per`. */
  value: string;
  hardUsd: number;
  /** Replaces the budget's soft limit while it lasts; undefined keeps the config's. */
  softUsd: number | undefined;
  /** When it ends (epoch ms). */
  expiresAt: number;
  setAt: number;
  /** The admin (audit actor) who set it, and why. */
  by: string;
  reason: string;
}

/** The limits an override puts on one counter of a reservation (`ReserveResult.limits`). */
export interface OverriddenLimits {
  hardUsd: number;
  softUsd: number | undefined;
  /** When the override ends (epoch ms). */
  expiresAt: number;
}

/** The override's key in a state: a budget name holds no `|`, so it ends where the value starts. */
export const overrideKey = (budget: string, value: string): string => `${budget}|${value}`;

export type ReserveResult =
  /**
   * `since`: each counter's, naming the incarnation that holds the reservation (`ReservedPart`);
   * `owner`: the replica's lease it is recorded under in Redis (`OwnedPart`); `limits`, only when an
   * override applied to one of them: per counter, the override's limits (undefined for the others).
   */
  | { ok: true; unseeded: number[]; since: number[]; owner?: string; limits?: Array<OverriddenLimits | undefined> }
  /**
   * `hardUsd` and `overrideEndsAt`: the hard limit and expiry (epoch ms) of the override that refused,
   * when one applied to the refusing counter (its refusal may end with it, before the period does).
   */
  | { ok: false; refused: number; spent: number; reserved: number; unseeded: number[]; hardUsd?: number; overrideEndsAt?: number };

/** Counter ids a state listed (`BudgetState.counterIds`). */
export interface CounterListing {
  ids: string[];
  complete: boolean;
}

/** A counter's figures as the state holds them now: settled spend and outstanding reservations (USD). */
export interface CounterFigures {
  spent: number;
  reserved: number;
}

/** Whether a counter already holds the ledger's spend from before it was created, and since when it counts. */
export interface SeedStatus {
  seeded: boolean;
  /** When the counter was created: spend before this time is only in the ledger. */
  since: number;
}

/**
 * Budget counters: settled spend and outstanding reservations per counter. Behind an interface so a
 * shared store keeps several replicas in agreement; every method is atomic for its counters.
 *
 * Seeding: a counter counts every cost settled from its creation (`since`) on; the ledger's spend of
 * the period before `since` is added once by `seed`, by whichever replica gets there first. A shared
 * store that lost its data creates the counter again with a later `since`: a reservation made before
 * is not its own (releases and settlements name the `since` they reserved on), and a cost whose ledger
 * row is dated before it is already in its seed (a replayed settlement says its attempt's start, the row's time).
 */
export interface BudgetState {
  /**
   * Reserves `amount` on every counter when each is still under its hard limit (spent + reserved <
   * hard; an unexpired override's hard limit replaces the counter's); otherwise reserves nothing and
   * names the first counter that refused. `unseeded` lists the counters (by index) still missing the
   * ledger's earlier spend.
   */
  reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult>;
  /** Returns an unused reservation to the counters that hold it. */
  release(refs: readonly CounterRef[], reserved: OwnedPart): Promise<void>;
  /**
   * Adds settled cost, turning `fromReserved` of a reservation into spend on the counters that hold it;
   * returns each counter's spend, undefined for a counter the state no longer holds (a shared store lost
   * or expired it). `bookedAt`, given for a settlement replayed after an outage, is its ledger row's time
   * (the attempt's start): a counter created after it does not add it (its seed read it from the ledger).
   */
  settle(refs: readonly CounterRef[], cost: number, fromReserved: OwnedPart | undefined, bookedAt?: number): Promise<Array<number | undefined>>;
  /** Creates the counter when missing (its `since` is now) and says whether it was seeded. */
  seedStatus(ref: CounterRef): Promise<SeedStatus>;
  /** Adds the ledger's spend from before `since` unless the counter was seeded already. */
  seed(ref: CounterRef, spentBefore: number): Promise<void>;
  /** True for exactly one caller per counter (across replicas for a shared state): who sends the soft-limit notice. */
  claimNotice(ref: CounterRef): Promise<boolean>;
  /** Each counter's settled spend, undefined for a counter the state does not hold (metrics, at scrape time). */
  spent(refs: readonly CounterRef[]): Promise<Array<number | undefined>>;
  /** Each counter's spend and reservations, undefined for a counter the state does not hold (the budgets route; reads only). */
  figures(refs: readonly CounterRef[]): Promise<Array<CounterFigures | undefined>>;
  /**
   * Ids of at most `limit` counters the state holds whose id starts with `prefix`: the counters of a `per`
   * budget's period. `complete` false: the state stopped looking (at `limit`, or a shared store at its
   * bound of keys looked at per call), so there may be more.
   */
  counterIds(prefix: string, limit: number): Promise<CounterListing>;
  /** Sets (or replaces) the override of its budget and value; returns the unexpired one it replaced. */
  setOverride(override: BudgetOverride): Promise<BudgetOverride | undefined>;
  /** Removes a budget value's override; returns it when it had not expired. */
  removeOverride(budget: string, value: string): Promise<BudgetOverride | undefined>;
  /** Every unexpired override (the readout, the admin list; never the request path). */
  overrides(): Promise<BudgetOverride[]>;
  close(): Promise<void>;
}

interface Counter {
  spent: number;
  reserved: number;
  expiresAt: number;
  since: number;
  seeded: boolean;
  noticed: boolean;
}

/** Budget counters in this process's memory: exact for one replica, the default. */
export class MemoryBudgetState implements BudgetState {
  private readonly counters = new Map<string, Counter>();
  /** By `overrideKey`; empty but for an incident, so `reserve` then looks nothing up. */
  private readonly overridden = new Map<string, BudgetOverride>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(ref: CounterRef): Counter {
    let c = this.counters.get(ref.counter);
    if (!c) {
      c = { spent: 0, reserved: 0, expiresAt: ref.expiresAt, since: this.now(), seeded: false, noticed: false };
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
    const counters = refs.map((ref) => this.get(ref));
    const unseeded = counters.flatMap((c, i) => (c.seeded ? [] : [i]));
    const limits = this.overridden.size === 0 ? undefined : this.limitsOf(refs);
    for (let i = 0; i < refs.length; i += 1) {
      const over = limits?.[i];
      const hard = over ? over.hardUsd : (refs[i] as CounterRef).hardUsd;
      const c = counters[i] as Counter;
      if (hard !== undefined && c.spent + c.reserved >= hard) return { ok: false, refused: i, spent: c.spent, reserved: c.reserved, unseeded, ...(over && { hardUsd: over.hardUsd, overrideEndsAt: over.expiresAt }) };
    }
    for (const c of counters) c.reserved += amount;
    const since = counters.map((c) => c.since);
    return limits ? { ok: true, unseeded, since, limits } : { ok: true, unseeded, since };
  }

  /** The unexpired overrides of `refs` by index; undefined when none applies. */
  private limitsOf(refs: readonly CounterRef[]): Array<OverriddenLimits | undefined> | undefined {
    const now = this.now();
    let limits: Array<OverriddenLimits | undefined> | undefined;
    refs.forEach((ref, i) => {
      const o = this.overridden.get(overrideKey(ref.budget, ref.value));
      if (o === undefined) return;
      if (o.expiresAt <= now) this.overridden.delete(overrideKey(ref.budget, ref.value));
      else (limits ??= new Array<OverriddenLimits | undefined>(refs.length))[i] = { hardUsd: o.hardUsd, softUsd: o.softUsd, expiresAt: o.expiresAt };
    });
    return limits;
  }

  async setOverride(override: BudgetOverride): Promise<BudgetOverride | undefined> {
    const key = overrideKey(override.budget, override.value);
    const old = this.active(key);
    this.overridden.set(key, { ...override });
    return old;
  }

  async removeOverride(budget: string, value: string): Promise<BudgetOverride | undefined> {
    const key = overrideKey(budget, value);
    const old = this.active(key);
    this.overridden.delete(key);
    return old;
  }

  async overrides(): Promise<BudgetOverride[]> {
    const now = this.now();
    for (const [k, o] of this.overridden) if (o.expiresAt <= now) this.overridden.delete(k);
    return [...this.overridden.values()].map((o) => ({ ...o }));
  }

  private active(key: string): BudgetOverride | undefined {
    const o = this.overridden.get(key);
    return o !== undefined && o.expiresAt > this.now() ? { ...o } : undefined;
  }

  async release(refs: readonly CounterRef[], reserved: OwnedPart): Promise<void> {
    refs.forEach((ref, i) => {
      const c = this.counters.get(ref.counter);
      if (c && c.since === reserved.since[i]) c.reserved = Math.max(0, c.reserved - reserved.amount);
    });
  }

  async settle(refs: readonly CounterRef[], cost: number, fromReserved: OwnedPart | undefined, bookedAt?: number): Promise<Array<number | undefined>> {
    return refs.map((ref, i) => {
      const c = this.get(ref);
      if (bookedAt === undefined || bookedAt >= c.since) c.spent += cost;
      if (fromReserved && c.since === fromReserved.since[i]) c.reserved = Math.max(0, c.reserved - fromReserved.amount);
      return c.spent;
    });
  }

  async seedStatus(ref: CounterRef): Promise<SeedStatus> {
    const c = this.get(ref);
    return { seeded: c.seeded, since: c.since };
  }

  async seed(ref: CounterRef, spentBefore: number): Promise<void> {
    const c = this.get(ref);
    if (c.seeded) return;
    c.seeded = true;
    c.spent += spentBefore;
  }

  async claimNotice(ref: CounterRef): Promise<boolean> {
    const c = this.get(ref);
    if (c.noticed) return false;
    c.noticed = true;
    return true;
  }

  async spent(refs: readonly CounterRef[]): Promise<Array<number | undefined>> {
    return refs.map((ref) => this.counters.get(ref.counter)?.spent);
  }

  async figures(refs: readonly CounterRef[]): Promise<Array<CounterFigures | undefined>> {
    return refs.map((ref) => this.peek(ref.counter));
  }

  async counterIds(prefix: string, limit: number): Promise<CounterListing> {
    const ids: string[] = [];
    for (const id of this.counters.keys()) {
      if (!id.startsWith(prefix)) continue;
      if (ids.length >= limit) return { ids, complete: false };
      ids.push(id);
    }
    return { ids, complete: true };
  }

  /** A counter's current figures (tests, diagnostics). */
  peek(counter: string): { spent: number; reserved: number } | undefined {
    const c = this.counters.get(counter);
    return c ? { spent: c.spent, reserved: c.reserved } : undefined;
  }

  async close(): Promise<void> {
    this.counters.clear();
    this.overridden.clear();
  }
}
