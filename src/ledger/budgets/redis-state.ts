import { OwnerLease, type LeaseOptions, type OwnedPart } from '../../state/owner-lease.js';
import { RedisCounters, type RedisCountersOptions } from '../../state/redis-client.js';
import { FIGURES, RELEASE, RESERVE, SCAN_COUNTERS, SEED, SEED_STATUS, SET_OVERRIDE, SETTLE, SPENT } from './redis-scripts.js';
import { overrideKey, type BudgetOverride, type BudgetState, type CounterFigures, type CounterListing, type CounterRef, type OverriddenLimits, type ReserveResult, type SeedStatus } from './state.js';

/** How many keys one SCAN step of `counterIds` looks at. */
const SCAN_COUNT = '1000';
/**
 * The most SCAN steps one `counterIds` takes (20,000 keys looked at): the store may be shared with the
 * response cache's millions of keys, and a read must not hold the connection budget checks use.
 */
const MAX_SCAN_STEPS = 20;

/** A Redis glob matching `text` literally. */
const globLiteral = (text: string): string => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** Counters outlive their period by this much, so answers that finish just after a reset still settle. */
const GRACE_MS = 3_600_000;

export interface RedisBudgetStateOptions extends RedisCountersOptions {
  /** Key namespace, e.g. `switchyard:`. */
  prefix?: string;
  now?: () => number;
  /** This replica's lease on its reservations (`state/owner-lease.ts`); defaults for production. */
  lease?: LeaseOptions;
}

/**
 * Budget counters shared by every replica through Redis. Each operation is one Lua script, atomic
 * over all the counters of a request, so concurrent reservations from several gateways cannot
 * overshoot a hard limit by more than one request's estimate. Keys carry the `{budget}` hash tag so
 * multi-counter scripts also run on Redis Cluster, and expire an hour after their period ends. Each
 * reservation is recorded under this replica's lease (`OwnerLease`), so a replica that dies gives back
 * what it held once the lease expires, not when the period ends.
 */
export class RedisBudgetState implements BudgetState {
  private readonly counters: RedisCounters;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly lease: OwnerLease;
  private readonly overridesKey: string;

  constructor(o: RedisBudgetStateOptions) {
    // Budgets fail open quickly rather than hold requests during an outage.
    this.counters = new RedisCounters(o, 'budget state');
    this.prefix = o.prefix ?? '';
    this.now = o.now ?? Date.now;
    this.lease = new OwnerLease(this.counters, `${this.prefix}{budget}:leases`, o.logger, 'budget state', o.lease);
    this.overridesKey = `${this.prefix}{budget}:overrides`;
  }

  private key(ref: CounterRef): string {
    return `${this.prefix}{budget}:${ref.counter}`;
  }

  private ttl(ref: CounterRef): string {
    return String(Math.max(1, ref.expiresAt + GRACE_MS - this.now()));
  }

  async reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult> {
    const now = String(this.now());
    const perRef = refs.flatMap((r) => [r.hardUsd === undefined ? '' : String(r.hardUsd), this.ttl(r)]);
    const keys = refs.map((r) => this.key(r));
    keys.push(this.overridesKey);
    const { reply, owner } = await this.lease.reserve(RESERVE, keys, (lease) => [String(amount), now, ...lease, ...perRef], amount);
    const n = refs.length;
    if (reply[0] === '1') {
      const since = reply.slice(1, 1 + n).map(Number);
      const unseeded = reply.slice(2 + n).map(Number);
      const over = reply[1 + n];
      return over ? { ok: true, since, unseeded, owner, limits: overriddenLimits(over, n) } : { ok: true, since, unseeded, owner };
    }
    const refused = { ok: false as const, refused: Number(reply[1]), spent: Number(reply[2]), reserved: Number(reply[3]), unseeded: reply.slice(6).map(Number) };
    return reply[4] ? { ...refused, hardUsd: Number(reply[4]), overrideEndsAt: Number(reply[5]) } : refused;
  }

  async setOverride(override: BudgetOverride): Promise<BudgetOverride | undefined> {
    const value = `${override.hardUsd}|${override.softUsd ?? ''}|${override.expiresAt}|${JSON.stringify(override)}`;
    return this.writeOverride(overrideKey(override.budget, override.value), value, override.expiresAt);
  }

  async removeOverride(budget: string, value: string): Promise<BudgetOverride | undefined> {
    return this.writeOverride(overrideKey(budget, value), '', 0);
  }

  private async writeOverride(field: string, value: string, expiresAt: number): Promise<BudgetOverride | undefined> {
    const old = (await this.counters.run(SET_OVERRIDE, [this.overridesKey], [field, value, String(this.now()), String(expiresAt)])) as string;
    return old === '' ? undefined : storedOverride(old);
  }

  async overrides(): Promise<BudgetOverride[]> {
    const all = await this.counters.call((redis) => redis.hgetall(this.overridesKey));
    const now = this.now();
    return Object.values(all).flatMap((v) => {
      const o = storedOverride(v);
      return o && o.expiresAt > now ? [o] : [];
    });
  }

