import type { ErrorKind } from '../core/errors.js';
import type { BreakerConfig } from './config.js';
import { SlidingWindow } from './window.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The serialisable part of a breaker (shared through the state store, restored by serverless). */
export type BreakerSnapshot = {
  state: BreakerState;
  openedAt: number;
  coolOffMs: number;
  trips: number;
  /** When the breaker last closed after being open (the failback ramp starts here). */
  recoveredAt: number | null;
  /** Held open by active health checks until they see the deployment up again. */
  held: boolean;
  reason: string | null;
  /**
   * Logical time of the last transition: wall time, but always past the transition it followed, so a
   * replica can tell a newer snapshot from its own and causally later states win even within one ms.
   */
  changedAt: number;
};

/**
 * Errors that say something about the deployment's health. A client's bad request does not, and
 * neither does a 429: the deployment works, it only asks for less, and its own cool-down handles that.
 */
const HEALTH_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'overloaded',
  'unavailable',
  'upstream_error',
  'timeout',
  'network',
  'bad_upstream_response',
  'authentication',
  'permission',
]);

export function countsAgainstHealth(kind: ErrorKind): boolean {
  return HEALTH_KINDS.has(kind);
}

const TOTAL = 0;
const FAILED = 1;

/**
 * Circuit breaker of one deployment. Opens on `consecutive_failures` in a row or on an error rate over
 * a sliding window with a minimum volume; stays open for a cool-off that grows with each trip in a
 * row; then lets `half_open_probes` trial requests through, closing after `half_open_successes`.
 * Transitions happen lazily when the breaker is asked, so it needs no timers.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private coolOffMs: number;
  private trips = 0;
  private consecutive = 0;
  private probes = 0;
  private probeSuccesses = 0;
  private recoveredAt: number | undefined;
  private held = false;
  private reason: string | undefined;
  private changedAt = 0;
  private readonly window: SlidingWindow;
  /** Transitions this process made, by the state entered (adopted snapshots do not count). */
  private readonly entered: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };

  constructor(
    private readonly config: BreakerConfig,
    /** Consecutive failures that re-open a breaker while its traffic ramps back (hysteresis). */
    private readonly probation: { failures: number; rampMs: number },
    private readonly onChange: (snapshot: BreakerSnapshot) => void = () => undefined,
  ) {
    this.coolOffMs = config.cool_off_ms;
    this.window = new SlidingWindow(config.window_ms, 2);
  }

  /** The state now, moving open to half-open once the cool-off has passed. */
  current(now: number): BreakerState {
    if (this.state === 'open' && !this.held && now >= this.openedAt + this.coolOffMs) {
      this.state = 'half-open';
      this.probes = 0;
      this.probeSuccesses = 0;
      // Stamped by the cool-off, not by whoever asked first: every replica computes the same stamp.
      this.stamp(this.openedAt + this.coolOffMs);
      this.changed();
    }
    return this.state;
  }

  /** True when a request may be sent now (closed, or half-open with a trial slot free). */
  allows(now: number): boolean {
    const s = this.current(now);
    return s === 'closed' || (s === 'half-open' && this.probes < this.config.half_open_probes);
  }

  /** When the next trial will be allowed (for retry-after), or undefined when requests pass now. */
  retryAt(now: number): number | undefined {
    if (this.allows(now)) return undefined;
    return this.state === 'open' && !this.held ? this.openedAt + this.coolOffMs : undefined;
  }

  /** Claims the right to send one request; returns whether it is a half-open trial, or undefined when refused. */
  acquire(now: number): 'normal' | 'probe' | undefined {
    const s = this.current(now);
    if (s === 'closed') return 'normal';
    if (s === 'half-open' && this.probes < this.config.half_open_probes) {
      this.probes += 1;
      return 'probe';
    }
    return undefined;
  }

  /** Gives back a trial slot whose request ended without a verdict (cancelled by the client). */
  releaseProbe(): void {
    if (this.probes > 0) this.probes -= 1;
  }

  onSuccess(now: number, probe: boolean): void {
    this.window.add(now, TOTAL);
    this.consecutive = 0;
    if (this.state === 'half-open' && probe) {
      // A snapshot adopted while this trial ran reset the slots: never below none taken.
      if (this.probes > 0) this.probes -= 1;
      this.probeSuccesses += 1;
      if (this.probeSuccesses >= this.config.half_open_successes) this.close(now);
    }
  }

  onFailure(now: number, probe: boolean, kind: ErrorKind): void {
    this.window.add(now, TOTAL);
    this.window.add(now, FAILED);
    this.consecutive += 1;
    const s = this.current(now);
    if (s === 'half-open') {
      if (probe) this.open(now, `half-open trial failed (${kind})`);
      return;
    }
    if (s !== 'closed') return;
    const ramping = this.recoveredAt !== undefined && now - this.recoveredAt < this.probation.rampMs;
    const threshold = ramping ? Math.min(this.probation.failures, this.config.consecutive_failures) : this.config.consecutive_failures;
    if (this.consecutive >= threshold) return this.open(now, `${this.consecutive} consecutive failures (${kind})`);
    const total = this.window.sum(now, TOTAL);
    if (total >= this.config.min_requests && this.window.sum(now, FAILED) / total >= this.config.error_rate) {
      this.open(now, `error rate ${Math.round((this.window.sum(now, FAILED) / total) * 100)}% over ${total} requests (${kind})`);
    }
  }

  /** Opens the breaker; `hold` keeps it open until `release` (active health checks). */
  trip(now: number, reason: string, hold = false): void {
    // Set first so the published snapshot says it is held.
    this.held = hold;
    this.open(now, reason);
  }

  /**
   * An operator's reset (the admin API): closed at once with a clean history, no failback ramp and no
   * grown cool-off. Call it through `DeploymentState.resetBreaker`, which also marks the deployment up
   * for its health checks so that one that still sees it down trips it again.
   */
  reset(now: number): void {
    this.held = false;
    this.state = 'closed';
    this.trips = 0;
    this.coolOffMs = this.config.cool_off_ms;
    this.consecutive = 0;
    this.recoveredAt = undefined;
    this.reason = undefined;
    this.window.reset();
    this.stamp(now);
    this.changed();
  }

  /** Health checks see the deployment up again: close and start the failback ramp. */
  release(now: number): void {
    this.held = false;
    if (this.state !== 'closed') this.close(now);
  }

  /**
   * An active health probe that started at `probeStartedAt` succeeded: a breaker opened by live traffic
   * before that probe closes (the failback ramp starts), so recovery is noticed within one health
   * interval rather than after a grown cool-off. Returns whether it closed.
   */
  recoveredByProbe(now: number, probeStartedAt: number): boolean {
    if (this.held || this.current(now) === 'closed' || probeStartedAt < this.openedAt) return false;
    this.close(now);
    return true;
  }

  private open(now: number, reason: string): void {
    // A trip soon after the last recovery counts as a repeat: the cool-off grows.
    const repeat = this.state !== 'closed' || (this.trips > 0 && this.recoveredAt !== undefined && now - this.recoveredAt < this.config.max_cool_off_ms);
    this.trips = repeat ? this.trips + 1 : 1;
    this.coolOffMs = Math.min(this.config.max_cool_off_ms, this.config.cool_off_ms * this.config.cool_off_multiplier ** (this.trips - 1));
    this.state = 'open';
    this.openedAt = now;
    this.reason = reason;
    this.probes = 0;
    this.stamp(now);
    this.changed();
  }

  private close(now: number): void {
    this.state = 'closed';
    this.consecutive = 0;
    this.recoveredAt = now;
    this.reason = undefined;
    this.window.reset();
    this.stamp(now);
    this.changed();
  }

  /** Share of its normal traffic a recovering deployment gets now (1 when not ramping). */
  rampShare(now: number, startShare: number): number {
    if (this.recoveredAt === undefined || this.probation.rampMs === 0 || this.state !== 'closed') return 1;
    const elapsed = now - this.recoveredAt;
    if (elapsed >= this.probation.rampMs) return 1;
    return startShare + (1 - startShare) * (elapsed / this.probation.rampMs);
  }

  /** How many times this breaker entered each state (for metrics). */
  transitions(): Readonly<Record<BreakerState, number>> {
    return this.entered;
  }

  toJSON(): BreakerSnapshot {
    return {
      state: this.state,
      openedAt: this.openedAt,
      coolOffMs: this.coolOffMs,
      trips: this.trips,
      recoveredAt: this.recoveredAt ?? null,
      held: this.held,
      reason: this.reason ?? null,
      changedAt: this.changedAt,
    };
  }

  /** Adopts a snapshot (from the state store or a previous invocation); counters restart. */
  restore(s: BreakerSnapshot): void {
    this.state = s.state;
    this.openedAt = s.openedAt;
    this.coolOffMs = s.coolOffMs;
    this.trips = s.trips;
    this.recoveredAt = s.recoveredAt ?? undefined;
    this.held = s.held;
    this.reason = s.reason ?? undefined;
    this.changedAt = s.changedAt;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.consecutive = 0;
  }

  /**
   * Adopts a snapshot another replica published, when it is newer than this breaker's last transition.
   * `held` stays local: each replica's own health checks decide it, and a breaker they hold is not
   * overridden (its checks see the deployment down now). Returns whether the snapshot was adopted.
   */
  adopt(s: BreakerSnapshot): boolean {
    if (this.held || s.changedAt <= this.changedAt) return false;
    this.restore({ ...s, held: false });
    // Failures counted before a recovery elsewhere must not re-trip the breaker at once.
    if (s.state === 'closed') this.window.reset();
    return true;
  }

  static fromJSON(s: BreakerSnapshot, config: BreakerConfig, probation: { failures: number; rampMs: number }): CircuitBreaker {
    const b = new CircuitBreaker(config, probation);
    b.restore(s);
    return b;
  }

  private stamp(at: number): void {
    this.changedAt = Math.max(at, this.changedAt + 1);
  }

  private changed(): void {
    this.entered[this.state] += 1;
    this.onChange(this.toJSON());
  }
}
