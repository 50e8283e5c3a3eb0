import { GatewayError } from '../core/errors.js';
import type { AdmissionControl, AdmissionRequest, AdmissionTicket, AttemptObserver, AttemptRecord } from '../core/events.js';
import { HeldWrites } from '../core/held-writes.js';
import type { OwnedPart } from '../state/owner-lease.js';
import type { Logger } from '../core/logger.js';
import type { RateLimitRule } from './config.js';
import { countersFor, type LimitRef } from './counters.js';
import { formatReset, rateLimitHeaders } from './headers.js';
import type { RateLimitState, TakeResult } from './state.js';
import { errorMessage } from '../core/error-trace.js';

export interface RateLimiterOptions {
  rules: readonly RateLimitRule[];
  state: RateLimitState;
  /**
   * The rules of a key that appeared at run time (a virtual key's own `rate_limits`), by key id;
   * called on every request with a `key` tag, so it must be cheap (a map lookup).
   */
  keyRules?: (keyId: string) => readonly RateLimitRule[] | undefined;
  logger: Logger;
  /** Completion tokens reserved for a request that sets no max_tokens. */
  defaultCompletionTokens: number;
  now?: () => number;
}

interface Reservation {
  refs: LimitRef[];
  remaining: number;
  /** Each counter's `since` when reserved: only that incarnation of it holds the reservation. */
  since: number[];
  /** The replica's Redis lease it is recorded under (`OwnedPart`). */
  owner: string | undefined;
}

const NONE: AdmissionTicket = { release: () => undefined };

/**
 * Rate limits as admission control, reserve-then-settle like budgets: a request counts one request
 * and reserves its estimated tokens (prompt plus max_tokens) on every counter it falls under, or is
 * refused with a 429 `rate_limited` naming the rule and when its window resets; its attempts' real
 * usage replaces the reservation as they are reported. The ticket carries OpenAI's
 * `x-ratelimit-*` headers; a refusal carries them too. When the state is unreachable, requests are
 * admitted unchecked.
 */
export class RateLimiter implements AdmissionControl, AttemptObserver {
  private readonly reservations = new Map<string, Reservation>();
  private readonly now: () => number;
  private stateDown = false;
  /** Releases and settlements the state could not take while down, written before the next check. */
  private readonly writes: HeldWrites;

  constructor(private readonly o: RateLimiterOptions) {
    this.now = o.now ?? Date.now;
    this.writes = new HeldWrites((err) => this.warn(err, 'rate-limit release or settle failed'));
  }

  async admit(request: AdmissionRequest): Promise<AdmissionTicket> {
    const now = this.now();
    const refs = this.countersFor(request.tags, request.group, now);
    if (refs.length === 0) return NONE;
    const tokens = request.estimatedPromptTokens + (request.maxCompletionTokens ?? this.o.defaultCompletionTokens);
    let result: TakeResult;
    try {
      // What a blip held back first, so this check sees the use and releases made meanwhile.
      const held = this.writes.replay();
      if (held) await held;
      // A resumed stream's continuation reserves its tokens but is the same request, not another one.
      result = await this.o.state.take(refs, tokens, request.continuation === true ? 0 : 1);
      if (this.stateDown) this.o.logger.info({}, 'rate-limit state is back; limits enforced again');
      this.stateDown = false;
    } catch (err) {
      // Availability over enforcement: an unreachable limit store must not take the gateway down.
      if (!this.stateDown) this.o.logger.warn({ err: errorMessage(err) }, 'rate-limit state unavailable; admitting requests without rate limits');
      this.stateDown = true;
      return NONE;
    }
    const headers = rateLimitHeaders(refs, result.figures, now);
    if (!result.ok) throw refusal(refs[result.refused] as LimitRef, result.by, request.tags, headers, now);
    const reservation: Reservation = { refs, remaining: tokens, since: result.since, owner: result.owner };
    this.reservations.set(request.requestId, reservation);
    let released = false;
    return {
      headers,
      release: () => {
        if (released) return;
        released = true;
        if (this.reservations.get(request.requestId) === reservation) this.reservations.delete(request.requestId);
        const { remaining, since, owner } = reservation;
        if (remaining > 0) this.writes.write(() => this.o.state.release(refs, { amount: remaining, since, owner }));
      },
    };
  }

  /** Books an attempt's real tokens against its request's counters (shadow copies and cache hits used none of the caller's). */
  onAttempt(record: AttemptRecord): void {
    if (record.role === 'shadow' || record.cacheHit === true || record.usage === undefined) return;
    const used = record.usage.prompt + record.usage.completion;
    if (used <= 0) return;
    const reservation = this.reservations.get(record.requestId);
    const refs = reservation?.refs ?? this.countersFor(record.tags, record.group, record.startedAt);
    if (refs.length === 0) return;
    let fromReserved: OwnedPart | undefined;
    if (reservation) {
      fromReserved = { amount: Math.min(used, reservation.remaining), since: reservation.since, owner: reservation.owner };
      reservation.remaining -= fromReserved.amount;
    }
    this.writes.write(() => this.o.state.settle(refs, used, fromReserved));
  }

  /** The counters of the config's rules, then of the caller's own key rules. */
  private countersFor(tags: Readonly<Record<string, string>>, group: string | undefined, now: number): LimitRef[] {
    const refs = countersFor(this.o.rules, tags, group, now);
    const own = tags.key !== undefined ? this.o.keyRules?.(tags.key) : undefined;
    return own ? countersFor(own, tags, group, now, refs) : refs;
  }

  private warn(err: unknown, message: string): void {
    this.o.logger.warn({ err: errorMessage(err) }, message);
  }

  /** Requests holding a reservation right now. */
  get inFlight(): number {
    return this.reservations.size;
  }
}

function refusal(ref: LimitRef, by: 'requests' | 'tokens', tags: Readonly<Record<string, string>>, headers: Record<string, string>, now: number): GatewayError {
  const limit = by === 'requests' ? ref.requestLimit : ref.tokenLimit;
  const wait = ref.resetAt - now;
  const who = tags.key !== undefined ? ` for key ${tags.key}` : '';
  return new GatewayError({
    kind: 'rate_limited',
    code: 'rate_limit_exceeded',
    message: `Rate limit "${ref.rule}" reached${who}: ${limit} ${by} per ${ref.window}. Try again in ${formatReset(wait)}.`,
    retryAfterMs: Math.max(0, wait),
    // The caller's own limit: no other deployment or retry inside the gateway can help.
    retryable: false,
    fallbackable: false,
    headers,
  });
}
