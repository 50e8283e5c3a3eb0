import type { Canceller } from '../core/cancel.js';
import type { ErrorKind, GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DeploymentConfig, GatewayConfig } from '../config/schema.js';
import { CircuitBreaker, countsAgainstHealth, transitionLog, type BreakerSnapshot, type BreakerState } from './breaker.js';
import { Reservoir } from './reservoir.js';
import { SlidingWindow } from './window.js';
import type { DeploymentRouting } from './deployment.js';
import { QuotaMeter, type QuotaStatus } from './quota.js';
import { copyLoad, noLoad, type DeploymentLoad } from './load.js';
import { ShadowLane } from './shadow-lane.js';

export interface HealthCheckResult {
  at: number;
  ok: boolean;
  latencyMs: number;
  error: ErrorKind | undefined;
}

/** A deployment's drain: set and cleared by operators, shared through the state store (newest `at` wins). */
export interface DrainSnapshot {
  drained: boolean;
  /** When it was set or cleared (wall clock, ms); 0 for "never". */
  at: number;
  /** Why (a runbook note, an interruption notice); null when cleared. */
  reason: string | null;
}

/**
 * An attempt as its deployment knows it: when it began (the quota bucket it was counted in) and, by
 * identity, which one it is, so that two attempts begun in the same millisecond are told apart. The
 * request path passes its `Attempt`; nothing is allocated for it.
 */
export interface BegunAttempt {
  readonly startedAt: number;
}

const UNDRAINED: DrainSnapshot = { drained: false, at: 0, reason: null };

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
}

/** What GET /v1/switchyard/status shows of one deployment. */
export interface DeploymentStatus {
  id: string;
  provider: string;
  model: string;
  region: string | undefined;
  requests: number;
  successes: number;
  errors: Partial<Record<ErrorKind, number>>;
  errorRate: number;
  /** Whole answers not streamed: request sent to answer read. */
  latencyMs: LatencySummary | undefined;
  /** Streamed answers: request sent to the first content part. */
  ttftMs: LatencySummary | undefined;
  /** Streamed answers: request sent to the stream's end (as long as the answer is: not comparable with `latencyMs`). */
  streamMs: LatencySummary | undefined;
  ewmaLatencyMs: number | undefined;
  inFlight: number;
  retries: number;
  fallbacksFrom: Partial<Record<string, number>>;
  shadow: { requests: number; errors: number };
  /** `changedAt`: when it entered its current state (epoch ms); undefined when closed since this process began. */
  breaker: { state: BreakerState; changedAt?: number | undefined; trips: number; reason: string | null; retryAt: number | undefined; rampShare: number; transitions: Record<BreakerState, number> };
  /** Until when a 429 keeps this deployment out of rotation; undefined when it is not cooling. */
  coolingUntil: number | undefined;
  /** Taken out of routing by an operator or an interruption notice. */
  drain: DrainSnapshot;
  health: { up: boolean; last: HealthCheckResult | undefined; checks: { ok: number; failed: number } };
  /** This process's own `lastMinuteRequests` (not the other workers'). */
  provisioned: { capacityRpm: number | undefined; maxConcurrency: number | undefined; lastMinuteRequests: number } | undefined;
  /** Use of the provider's quota in the last minute and the headroom left; undefined without `quota`. */
  quota: QuotaStatus | undefined;
}

const EWMA_ALPHA = 0.3;
const MINUTE = 60_000;

/**
 * Each configured deployment's live state, by its config object, so a reload can hand a breaker's
 * failure counts (which no store holds) to the next config's (`carryBreaker`); built once per deployment
 * and config, never per request, and weak: a retired config's states go with it.
 */
const live = new WeakMap<DeploymentConfig, DeploymentState>();

/**
 * Hands the breaker of the deployment configured as `from` to the one configured as `to`, both live
 * (`CircuitBreaker.carryFrom`). The caller checks they call one upstream (`upstreamDigest`): counts
 * of another upstream's failures say nothing of this one. Returns whether anything was carried.
 */
export function carryBreaker(from: DeploymentConfig, to: DeploymentConfig, now: number): boolean {
  const before = live.get(from);
  const after = live.get(to);
  return before !== undefined && after !== undefined && after.breaker.carryFrom(before.breaker, now);
}

/**
 * Everything the router knows about one deployment at run time: breaker, in-flight count, latency
 * (EWMA for routing, a reservoir for percentiles), error counts, provisioned usage, last health check.
 */
