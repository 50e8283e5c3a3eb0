import { GatewayError } from '../../core/errors.js';
import type { AdmissionControl, AdmissionRequest, AdmissionTicket, AttemptRecord } from '../../core/events.js';
import { HeldWrites } from '../../core/held-writes.js';
import type { Logger } from '../../core/logger.js';
import type { BudgetConfig, BudgetsConfig } from '../config.js';
import { periodEnd, periodStart } from './period.js';
import { formatUsd, reportedUsd } from './usd.js';
import { overrideKey, type BudgetState, type CounterRef, type OverriddenLimits, type ReserveResult } from './state.js';
import type { OwnedPart } from '../../state/owner-lease.js';
import { errorMessage } from '../../core/error-trace.js';

/** One budget counter's spend in the current period, for metrics. */
export interface BudgetSpend {
  budget: string;
  period: BudgetConfig['period'];
  /** `global`, or the matched tags and the `per` value (`team=research, key=k1`). */
  scope: string;
  spentUsd: number | undefined;
  /** The hard limit (an unexpired override's, when one applies); undefined for a budget with a soft limit only. */
  limitUsd: number | undefined;
  /**
   * Requests this process refused on the budget since it started, any counter of it; on one entry per
   * config budget (a virtual key's budget names its key: never a metric label), undefined on the others.
   */
  refusals?: number;
}

/** What a soft-limit notice says; also the webhook's JSON body. */
export interface SoftLimitNotice {
  budget: string;
  period: BudgetConfig['period'];
  scope: string;
  softUsd: number;
  spentUsd: number;
  resetsAt: string;
}

export interface BudgetGuardOptions {
  config: BudgetsConfig;
  state: BudgetState;
  /**
   * Upper bound of a request's cost over its candidate deployments (0 when none is priced), each
   * candidate at `reservedCompletion(request.maxCompletionTokens, its max_output_tokens, defaultCompletion)`.
   */
  estimate: (request: AdmissionRequest, defaultCompletion: number) => number;
  logger: Logger;
  now?: () => number;
  /** Called once per counter and period when a soft limit is crossed (webhooks are sent besides). */
  onSoftLimit?: (notice: SoftLimitNotice) => void;
  /** Sends a webhook; injectable for tests. */
  postWebhook?: (url: string, body: SoftLimitNotice) => Promise<void>;
  /** The ledger's spend of a counter's period before `since`; absent when there is no ledger. */
  loadSpend?: (ref: CounterRef, since: number) => Promise<number>;
  /** Wait before seeding a counter again after the ledger could not be read. */
  seedRetryMs?: number;
  /**
   * A virtual key's own budgets (a map lookup, on the hot path), named `key:<id>:<period>` and counted
   * `per: key`; enforced like the config's limits for requests carrying that key.
   */
  keyBudgets?: (keyId: string) => readonly BudgetConfig[] | undefined;
}

interface Reservation {
  refs: CounterRef[];
  remaining: number;
  /** Each counter's `since` when reserved: only that incarnation of it holds the reservation. */
  since: number[];
  /** The replica's Redis lease it is recorded under (`OwnedPart`). */
  owner: string | undefined;
  /** Overrides' limits by counter, when one applied at admission (`ReserveResult.limits`). */
  limits: Array<OverriddenLimits | undefined> | undefined;
}

/**
 * The completion tokens a request reserves at one deployment: the most its answer there can hold. Its
 * own max_tokens (at most the deployment's `max_output_tokens`, past which the router does not send it
 * there), else the deployment's `max_output_tokens`, else `budgets.default_completion_tokens`, the one
 * case where an answer can be longer than what was reserved.
 */
export function reservedCompletion(asked: number | undefined, deploymentMax: number | undefined, defaultCompletion: number): number {
  if (asked === undefined) return deploymentMax ?? defaultCompletion;
  return deploymentMax === undefined ? asked : Math.min(asked, deploymentMax);
}

/**
 * POSTs a notice to the configured URL only: a redirect is a failure, never followed, since only the
 * config chooses where the gateway sends from inside its network (a 307 would carry the POST, body and
 * all, to whatever address the receiver or anyone answering for its host names).
 */
async function defaultPost(url: string, body: SoftLimitNotice): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'manual', signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  if (res.status >= 300 && res.status < 400) throw new Error(`webhook answered ${res.status} (a redirect, not followed)`);
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

