import type { BudgetConfig } from '../config.js';
import { DOORS } from './config-warnings.js';
import { BudgetGuard, counterPrefix, counterRef } from './guard.js';
import { reportedUsd } from './usd.js';
import { overrideKey, type BudgetOverride, type CounterRef } from './state.js';

/** The most counters one answer lists of `per` budgets' counters; past it the answer says `truncated`. */
export const MAX_LISTED_COUNTERS = 1000;

/** The tags that name who a request is: a budget bound to one of them is its caller's own. */
const IDENTITY_TAGS = new Set(['key', 'team', 'user']);

/** One budget counter as the state holds it now. Amounts in USD, exact (`reportedUsd`: float residue under a nano-dollar reads 0), never rounded to cents. */
export interface CounterReadout {
  /** `global`, or the matched tags and the `per` value (`team=research`). */
  scope: string;
  /** The `per` tag's value; null for a budget without `per`. */
  value: string | null;
  spentUsd: number;
  /** Held by requests in flight: their worst-case cost, until their answers settle it. */
  reservedUsd: number;
  /** What the hard limit in force (the override's, when one is) leaves after spend and reservations (0 at or past it); null without a hard limit. */
  remainingUsd: number | null;
  periodStart: string;
  resetsAt: string;
  /** Requests counted on it are refused now: spend plus reservations reached the hard limit in force. */
  refusing: boolean;
  /** On-call's temporary limits in force on this counter instead of the budget's, until `expiresAt`; null for none. */
  override: { hardUsd: number; softUsd: number | null; expiresAt: string } | null;
}

/** One budget (the config's or a virtual key's) with the counters of its current period. */
export interface BudgetReadout {
  name: string;
  period: BudgetConfig['period'];
  per: string | null;
  match: Record<string, string>;
  hardUsd: number | null;
  softUsd: number | null;
  counters: CounterReadout[];
}

export interface BudgetsReadout {
  budgets: BudgetReadout[];
  /** Some `per` budget held more counters than an answer lists (`MAX_LISTED_COUNTERS`). */
  truncated: boolean;
}

/** What a caller asks to read. */
export interface BudgetReadRequest {
  /**
   * A caller who sees only its own counters: the ones its requests count on (its key, team and user
   * tags) of budgets bound to one of those tags. Undefined: every counter (an admin).
   */
  ownTags?: Readonly<Record<string, string>>;
  /** Only this budget. */
  budget?: string;
  /** Only counters of this `per` value. */
  value?: string;
}

/** Reads the budgets' counters from the state the guard enforces them on; writes nothing. */
export async function readBudgets(guard: BudgetGuard, ask: BudgetReadRequest): Promise<BudgetsReadout> {
  const { limits, state, now } = guard.readable();
  const { refs, truncated } = ask.ownTags ? { refs: ownCounters(guard, ask.ownTags, now), truncated: false } : await everyCounter(guard, limits, ask, now);
  const overrides = new Map((await state.overrides()).map((o) => [overrideKey(o.budget, o.value), o]));
  // An override on a `per` value with no counter yet this period is in force all the same: an admin sees it.
  if (!ask.ownTags) for (const o of overrides.values()) addOverridden(guard, refs, o, now);
  const wanted = refs.filter((ref) => (ask.budget === undefined || ref.budget === ask.budget) && (ask.value === undefined || ref.value === ask.value));
  const figures = await state.figures(wanted);
  const byBudget = new Map<string, BudgetReadout>();
  wanted.forEach((ref, i) => {
    const b = guard.budgetOf(ref);
    if (!b) return;
    let readout = byBudget.get(b.name);
    if (!readout) {
      readout = { name: b.name, period: b.period, per: b.per ?? null, match: { ...b.match }, hardUsd: b.hard_usd ?? null, softUsd: b.soft_usd ?? null, counters: [] };
      byBudget.set(b.name, readout);
    }
    // A counter the state does not hold has had nothing reserved or spent this period (or the shared store lost it).
    const f = figures[i] ?? { spent: 0, reserved: 0 };
    readout.counters.push(counterReadout(guard.scopeOf(ref, b), ref, f.spent, f.reserved, overrides.get(overrideKey(ref.budget, ref.value))));
  });
  return { budgets: [...byBudget.values()], truncated };
}