export class DeploymentState {
  readonly breaker: CircuitBreaker;
  inFlight = 0;
  requests = 0;
  successes = 0;
  retries = 0;
  ewmaMs: number | undefined;
  healthUp = true;
  lastHealth: HealthCheckResult | undefined;
  /** Active health check results so far. */
  readonly healthChecks = { ok: 0, failed: 0 };
  /** A 429 or a used-up quota keeps the deployment out of rotation until then (shared with other replicas). */
  coolingUntil = 0;
  /** Taken out of routing by an operator or an interruption notice (shared with other replicas). */
  drain: DrainSnapshot = UNDRAINED;
  /** The provider's quota and its use in the last minute; undefined when none is declared. */
  readonly quota: QuotaMeter | undefined;
  /** The shadow copies in flight here (gateway/shadow.ts), which give way to live attempts. */
  readonly shadowCalls: ShadowLane;
  /**
   * What the other workers of `serve --workers` use of the quota and provisioned capacity, as the
   * primary last relayed it (about once a second); zero in a single process. Quota and capacity
   * checks add it to this process's own counts, so the pod as a whole keeps within them.
   */
  private readonly others: DeploymentLoad = noLoad();
  private readonly defaultCoolDownMs: number;
  private readonly maxCoolDownMs: number;
  private readonly errors: Partial<Record<ErrorKind, number>> = {};
  private readonly fallbacksFrom: Partial<Record<string, number>> = {};
  private readonly shadow = { requests: 0, errors: 0 };
  private readonly latency = new Reservoir();
  private readonly streamLatency = new Reservoir();
  private readonly ttft = new Reservoir();
  /** Requests started in the last minute, for provisioned `capacity_rpm`. */
  private readonly perMinute: SlidingWindow | undefined;
  /**
   * The cool-down an attempt (`owner`) started by using the quota up, and the one it replaced: held
   * here (not published) until that attempt is known to have reached the upstream, and undone if it
   * turns out unsent. Keyed by the attempt itself, not its start: another attempt begun in the same
   * millisecond must neither share nor lift it.
   */
  private quotaCooling: { owner: BegunAttempt; until: number; before: number } | undefined;

  constructor(
    readonly config: DeploymentConfig & DeploymentRouting,
    routing: GatewayConfig['routing'],
    onBreakerChange?: (snapshot: BreakerSnapshot) => void,
    /** Publishes a new cool-down (`until`, lasting `ms` from now) to other replicas. */
    private readonly onCooling?: (until: number, ms: number) => void,
    /** Publishes a drain set or cleared here to other replicas. */
    private readonly onDrain?: (drain: DrainSnapshot) => void,
    /** Where its breaker's transitions are logged (`transitionLog`); none when absent. */
    logger?: Logger,
  ) {
    this.defaultCoolDownMs = routing.rate_limit.default_cool_down_ms;
    this.maxCoolDownMs = routing.rate_limit.max_cool_down_ms;
    this.breaker = new CircuitBreaker(routing.breaker, { failures: routing.failback.probation_failures, rampMs: routing.failback.ramp_ms }, onBreakerChange, logger && transitionLog(logger, config.id));
    if (config.provisioned?.capacity_rpm !== undefined) this.perMinute = new SlidingWindow(MINUTE, 1, 12);
    if (config.quota) this.quota = new QuotaMeter(config.quota, this.others);
    this.shadowCalls = new ShadowLane(config.options);
    live.set(config, this);
  }

  /** This process's own use of the quota and provisioned capacity; undefined when it has neither, or uses none. */
  load(now: number): DeploymentLoad | undefined {
    if (!this.quota && !this.config.provisioned) return undefined;
    const load = noLoad();
    this.quota?.own(now, load);
    if (this.config.provisioned) {
      load.provisionedRequests = this.perMinute?.sum(now, 0) ?? 0;
      load.inFlight = this.inFlight;
    }
    return load.requests === 0 && load.tokens === 0 && load.provisionedRequests === 0 && load.inFlight === 0 ? undefined : load;
  }

  /** Adopts the other workers' use as the primary relayed it (undefined: they use none). */
  adoptOthers(load: DeploymentLoad | undefined): void {
    copyLoad(this.others, load);
  }

  /**
   * Starts `attempt` (begun at its `startedAt`) of about `tokens` tokens; returns 'probe' for a
   * half-open trial, undefined when the breaker refuses. An attempt that uses up the deployment's quota cools it down until the
   * quota's window frees, as a 429 would, but before the upstream has to say so: here at once, and
   * for other replicas once the attempt is known to have been sent (`sent`); an attempt that turns out
   * unsent (`unsent`) used none of the quota and lifts it.
   */
  begin(attempt: BegunAttempt, force = false, tokens = 0): 'normal' | 'probe' | undefined {
    const slot = this.breaker.acquire(attempt.startedAt) ?? (force ? 'normal' : undefined);
    if (slot === undefined) return undefined;
    // Live traffic never waits for a connection a shadow copy holds.
    const lane = this.shadowCalls;
    if (lane.size > 0 && this.inFlight >= lane.connections) lane.yieldOne(this.config.id);
    this.start(attempt, tokens);
    return slot;
  }