/**
 * Budgets as admission control, reserve-then-settle: a request reserves its worst-case cost on every
 * budget it falls under (`reservedCompletion`), is refused when any hard limit is already reached by
 * spend plus reservations, and its attempts' real costs replace the reservation as they are reported.
 * Concurrent requests can therefore overshoot a hard limit by at most the one reservation that was
 * admitted last, plus what answers cost beyond their reservations: only answers reserved at
 * `default_completion_tokens` (no max_tokens, no `max_output_tokens`), a request's paid attempts
 * besides its answer (billed failures, turned-down answers, shadow copies) and a prompt longer than
 * its estimate can (docs/CONFIG.md, "Budgets"). With a shared state (Redis) that holds
 * across every replica. Each counter is seeded once with the ledger's spend from before it existed.
 * When the state is unreachable, requests are admitted unchecked.
 */
export class BudgetGuard implements AdmissionControl {
  private readonly reservations = new Map<string, Reservation>();
  /** Counters this process knows hold the ledger's earlier spend, with their expiry. */
  private readonly seeded = new Map<string, number>();
  /** Counters whose soft-limit notice this process sent or saw claimed (by the state, maybe by another replica). */
  private readonly notified = new Map<string, number>();
  /** Counters whose first refusal of their period this process logged. */
  private readonly refused = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<void>>();
  /** Every counter this process has used, for `spending()`; entered when first seeded. */
  private readonly known = new Map<string, CounterRef>();
  private readonly seedFailedAt = new Map<string, number>();
  private stateDown = false;
  private readonly now: () => number;
  /** Releases and settlements the state could not take while down, written before the next reservation. */
  private readonly writes: HeldWrites;
  /** Refusals per config budget since this process started (`BudgetSpend.refusals`). */
  private readonly refusals: Map<string, number>;

  constructor(private readonly o: BudgetGuardOptions) {
    this.now = o.now ?? Date.now;
    this.refusals = new Map(o.config.limits.map((b) => [b.name, 0]));
    this.writes = new HeldWrites((err) => o.logger.warn({ err: errorMessage(err) }, 'budget release or settle failed'));
  }

  /** The counters a request with these tags falls under at time `ts`. */
  countersFor(tags: Readonly<Record<string, string>>, ts: number): CounterRef[] {
    const refs: CounterRef[] = [];
    for (const b of this.o.config.limits) addCounter(refs, b, tags, ts);
    const keyId = tags.key;
    const own = keyId === undefined ? undefined : this.o.keyBudgets?.(keyId);
    if (own) for (const b of own) addCounter(refs, b, tags, ts);
    return refs;
  }

  /** The budget a counter belongs to; undefined for a key budget gone since (key revoked or changed). */
  budgetOf(ref: CounterRef): BudgetConfig | undefined {
    return this.o.config.limits.find((b) => b.name === ref.budget) ?? this.o.keyBudgets?.(ref.value)?.find((b) => b.name === ref.budget);
  }

  /** What the budgets route reads (`readout.ts`): the config's budgets, the counters' state and the time; it writes nothing. */
  readable(): { limits: readonly BudgetConfig[]; state: BudgetState; now: number } {
    return { limits: this.o.config.limits, state: this.o.state, now: this.now() };
  }

  /** `global`, or the matched tags and the `per` value (`team=research, key=k1`). */
  scopeOf(ref: CounterRef, b: BudgetConfig): string {
    const parts = Object.entries(b.match).map(([k, v]) => `${k}=${v}`);
    // `match: {team: search}` with `per: team` counts one team: name it once.
    if (b.per !== undefined && b.match[b.per] === undefined) parts.push(`${b.per}=${ref.value}`);
    return parts.length > 0 ? parts.join(', ') : 'global';
  }

