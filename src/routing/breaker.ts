import type { ErrorKind } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
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

/** One transition this process made (adopted snapshots are not), for the operator's log. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Our own words (counts, error kinds), never upstream text. */
  reason: string;
  at: number;
}

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
  /**
   * A half-open a health probe let in was refuted by its trial: until the breaker closes, probes no longer
   * cut the cool-off short, so it grows as it should while the probe's route answers and chat does not.
   */
  private probeRefuted = false;
  /** How the current half-open began: a health probe's success (`trialByProbe`) or the cool-off's end. */
  private byProbe = false;
  /** The current half-open began as a suspicion (`suspect`): its trial's success is no recovery to ramp from. */
  private suspected = false;
  private readonly window: SlidingWindow;
  /** Transitions this process made, by the state entered (adopted snapshots do not count). */
  private readonly entered: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };

  constructor(
    private readonly config: BreakerConfig,
    /** Consecutive failures that re-open a breaker while its traffic ramps back (hysteresis). */
    private readonly probation: { failures: number; rampMs: number },
    private readonly onChange: (snapshot: BreakerSnapshot) => void = () => undefined,
    private readonly onTransition?: (transition: BreakerTransition) => void,
  ) {
    this.coolOffMs = config.cool_off_ms;
    this.window = new SlidingWindow(config.window_ms, 2);
  }

  /** The state now, moving open to half-open once the cool-off has passed. */
  current(now: number): BreakerState {
    if (this.state === 'open' && !this.held && now >= this.openedAt + this.coolOffMs) {
      // Stamped by the cool-off, not by whoever asked first: every replica computes the same stamp.
      this.halfOpen(this.openedAt + this.coolOffMs, `cool-off of ${this.coolOffMs} ms passed`, false);
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
      if (this.probeSuccesses >= this.config.half_open_successes) this.close(now, `${this.probeSuccesses} half-open trial(s) succeeded`);
    }
  }

  onFailure(now: number, probe: boolean, kind: ErrorKind): void {
    this.window.add(now, TOTAL);
    this.window.add(now, FAILED);
    this.consecutive += 1;
    const s = this.current(now);
    if (s === 'half-open') {
      if (!probe) return;
      if (this.byProbe) this.probeRefuted = true;
      this.open(now, `half-open trial failed (${kind})`);
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
    const from = this.state;
    this.held = false;
    this.probeRefuted = false;
    this.suspected = false;
    this.state = 'closed';
    this.trips = 0;
    this.coolOffMs = this.config.cool_off_ms;
    this.consecutive = 0;
    this.recoveredAt = undefined;
    this.reason = undefined;
    this.window.reset();
    this.stamp(now);
    this.changed(from, 'reset by an operator');
  }

  /** Health checks see the deployment up again: close and start the failback ramp. */
  release(now: number): void {
    this.held = false;
    if (this.state !== 'closed') this.close(now, 'health checks see the deployment up');
  }

  /**
   * An active health probe that started at `probeStartedAt` succeeded: a breaker opened by live traffic
   * before that probe goes half-open, so recovery is noticed within one health interval rather than
   * after a grown cool-off. Half-open, not closed: a model list (or a 1-token ping) answering says the
   * host is up, not that chat works; live traffic's trial decides. Once such a trial failed, probes wait
   * for the breaker to close before cutting a cool-off short again. Returns whether it went half-open.
   */
  trialByProbe(now: number, probeStartedAt: number): boolean {
    if (this.held || this.probeRefuted || this.current(now) !== 'open' || probeStartedAt < this.openedAt) return false;
    this.halfOpen(now, 'a health probe succeeded', true);
    return true;
  }

  private halfOpen(at: number, reason: string, byProbe: boolean): void {
    this.state = 'half-open';
    this.byProbe = byProbe;
    this.suspected = false;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.stamp(at);
    this.changed('open', reason);
  }

  private open(now: number, reason: string): void {
    // A trip soon after the last recovery counts as a repeat: the cool-off grows.
    const from = this.state;
    const repeat = from !== 'closed' || (this.trips > 0 && this.recoveredAt !== undefined && now - this.recoveredAt < this.config.max_cool_off_ms);
    this.trips = repeat ? this.trips + 1 : 1;
    this.coolOffMs = Math.min(this.config.max_cool_off_ms, this.config.cool_off_ms * this.config.cool_off_multiplier ** (this.trips - 1));
    this.state = 'open';
    this.suspected = false;
    this.openedAt = now;
    this.reason = reason;
    this.probes = 0;
    this.stamp(now);
    this.changed(from, reason);
  }

  private close(now: number, reason: string): void {
    const from = this.state;
    this.probeRefuted = false;
    this.state = 'closed';
    this.consecutive = 0;
    // A suspicion's trial that succeeded found the upstream up: it was never seen down here.
    if (!this.suspected) this.recoveredAt = now;
    this.suspected = false;
    this.reason = undefined;
    this.window.reset();
    this.stamp(now);
    this.changed(from, reason);
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
    this.byProbe = false;
    this.suspected = false;
    if (s.state === 'closed') this.probeRefuted = false;
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

  /**
   * Takes over `from`'s breaker at a reload that kept the deployment's upstream: its state, as the store
   * would hand it over, and the failures counted toward its thresholds, so a deployment N-1 failures
   * from opening is still one failure from it. Not `held` (the new app's health checks judge afresh, as
   * `adopt` lets them) nor trial slots (the old app's trials settle there). Nothing when this breaker
   * already holds a newer state (another replica's, adopted from the shared store). Returns whether it took it.
   */
  carryFrom(from: CircuitBreaker, now: number): boolean {
    if (from === this || from.changedAt < this.changedAt) return false;
    this.restore({ ...from.toJSON(), held: false });
    // What it learnt of this same upstream: a refuted probe, a half-open that is only a suspicion.
    this.probeRefuted = from.probeRefuted;
    this.suspected = from.suspected;
    this.consecutive = from.consecutive;
    this.window.reset();
    from.window.carryTo(this.window, now);
    return true;
  }

  /**
   * Replicas that cannot say which upstream they saw (an earlier release, `BreakerSync`) see this
   * deployment down since `changedAt`: a closed breaker goes half-open, so one trial (not every request
   * until `consecutive_failures` fail) decides, and a success closes it with no failback ramp. Like an
   * adopted state, neither published nor counted as a transition. Returns whether it went half-open.
   */
  suspect(changedAt: number, reason: string): boolean {
    if (this.held || this.state !== 'closed' || changedAt <= this.changedAt) return false;
    this.state = 'half-open';
    this.byProbe = false;
    this.suspected = true;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.reason = reason;
    this.changedAt = changedAt;
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

  private changed(from: BreakerState, reason: string): void {
    this.entered[this.state] += 1;
    this.onChange(this.toJSON());
    this.onTransition?.({ from, to: this.state, reason, at: this.changedAt });
  }
}

/** A flapping breaker logs at most one line per transition type per second. */
const LOG_EVERY_MS = 1_000;

const SAID: Record<BreakerState, string> = { open: 'circuit breaker opened', 'half-open': 'circuit breaker half-open', closed: 'circuit breaker closed' };

/**
 * The warn line of each transition of `deployment`'s breaker, so on-call can tell since when it is open.
 * Rate-safe: one line per transition type per second; the lines left out are counted on the next one.
 */
export function transitionLog(logger: Logger, deployment: string): (t: BreakerTransition) => void {
  const last: Record<BreakerState, number> = { closed: -LOG_EVERY_MS, open: -LOG_EVERY_MS, 'half-open': -LOG_EVERY_MS };
  const left: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
  return ({ from, to, reason, at }) => {
    if (at < last[to] + LOG_EVERY_MS) {
      left[to] += 1;
      return;
    }
    const line = { deployment, from, to, reason, at, ...(left[to] > 0 ? { unlogged: left[to] } : {}) };
    last[to] = at;
    left[to] = 0;
    logger.warn(line, SAID[to]);
  };
}