/**
 * The counter `o` overrides, unless the listing holds it already. An override a reload left behind (its
 * budget gone from the config, or `per` added or removed since) overrides no counter: none is made up
 * for it (GET /v1/switchyard/budgets/overrides still lists it, to be removed).
 */
function addOverridden(guard: BudgetGuard, refs: CounterRef[], o: BudgetOverride, now: number): void {
  const b = guard.readable().limits.find((x) => x.name === o.budget);
  if (!b || (b.per === undefined) !== (o.value === '*') || refs.some((r) => r.budget === o.budget && r.value === o.value)) return;
  refs.push(counterRef(b, o.value, now));
}

function counterReadout(scope: string, ref: CounterRef, spent: number, reserved: number, o: BudgetOverride | undefined): CounterReadout {
  const hard = o ? o.hardUsd : ref.hardUsd;
  return {
    scope,
    value: ref.value === '*' ? null : ref.value,
    spentUsd: reportedUsd(spent),
    reservedUsd: reportedUsd(reserved),
    remainingUsd: hard === undefined ? null : reportedUsd(Math.max(0, hard - spent - reserved)),
    periodStart: new Date(ref.periodStart).toISOString(),
    resetsAt: new Date(ref.expiresAt).toISOString(),
    // The state's own test (`BudgetState.reserve`): refused once spend plus reservations reach the limit.
    refusing: hard !== undefined && spent + reserved >= hard,
    override: o ? { hardUsd: o.hardUsd, softUsd: o.softUsd ?? null, expiresAt: new Date(o.expiresAt).toISOString() } : null,
  };
}

/**
 * The counters a caller's own requests count on, of budgets bound to its key, team or user: through
 * each front door, since a request carries its door as the `ingress` tag (a budget matching or `per`
 * on it counts the caller's requests through that door). A budget bound to no identity tag counts
 * everyone's requests, and stays an admin's to read.
 */
function ownCounters(guard: BudgetGuard, tags: Readonly<Record<string, string>>, now: number): CounterRef[] {
  const own = new Map<string, CounterRef>();
  for (const ingress of DOORS) {
    for (const ref of guard.countersFor({ ...tags, ingress }, now)) {
      if (own.has(ref.counter)) continue;
      const b = guard.budgetOf(ref);
      if (b !== undefined && ((b.per !== undefined && IDENTITY_TAGS.has(b.per)) || Object.keys(b.match).some((k) => IDENTITY_TAGS.has(k)))) own.set(ref.counter, ref);
    }
  }
  return [...own.values()];
}

/** Every counter of the current periods: each config budget's, and those of virtual keys' budgets the state holds. */
async function everyCounter(guard: BudgetGuard, limits: readonly BudgetConfig[], ask: BudgetReadRequest, now: number): Promise<{ refs: CounterRef[]; truncated: boolean }> {
  const refs: CounterRef[] = [];
  let listed = 0;
  let truncated = false;
  const { state } = guard.readable();
  for (const b of limits) {
    if (ask.budget !== undefined && b.name !== ask.budget) continue;
    if (b.per === undefined || ask.value !== undefined) {
      refs.push(counterRef(b, b.per === undefined ? '*' : (ask.value as string), now));
      continue;
    }
    const { ids, complete } = await state.counterIds(counterPrefix(b, now), MAX_LISTED_COUNTERS - listed);
    truncated ||= !complete;
    for (const id of ids) refs.push(counterRef(b, id.slice(counterPrefix(b, now).length), now));
    listed += ids.length;
  }
  if (ask.budget === undefined || ask.budget.startsWith('key:')) {
    const { ids, complete } = await state.counterIds('key:', MAX_LISTED_COUNTERS - listed);
    truncated ||= !complete;
    for (const id of ids) {
      const ref = keyBudgetCounter(guard, id, now);
      if (ref) refs.push(ref);
    }
  }
  return { refs, truncated };
}

/** A virtual key's budget counter of the current period from its id (`key:<id>:<period>|<day>|<id>`); undefined for another period's or a gone key's. */
function keyBudgetCounter(guard: BudgetGuard, id: string, now: number): CounterRef | undefined {
  const bar = id.indexOf('|');
  if (bar < 0) return undefined;
  const value = id.slice(bar + 12);
  const b = guard.budgetOf({ counter: id, budget: id.slice(0, bar), value, hardUsd: undefined, periodStart: 0, expiresAt: 0 });
  return b && id === `${counterPrefix(b, now)}${value}` ? counterRef(b, value, now) : undefined;
}