  async admit(request: AdmissionRequest): Promise<AdmissionTicket> {
    const now = this.now();
    const refs = this.countersFor(request.tags, now);
    if (refs.length === 0) return { release: () => undefined };
    const amount = this.o.estimate(request, this.o.config.default_completion_tokens);
    await this.seedAll(refs);
    let result: ReserveResult;
    try {
      // What a blip held back first, so this check sees the spend and releases made meanwhile.
      const held = this.writes.replay();
      if (held) await held;
      result = await this.o.state.reserve(refs, amount);
      this.stateUp();
    } catch (err) {
      // Availability over enforcement: an unreachable budget store must not take the gateway down.
      this.stateFailed(err, 'budget state unavailable; admitting requests without budget checks');
      return { release: () => undefined };
    }
    // A shared store that lost counters (restart, eviction) seeds them again, in the background.
    for (const i of result.unseeded) {
      const ref = refs[i] as CounterRef;
      if (this.seeded.delete(ref.counter)) void this.seedOne(ref);
    }
    if (!result.ok) throw this.refusal(refs[result.refused] as CounterRef, result, now);
    const reservation: Reservation = { refs, remaining: amount, since: result.since, owner: result.owner, limits: result.limits };
    this.reservations.set(request.requestId, reservation);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.reservations.delete(request.requestId);
        const { refs: held, remaining, since, owner } = reservation;
        if (remaining > 0) this.writes.write(() => this.o.state.release(held, { amount: remaining, since, owner }));
      },
    };
  }

  /** Books an attempt's cost (USD, undefined when unpriced) against its request's budgets. Unpriced attempts book nothing. */
  settle(attempt: Pick<AttemptRecord, 'requestId' | 'tags' | 'startedAt'>, cost: number | undefined): void {
    if (cost === undefined || cost <= 0) return;
    const reservation = this.reservations.get(attempt.requestId);
    let refs = reservation?.refs ?? this.countersFor(attempt.tags, attempt.startedAt);
    if (refs.length === 0) return;
    let fromReserved: OwnedPart | undefined;
    if (reservation) {
      fromReserved = { amount: Math.min(cost, reservation.remaining), since: reservation.since, owner: reservation.owner };
      reservation.remaining -= fromReserved.amount;
      // An attempt (a retry, a fallback) that started after a period the request was admitted in ended
      // is the next period's spend, as the ledger dates its row and a seed sums it: booked there, and
      // its part of the reservation handed back to the counters that hold it.
      if (refs.some((ref) => attempt.startedAt >= ref.expiresAt)) {
        const held = refs;
        const part = fromReserved;
        this.writes.write(() => this.o.state.release(held, part));
        refs = this.countersFor(attempt.tags, attempt.startedAt);
        fromReserved = undefined;
      }
    }
    // Replayed after an outage, it says when its attempt started: Redis may have lost the counter
    // meanwhile and a replica re-seeded it from the ledger, which holds this cost already if its row's
    // time (the attempt's start, by which a seed sums the rows before the counter's `since`) is earlier.
    const bookedAt = attempt.startedAt;
    const booked = refs;
    // An override's soft limit is known from the admission's reservation on the counters it reserved.
    const limits = fromReserved ? reservation?.limits : undefined;
    this.writes.write(async (replayed) => {
      const spent = await this.o.state.settle(booked, cost, fromReserved, replayed ? bookedAt : undefined);
      booked.forEach((ref, i) => {
        const s = spent[i];
        if (s !== undefined) this.checkSoft(ref, s, limits?.[i]?.softUsd);
      });
    });
  }

  /**
   * Seeds the counters this process has not seen seeded. The first seeding of a counter is awaited,
   * so its first request already sees the ledger's spend; retries after a failure run in the
   * background, so a database outage never holds requests.
   */
  private async seedAll(refs: readonly CounterRef[]): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const ref of refs) {
      if (this.seeded.has(ref.counter)) continue;
      const failedAt = this.seedFailedAt.get(ref.counter);
      if (failedAt === undefined) waits.push(this.seedOne(ref));
      else if (this.now() - failedAt >= (this.o.seedRetryMs ?? 2000)) void this.seedOne(ref);
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  private seedOne(ref: CounterRef): Promise<void> {
    let p = this.seeding.get(ref.counter);
    if (!p) {
      this.known.set(ref.counter, ref);
      p = this.seedNow(ref).finally(() => this.seeding.delete(ref.counter));
      this.seeding.set(ref.counter, p);
    }
    return p;
  }

  private async seedNow(ref: CounterRef): Promise<void> {
    try {
      const status = await this.o.state.seedStatus(ref);
      if (!status.seeded) await this.o.state.seed(ref, this.o.loadSpend ? await this.o.loadSpend(ref, status.since) : 0);
      this.seedFailedAt.delete(ref.counter);
      remember(this.seeded, ref, this.now());
    } catch (err) {
      if (!this.seedFailedAt.has(ref.counter)) this.o.logger.warn({ budget: ref.budget, err: errorMessage(err) }, 'budget counter could not be seeded with the ledger\'s earlier spend; counting from now and retrying');
      this.seedFailedAt.set(ref.counter, this.now());
    }
  }

  private stateUp(): void {
    if (this.stateDown) this.o.logger.info({}, 'budget state is back; budgets enforced again');
    this.stateDown = false;
  }

  private stateFailed(err: unknown, message: string): void {
    if (!this.stateDown) this.o.logger.warn({ err: errorMessage(err) }, message);
    this.stateDown = true;
  }

  /**
   * The 429 for a counter at its hard limit (an override's, when one applied); counted per config
   * budget, and the first refusal of a counter's period is logged. Under an override that ends before
   * the period, `retry-after` is its end, unless the budget's own limit refuses the settled spend too.
   */
  private refusal(ref: CounterRef, result: { spent: number; reserved: number; hardUsd?: number; overrideEndsAt?: number }, now: number): GatewayError {
    const b = this.budgetOf(ref);
    const resetsAt = new Date(ref.expiresAt).toISOString();
    const hardUsd = result.hardUsd ?? ref.hardUsd ?? 0;
    const endsAt = result.overrideEndsAt;
    const ownRefuses = ref.hardUsd !== undefined && result.spent >= ref.hardUsd;
    const until = endsAt !== undefined && endsAt < ref.expiresAt && !ownRefuses ? endsAt : ref.expiresAt;
    const counted = this.refusals.get(ref.budget);
    if (counted !== undefined) this.refusals.set(ref.budget, counted + 1);
    if (!this.refused.has(ref.counter)) {
      remember(this.refused, ref, now);
      const spentUsd = micro(result.spent);
      // Who is refused (tags, never a prompt) and since when: on-call's first question once requests fail.
      const who = b ? { period: b.period, scope: this.scopeOf(ref, b), per: b.per, match: b.match } : {};
      const override = endsAt === undefined ? {} : { overrideEndsAt: new Date(endsAt).toISOString() };
      this.o.logger.warn({ budget: ref.budget, ...who, spentUsd, reservedUsd: micro(result.reserved), hardUsd, resetsAt, ...override }, `budget hard limit reached: spent ${formatUsd(spentUsd)} of ${formatUsd(hardUsd)}; refusing requests until it resets`);
    }
    const scope = b ? ` (${b.period}, ${this.scopeOf(ref, b)})` : '';
    const limit = endsAt === undefined ? `hard limit of ${formatUsd(hardUsd)}` : `temporarily overridden hard limit of ${formatUsd(hardUsd)}, in force until ${new Date(endsAt).toISOString()}`;
    return new GatewayError({
      kind: 'budget_exceeded',
      message: `Budget "${ref.budget}"${scope} has reached its ${limit}; it resets at ${resetsAt}.`,
      retryAfterMs: Math.max(0, until - now),
    });
  }

  private checkSoft(ref: CounterRef, spent: number, overriddenSoft: number | undefined): void {
    const b = this.budgetOf(ref);
    const soft = overriddenSoft ?? b?.soft_usd;
    if (b === undefined || soft === undefined || spent < soft || this.notified.has(ref.counter)) return;
    remember(this.notified, ref, this.now());
    // With a shared state one replica claims the notice, so it goes out once overall.
    this.o.state.claimNotice(ref).then(
      (claimed) => {
        if (claimed) this.notify(ref, b, soft, spent);
      },
      (err: unknown) => {
        this.notified.delete(ref.counter);
        this.o.logger.warn({ err: errorMessage(err) }, 'budget notice claim failed');
      },
    );
  }

  private notify(ref: CounterRef, b: BudgetConfig, softUsd: number, spent: number): void {
    const notice: SoftLimitNotice = { budget: b.name, period: b.period, scope: this.scopeOf(ref, b), softUsd, spentUsd: micro(spent), resetsAt: new Date(ref.expiresAt).toISOString() };
    this.o.logger.warn({ ...notice, per: b.per, match: b.match }, `budget soft limit reached: spent ${formatUsd(notice.spentUsd)} of ${formatUsd(softUsd)}`);
    try {
      this.o.onSoftLimit?.(notice);
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err) }, 'soft-limit callback failed');
    }
    if (b.webhook) {
      (this.o.postWebhook ?? defaultPost)(b.webhook, notice).catch((err: unknown) => this.o.logger.warn({ budget: b.name, err: errorMessage(err) }, 'budget webhook failed'));
    }
  }

  /**
   * The spend of every budget counter of the current period: the config's budgets without `per`
   * (held or not) and the counters this process has used. Read from the state, so with a shared
   * state every replica reports the same figures. Runs at scrape time, never on the request path.
   */
  async spending(): Promise<BudgetSpend[]> {
    await this.writes.replay();
    const now = this.now();
    const refs: CounterRef[] = [];
    for (const b of this.o.config.limits) if (b.per === undefined) addCounter(refs, b, b.match, now);
    const global = new Set(refs.map((r) => r.counter));
    for (const [counter, ref] of this.known) {
      if (ref.expiresAt <= now) this.known.delete(counter);
      else if (!global.has(counter)) refs.push(ref);
    }
    const [spent, overrides] = await Promise.all([this.o.state.spent(refs), this.o.state.overrides()]);
    const hard = new Map(overrides.map((o) => [overrideKey(o.budget, o.value), o.hardUsd]));
    const unreported = new Map(this.refusals);
    const rows = refs.flatMap((ref, i): BudgetSpend[] => {
      const b = this.budgetOf(ref);
      if (!b) return [];
      const s = spent[i];
      const row: BudgetSpend = { budget: b.name, period: b.period, scope: this.scopeOf(ref, b), spentUsd: s === undefined ? undefined : reportedUsd(s), limitUsd: hard.get(overrideKey(ref.budget, ref.value)) ?? b.hard_usd };
      const refusals = unreported.get(b.name);
      if (refusals !== undefined) {
        row.refusals = refusals;
        unreported.delete(b.name);
      }
      return [row];
    });
    // A `per` budget with no counter this period still reports its refusals, on a row with no figures.
    for (const b of this.o.config.limits) {
      const refusals = unreported.get(b.name);
      if (refusals !== undefined) rows.push({ budget: b.name, period: b.period, scope: '', spentUsd: undefined, limitUsd: undefined, refusals });
    }
    return rows;
  }

  /**
   * Reports the counters of this period the state already holds for each `per` budget (at most `limit`
   * in all), as if this process had counted on them: after a restart or a reload the spend gauges are
   * back at once, not only once a request touches each counter (an idle team's near-limit alert would be
   * blind until then). Called once per guard, off the request path.
   */
  async recallCounters(limit = 1_000): Promise<void> {
    const now = this.now();
    let left = limit;
    for (const b of this.o.config.limits) {
      if (b.per === undefined || left <= 0) continue;
      const prefix = counterPrefix(b, now);
      const { ids } = await this.o.state.counterIds(prefix, left);
      left -= ids.length;
      for (const id of ids) {
        const ref = counterRef(b, id.slice(prefix.length), now);
        if (!this.known.has(ref.counter)) this.known.set(ref.counter, ref);
      }
    }
  }

  /** Requests holding a reservation right now. */
  get inFlight(): number {
    return this.reservations.size;
  }
}