  async release(refs: readonly CounterRef[], reserved: OwnedPart): Promise<void> {
    try {
      await this.counters.run(RELEASE, refs.map((r) => this.key(r)), [String(reserved.amount), reserved.owner ?? '', ...reserved.since.map(String)]);
    } catch (err) {
      this.lease.gaveBack(reserved, err);
      throw err;
    }
    this.lease.gaveBack(reserved);
  }

  async settle(refs: readonly CounterRef[], cost: number, fromReserved: OwnedPart | undefined, bookedAt?: number): Promise<Array<number | undefined>> {
    const args = [String(cost), String(fromReserved?.amount ?? 0), bookedAt === undefined ? '' : String(bookedAt), fromReserved?.owner ?? ''];
    for (let i = 0; i < refs.length; i += 1) args.push(fromReserved ? String(fromReserved.since[i]) : '');
    let reply: string[];
    try {
      reply = (await this.counters.run(SETTLE, refs.map((r) => this.key(r)), args)) as string[];
    } catch (err) {
      this.lease.gaveBack(fromReserved, err);
      throw err;
    }
    this.lease.gaveBack(fromReserved);
    return reply.map((v) => (v === '' ? undefined : Number(v)));
  }

  async seedStatus(ref: CounterRef): Promise<SeedStatus> {
    const [seeded, since] = (await this.counters.run(SEED_STATUS, [this.key(ref)], [String(this.now()), this.ttl(ref)])) as [string, string];
    return { seeded: seeded === '1', since: Number(since) };
  }

  async seed(ref: CounterRef, spentBefore: number): Promise<void> {
    await this.counters.run(SEED, [this.key(ref)], [String(spentBefore), String(this.now()), this.ttl(ref)]);
  }

  async claimNotice(ref: CounterRef): Promise<boolean> {
    const ok = await this.counters.call((redis) => redis.set(`${this.prefix}{budget}:notice:${ref.counter}`, '1', 'PX', Number(this.ttl(ref)), 'NX'));
    return ok === 'OK';
  }

  async spent(refs: readonly CounterRef[]): Promise<Array<number | undefined>> {
    if (refs.length === 0) return [];
    const reply = (await this.counters.run(SPENT, refs.map((r) => this.key(r)), [])) as string[];
    return reply.map((v) => (v === '' ? undefined : Number(v)));
  }

  async figures(refs: readonly CounterRef[]): Promise<Array<CounterFigures | undefined>> {
    if (refs.length === 0) return [];
    const reply = (await this.counters.run(FIGURES, refs.map((r) => this.key(r)), [])) as string[];
    return refs.map((_, i) => {
      const spent = reply[2 * i];
      return spent === undefined || spent === '' ? undefined : { spent: Number(spent), reserved: Number(reply[2 * i + 1]) };
    });
  }

  async counterIds(prefix: string, limit: number, maxSteps = MAX_SCAN_STEPS): Promise<CounterListing> {
    const keyPrefix = `${this.prefix}{budget}:`;
    const pattern = `${globLiteral(keyPrefix + prefix)}*`;
    const ids = new Set<string>();
    let cursor = '0';
    let complete = true;
    for (let step = 0; ; step++) {
      if (step === maxSteps) {
        complete = false;
        break;
      }
      const [next, keys] = (await this.counters.run(SCAN_COUNTERS, [`${keyPrefix}leases`], [cursor, pattern, SCAN_COUNT])) as [string, string[]];
      for (const key of keys) {
        if (ids.size < limit) ids.add(key.slice(keyPrefix.length));
        else complete = false;
      }
      cursor = next;
      if (cursor === '0' || !complete) break;
    }
    return { ids: [...ids], complete };
  }

  /** A counter's raw fields (tests, diagnostics). */
  async peek(ref: CounterRef): Promise<Record<string, string>> {
    return this.counters.redis.hgetall(this.key(ref));
  }

  /** Gives back what this replica still holds (its leases dropped), then closes the connection. */
  async close(): Promise<void> {
    await this.lease.close();
    await this.counters.close();
  }
}

/** The `overrides` entry of a RESERVE reply (`<index>|<hard>|<soft>|<expires at>;...`) as limits by counter index. */
function overriddenLimits(entries: string, n: number): Array<OverriddenLimits | undefined> {
  const limits = new Array<OverriddenLimits | undefined>(n);
  for (const entry of entries.split(';')) {
    const [i, hard, soft, expires] = entry.split('|');
    limits[Number(i)] = { hardUsd: Number(hard), softUsd: soft ? Number(soft) : undefined, expiresAt: Number(expires) };
  }
  return limits;
}

/** An override as the hash stores it: its JSON follows the three fields the scripts read; undefined when unreadable. */
function storedOverride(value: string): BudgetOverride | undefined {
  const json = value.split('|', 3).join('|').length + 1;
  try {
    return JSON.parse(value.slice(json)) as BudgetOverride;
  } catch {
    return undefined;
  }
}
