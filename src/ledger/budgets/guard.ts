import { GatewayError } from '../../core/errors.js';
import type { AdmissionControl, AdmissionRequest, AdmissionTicket } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { BudgetConfig, BudgetsConfig } from '../config.js';
import type { UsageEvent } from '../event.js';
import { periodEnd, periodStart } from './period.js';
import type { BudgetState, CounterRef } from './state.js';

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
  /** Upper bound of a request's cost over its candidate deployments (0 when none is priced). */
  estimate: (request: AdmissionRequest, completionTokens: number) => number;
  logger: Logger;
  now?: () => number;
  /** Called once per counter and period when a soft limit is crossed (webhooks are sent besides). */
  onSoftLimit?: (notice: SoftLimitNotice) => void;
  /** Sends a webhook; injectable for tests. */
  postWebhook?: (url: string, body: SoftLimitNotice) => Promise<void>;
}

interface Reservation {
  refs: CounterRef[];
  remaining: number;
}

const usd = (n: number): string => `$${n >= 0.01 ? n.toFixed(2) : String(Number(n.toPrecision(3)))}`;

async function defaultPost(url: string, body: SoftLimitNotice): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

/**
 * Budgets as admission control, reserve-then-settle: a request reserves its worst-case cost on every
 * budget it falls under, is refused when any hard limit is already reached by spend plus reservations,
 * and its attempts' real costs replace the reservation as they are reported. Concurrent requests can
 * therefore overshoot a hard limit by at most the one reservation that was admitted last.
 */
export class BudgetGuard implements AdmissionControl {
  private readonly reservations = new Map<string, Reservation>();
  private readonly notified = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly o: BudgetGuardOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The counters a request with these tags falls under at time `ts`. */
  countersFor(tags: Readonly<Record<string, string>>, ts: number): CounterRef[] {
    const refs: CounterRef[] = [];
    for (const b of this.o.config.limits) {
      if (!Object.entries(b.match).every(([k, v]) => tags[k] === v)) continue;
      const value = b.per === undefined ? '*' : tags[b.per];
      if (value === undefined) continue;
      refs.push({ counter: `${b.name}|${new Date(periodStart(ts, b.period)).toISOString().slice(0, 10)}|${value}`, hardUsd: b.hard_usd, expiresAt: periodEnd(ts, b.period) });
    }
    return refs;
  }

  private budgetOf(ref: CounterRef): BudgetConfig {
    const name = ref.counter.slice(0, ref.counter.indexOf('|'));
    return this.o.config.limits.find((b) => b.name === name) as BudgetConfig;
  }

  private scopeOf(ref: CounterRef): string {
    const b = this.budgetOf(ref);
    const value = ref.counter.slice(ref.counter.lastIndexOf('|') + 1);
    const parts = Object.entries(b.match).map(([k, v]) => `${k}=${v}`);
    if (b.per !== undefined) parts.push(`${b.per}=${value}`);
    return parts.length > 0 ? parts.join(', ') : 'global';
  }

  async admit(request: AdmissionRequest): Promise<AdmissionTicket> {
    const now = this.now();
    const refs = this.countersFor(request.tags, now);
    if (refs.length === 0) return { release: () => undefined };
    const completion = request.maxCompletionTokens ?? this.o.config.default_completion_tokens;
    const amount = this.o.estimate(request, completion);
    const result = await this.o.state.reserve(refs, amount);
    if (!result.ok) {
      const ref = refs[result.refused] as CounterRef;
      const b = this.budgetOf(ref);
      const resets = new Date(ref.expiresAt).toISOString();
      throw new GatewayError({
        kind: 'budget_exceeded',
        message: `Budget "${b.name}" (${b.period}, ${this.scopeOf(ref)}) has reached its hard limit of ${usd(ref.hardUsd ?? 0)}; it resets at ${resets}.`,
        retryAfterMs: Math.max(0, ref.expiresAt - now),
      });
    }
    const reservation: Reservation = { refs, remaining: amount };
    this.reservations.set(request.requestId, reservation);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.reservations.delete(request.requestId);
        if (reservation.remaining > 0) {
          this.o.state.release(reservation.refs.map((r) => r.counter), reservation.remaining).catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'budget release failed'));
        }
      },
    };
  }

  /** Books an attempt's cost against its request's budgets. Unpriced attempts book nothing. */
  settle(event: UsageEvent): void {
    const cost = event.costUsd;
    if (cost === undefined || cost <= 0) return;
    const reservation = this.reservations.get(event.requestId);
    const refs = reservation?.refs ?? this.countersFor(event.tags, event.ts);
    if (refs.length === 0) return;
    const fromReserved = reservation ? Math.min(cost, reservation.remaining) : 0;
    if (reservation) reservation.remaining -= fromReserved;
    this.o.state.settle(refs, cost, fromReserved).then(
      (spent) => refs.forEach((ref, i) => this.checkSoft(ref, spent[i] ?? 0)),
      (err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'budget settle failed'),
    );
  }

  private checkSoft(ref: CounterRef, spent: number): void {
    const b = this.budgetOf(ref);
    if (b.soft_usd === undefined || spent < b.soft_usd || this.notified.has(ref.counter)) return;
    this.notified.add(ref.counter);
    const notice: SoftLimitNotice = { budget: b.name, period: b.period, scope: this.scopeOf(ref), softUsd: b.soft_usd, spentUsd: Math.round(spent * 1e6) / 1e6, resetsAt: new Date(ref.expiresAt).toISOString() };
    this.o.logger.warn({ ...notice }, 'budget soft limit reached');
    try {
      this.o.onSoftLimit?.(notice);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'soft-limit callback failed');
    }
    if (b.webhook) {
      (this.o.postWebhook ?? defaultPost)(b.webhook, notice).catch((err: unknown) => this.o.logger.warn({ budget: b.name, err: (err as Error).message }, 'budget webhook failed'));
    }
  }

  /** Requests holding a reservation right now. */
  get inFlight(): number {
    return this.reservations.size;
  }
}