/** Adds the counter of budget `b` a request with these tags falls under at `ts`, if any. */
function addCounter(refs: CounterRef[], b: BudgetConfig, tags: Readonly<Record<string, string>>, ts: number): void {
  for (const k in b.match) if (tags[k] !== b.match[k]) return;
  const value = b.per === undefined ? '*' : tags[b.per];
  if (value !== undefined) refs.push(counterRef(b, value, ts));
}

/** The counter of budget `b` for `per` value `value` (`*` without `per`) in the period holding `ts`. */
export function counterRef(b: BudgetConfig, value: string, ts: number): CounterRef {
  const start = periodStart(ts, b.period);
  return { counter: `${counterPrefix(b, ts)}${value}`, budget: b.name, value, hardUsd: b.hard_usd, periodStart: start, expiresAt: periodEnd(ts, b.period) };
}

/** What every counter id of budget `b`'s period holding `ts` starts with: `name|period-start-day|`. */
export function counterPrefix(b: Pick<BudgetConfig, 'name' | 'period'>, ts: number): string {
  return `${b.name}|${new Date(periodStart(ts, b.period)).toISOString().slice(0, 10)}|`;
}

/** Spend as logged and notified: to the micro-dollar, without a sum's float noise. */
const micro = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/** Records a counter in a per-process set; expired entries are dropped as the set grows. */
function remember(set: Map<string, number>, ref: CounterRef, now: number): void {
  set.set(ref.counter, ref.expiresAt);
  if (set.size % 1024 === 0) for (const [k, exp] of set) if (exp < now) set.delete(k);
}