  /**
   * Starts a shadow copy (`call` cancels it) unless it could change a live answer: a breaker that is
   * not closed (its half-open trial slots are live traffic's), or a lane with no room (`ShadowLane`).
   * Returns whether it started; a shadow copy is never a trial.
   */
  beginShadow(attempt: BegunAttempt, call: Canceller): boolean {
    if (this.breaker.current(attempt.startedAt) !== 'closed' || !this.shadowCalls.admits(this.inFlight)) return false;
    this.shadowCalls.add(call);
    this.start(attempt, 0);
    return true;
  }

  /** A shadow copy begun with `call` has ended (settle it as any attempt too). */
  endShadow(call: Canceller): void {
    this.shadowCalls.delete(call);
  }

  private start(attempt: BegunAttempt, tokens: number): void {
    const now = attempt.startedAt;
    this.inFlight += 1;
    this.requests += 1;
    this.perMinute?.add(now, 0);
    if (this.quota) {
      this.quota.add(now, tokens);
      const until = this.quota.exhausted(now) ? this.quota.freesAt(now) : 0;
      if (until > this.coolingUntil) {
        this.quotaCooling = { owner: attempt, until, before: this.coolingUntil };
        this.coolingUntil = until;
      }
    }
  }

  /** `attempt` reached the upstream: a quota cool-down it started is shared now. */
  sent(attempt: BegunAttempt, now: number): void {
    const held = this.quotaCooling;
    if (held === undefined || held.owner !== attempt) return;
    this.quotaCooling = undefined;
    if (this.coolingUntil === held.until && held.until > now) this.onCooling?.(held.until, held.until - now);
  }

  /**
   * `attempt` never reached the upstream: its request and `tokens` leave the quota, and a quota
   * cool-down it started is lifted unless the quota is used up without it.
   */
  unsent(attempt: BegunAttempt, now: number, tokens: number): void {
    this.quota?.release(attempt.startedAt, now, tokens);
    const held = this.quotaCooling;
    if (held === undefined || held.owner !== attempt) return;
    this.quotaCooling = undefined;
    // A later cool-down (a 429, another replica's) replaced it: not this attempt's to lift.
    if (this.coolingUntil !== held.until) return;
    if (this.quota?.exhausted(now) !== true) this.coolingUntil = held.before;
    else if (held.until > now) this.onCooling?.(held.until, held.until - now);
  }

  succeed(now: number, latencyMs: number, probe: boolean, ttftMs?: number): void {
    this.inFlight -= 1;
    this.successes += 1;
    // Apart: a stream lasts as long as its answer, and mixed in it would read as a slow JSON upstream.
    if (ttftMs === undefined) this.latency.add(latencyMs);
    else {
      this.ttft.add(ttftMs);
      this.streamLatency.add(latencyMs);
    }
    this.observeLatency(ttftMs ?? latencyMs);
    this.breaker.onSuccess(now, probe);
  }

  fail(now: number, error: GatewayError, latencyMs: number, probe: boolean): void {
    this.inFlight -= 1;
    this.errors[error.kind] = (this.errors[error.kind] ?? 0) + 1;
    // A timeout is a latency sample too: least-latency must not keep preferring a stalled deployment.
    if (error.kind === 'timeout') this.observeLatency(latencyMs);
    if (error.kind === 'rate_limited') {
      this.throttle(now, error.retryAfterMs);
      // A throttled trial says nothing either way: the next trial, after the cool-down, decides.
      if (probe) this.breaker.releaseProbe();
    } else if (countsAgainstHealth(error.kind)) this.breaker.onFailure(now, probe, error.kind);
    else if (probe) {
      // Any other answer shows the upstream serving; a refusal before sending (a dialect's 400) shows
      // nothing, so its trial slot goes back, as a cancelled one's does.
      if (error.unsent) this.breaker.releaseProbe();
      else this.breaker.onSuccess(now, probe);
    }
  }

  /** A 429 (an attempt's or a health probe's): out of rotation for its retry-after, within `routing.rate_limit`. */
  throttle(now: number, retryAfterMs: number | undefined): void {
    this.coolDown(now, Math.min(retryAfterMs ?? this.defaultCoolDownMs, this.maxCoolDownMs));
  }

  /** Keeps the deployment out of rotation for `ms` (never shortens a longer cool-down). */
  coolDown(now: number, ms: number): void {
    const until = now + ms;
    if (until <= this.coolingUntil) return;
    this.coolingUntil = until;
    this.onCooling?.(until, ms);
  }

  /** Adopts a cool-down another replica published; returns whether it extended this one. */
  adoptCooling(until: number): boolean {
    if (until <= this.coolingUntil) return false;
    this.coolingUntil = until;
    return true;
  }

  /**
   * An operator's breaker reset. Health checks get to judge the deployment afresh: were it still marked
   * down, the health checker (which trips only an up deployment) would never hold the breaker open
   * again and traffic would go back to a deployment its checks see failing. Its failure streak is kept,
   * so the next failed check trips the breaker again.
   */
  resetBreaker(now: number): void {
    this.healthUp = true;
    this.breaker.reset(now);
  }

  /** Drains (or undrains) the deployment here and publishes it; stamped after the last change. */
  setDrained(now: number, drained: boolean, reason: string | null): DrainSnapshot {
    this.drain = { drained, at: Math.max(now, this.drain.at + 1), reason: drained ? reason : null };
    this.onDrain?.(this.drain);
    return this.drain;
  }

  /** Adopts a drain another replica published when it is newer than this one's; returns whether it did. */
  adoptDrain(d: DrainSnapshot): boolean {
    if (d.at <= this.drain.at) return false;
    this.drain = d;
    return true;
  }

  /** Milliseconds left of a 429 cool-down (0 when the deployment may be called). */
  coolingFor(now: number): number {
    return this.coolingUntil > now ? this.coolingUntil - now : 0;
  }

  /** An attempt ended without a verdict on the deployment (the client cancelled). */
  abandon(probe: boolean): void {
    this.inFlight -= 1;
    if (probe) this.breaker.releaseProbe();
  }

  countFallback(cause: string): void {
    this.fallbacksFrom[cause] = (this.fallbacksFrom[cause] ?? 0) + 1;
  }

  countShadow(ok: boolean): void {
    this.shadow.requests += 1;
    if (!ok) this.shadow.errors += 1;
  }

  private observeLatency(ms: number): void {
    this.ewmaMs = this.ewmaMs === undefined ? ms : this.ewmaMs + EWMA_ALPHA * (ms - this.ewmaMs);
  }

  /** True while a provisioned deployment still has reserved capacity left (counting the other workers' use). */
  hasProvisionedRoom(now: number): boolean {
    const p = this.config.provisioned;
    if (!p) return false;
    if (p.max_concurrency !== undefined && this.inFlight + this.others.inFlight >= p.max_concurrency) return false;
    if (p.capacity_rpm !== undefined && (this.perMinute?.sum(now, 0) ?? 0) + this.others.provisionedRequests >= p.capacity_rpm) return false;
    return true;
  }

  status(now: number, startShare: number): DeploymentStatus {
    const failed = Object.values(this.errors).reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0;
    // Asked first: a cool-off that ended moves it to half-open, whose stamp `changedAt` then shows.
    const state = this.breaker.current(now);
    const snap = this.breaker.toJSON();
    const p = this.config.provisioned;
    return {
      id: this.config.id,
      provider: this.config.provider,
      model: this.config.model,
      region: this.config.region,
      requests: this.requests,
      successes: this.successes,
      errors: { ...this.errors },
      errorRate: this.requests === 0 ? 0 : failed / this.requests,
      latencyMs: this.latency.percentiles(),
      ttftMs: this.ttft.percentiles(),
      streamMs: this.streamLatency.percentiles(),
      ewmaLatencyMs: this.ewmaMs,
      inFlight: this.inFlight,
      retries: this.retries,
      fallbacksFrom: { ...this.fallbacksFrom },
      shadow: { ...this.shadow },
      breaker: { state, changedAt: snap.changedAt === 0 ? undefined : snap.changedAt, trips: snap.trips, reason: snap.reason, retryAt: this.breaker.retryAt(now), rampShare: this.breaker.rampShare(now, startShare), transitions: { ...this.breaker.transitions() } },
      coolingUntil: this.coolingUntil > now ? this.coolingUntil : undefined,
      drain: this.drain,
      health: { up: this.healthUp, last: this.lastHealth, checks: { ...this.healthChecks } },
      provisioned: p ? { capacityRpm: p.capacity_rpm, maxConcurrency: p.max_concurrency, lastMinuteRequests: this.perMinute?.sum(now, 0) ?? 0 } : undefined,
      quota: this.quota?.status(now),
    };
  }
}
