import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError, toGatewayError, type ErrorKind } from '../core/errors.js';
import { Canceller, type CancelSignal } from '../core/cancel.js';
import type { Clock } from '../core/clock.js';
import type { AttemptRole, AttemptSpan } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Deployment, StandIn } from './router.js';
import { retryDelay, type BackoffPolicy } from './backoff.js';
import type { RetryBudget } from './retry-budget.js';

export interface Attempt {
  /** 1-based across the whole request. */
  number: number;
  role: AttemptRole;
  deployment: Deployment;
  startedAt: number;
  /** A half-open breaker's trial request. */
  probe: boolean;
  /** Why this attempt happened after the first: the previous error kind, `circuit_open`, `rate_limited`, `drained`, `quality_gate` or `stream_resume`. */
  cause: string | undefined;
  /** The deployment this request fell back from (tried, skipped, or dropped by its plan: `StandIn`); undefined on its first choice and on retries. */
  from: string | undefined;
  /** Tokens counted against the deployment's quota when the attempt started (corrected on its real usage). */
  quotaTokens?: number;
  /** Its trace span, set when its upstream call is made with tracing on (`AttemptReporter.callContext`). */
  span: AttemptSpan | undefined;
}

/** Fixed per gateway. */
export interface ExecutePolicy {
  clock: Clock;
  random: () => number;
  maxAttemptsPerDeployment: number;
  deadlineMs: number;
  backoff: BackoffPolicy;
  budget: RetryBudget;
  logger: Logger;
}

/** Per request. */
export interface ExecuteOptions<T> {
  signal: CancelSignal;
  requestId: string;
  attemptTimeoutMs: number;
  /** An explicit override: retries only, no fallback, an open breaker does not refuse it. */
  pinned?: boolean;
  /** Configured special fallbacks for errors ordinary fallback never takes. */
  special?: (kind: 'context_window_exceeded' | 'content_filtered', tried: ReadonlySet<string>) => Deployment[];
  /** Quality gate: false escalates to the next deployment (the last one's answer is always kept). */
  accept?: (value: T, attempt: Attempt) => boolean;
  /** Streams settle success themselves when the stream ends. */
  deferSuccess?: boolean;
  /**
   * Each failed attempt, a cancelled one included (kind `cancelled`: the client went away while it ran;
   * `unsent` when it left before the request was written upstream).
   */
  onAttemptError?: (attempt: Attempt, error: GatewayError) => void;
  onRejected?: (attempt: Attempt, value: T) => void;
  /** Goes on with a request that already made `attempts` attempts: the first one here is a fallback for `cause`, from deployment `from`. */
  continues?: { attempts: number; cause: string; from: string };
  /** The request's token estimate (prompt plus output limit), counted against deployment quotas. */
  quotaTokens?: number;
}

export interface Executed<T> {
  value: T;
  attempt: Attempt;
  /**
   * The answer is one a quality gate turned down, returned only because every tier after it failed:
   * better than an error for this client, but not an answer to keep (the response cache does not).
   */
  rejected?: true;
}

const cancelled = (cause?: unknown, unsent = false): GatewayError => new GatewayError({ kind: 'cancelled', message: 'The client cancelled the request.', cause, unsent });

/**
 * What the request's own signal ended it with: a runtime aborts it with its GatewayError (a deadline's
 * timeout the client still waits to read; a cancellation that says whose it was, a server's drain or the
 * client's disconnect), recorded as it is; any other reason is the client leaving.
 */
function stopped(signal: CancelSignal, cause?: unknown, unsent = false): GatewayError {
  const reason: unknown = signal.reason;
  if (GatewayError.isInstance(reason)) return reason.withUnsent(unsent);
  return cancelled(cause ?? reason, unsent);
}

/**
 * Runs `run` against the planned deployments under the error taxonomy: retries the same deployment on
 * retryable errors (full-jitter backoff, retry-after honoured up to a cap, within the retry budget and
 * the deadline, keeping a whole attempt's time for the next deployment when there is one), falls back
 * to the next deployment on fallbackable ones, sends context_window_exceeded and content_filtered to
 * their configured special fallbacks only, and fails fast on everything else. A 429 or a timeout falls
 * over at once while another deployment can serve; a deployment cooling down after a 429 is skipped,
 * or waited for when it is the last one and the wait fits. Every retry and fallback is logged with its
 * cause and counted.
 */
export function executeWithFallback<T>(
  deployments: readonly Deployment[] & { readonly standIn?: StandIn | undefined },
  run: (attempt: Attempt, signal: CancelSignal) => Promise<T>,
  policy: ExecutePolicy,
  options: ExecuteOptions<T>,
): Promise<Executed<T>> {
  return new Execution(deployments, run, policy, options).execute();
}

/** What one try on a deployment leads to: its answer, another try on it, or the next deployment. */
const RETRY = 1;
const NEXT = 2;
type Step<T> = Executed<T> | typeof RETRY | typeof NEXT;

/** One request's walk through its deployments; its fields are the state every retry and fallback shares. */
class Execution<T> {
  private readonly deadlineAt: number;
  private readonly tried = new Set<string>();
  private queue: readonly Deployment[];
  /** Attempts made so far, across deployments (1-based once the first starts). */
  private number: number;
  /** Why the next attempt happens (see Attempt.cause). */
  private cause: string | undefined;
  private lastError: GatewayError | undefined;
  /** Time before the deadline the next attempt (a retry) leaves to the deployment after it. */
  private keepMs = 0;
  /** The latest answer a quality gate turned down. */
  private rejected: Executed<T> | undefined;
  /** The higher-ranked member the plan dropped, which the first deployment serves in place of; counted on it when it does. */
  private readonly standIn: StandIn | undefined;

  constructor(
    deployments: readonly Deployment[] & { readonly standIn?: StandIn | undefined },
    private readonly run: (attempt: Attempt, signal: CancelSignal) => Promise<T>,
    private readonly policy: ExecutePolicy,
    private readonly options: ExecuteOptions<T>,
  ) {
    const started = policy.clock.now();
    this.deadlineAt = started + policy.deadlineMs;
    policy.budget.onRequest(started);
    this.queue = deployments;
    this.number = options.continues?.attempts ?? 0;
    this.standIn = options.continues || options.pinned ? undefined : deployments.standIn;
    this.cause = options.continues?.cause ?? this.standIn?.cause;
  }

  async execute(): Promise<Executed<T>> {
    // The queue can grow while we walk it (special fallbacks).
    for (let i = 0; i < this.queue.length; i++) {
      this.tried.add((this.queue[i] as Deployment).id);
      for (let tryNo = 1; ; tryNo++) {
        const step = await this.tryOnce(i, tryNo);
        if (step === NEXT) break;
        if (step !== RETRY) return step;
      }
    }
    // Every better tier failed after a gate rejection: the rejected answer beats an error.
    if (this.rejected) return this.rejected;
    throw withClientRetryAfter(this.lastError ?? new GatewayError({ kind: 'no_deployment_available', message: 'No deployment is available for this model.' }), this.queue, this.policy.clock.now());
  }

  /** One attempt on `queue[i]`, unless its cool-down, the deadline, the client or its breaker says otherwise. */
  private async tryOnce(i: number, tryNo: number): Promise<Step<T>> {
    const { policy, options, queue } = this;
    const deployment = queue[i] as Deployment;
    const state = deployment.state;
    // What a retry keeps for the deployment after it: this attempt's alone, whichever way it goes.
    const keepMs = this.keepMs;
    this.keepMs = 0;
    if (state.coolingUntil > policy.clock.now() && (await coolingGate(queue, i, policy, options, this.deadlineAt)) === 'skip') {
      this.cause = 'rate_limited';
      return NEXT;
    }
    const now = policy.clock.now();
    const remaining = this.deadlineAt - now;
    if (remaining <= 0) {
      throw new GatewayError({ kind: 'timeout', message: `The request deadline of ${policy.deadlineMs} ms passed.`, code: 'deadline_exceeded', fallbackable: false, retryable: false });
    }
    // A retry whose share shrank while it waited (a backoff or a cool-down that ran long) leaves its time to the next deployment.
    if (keepMs > 0 && remaining - keepMs < options.attemptTimeoutMs * MIN_RETRY_SHARE) return NEXT;
    // A client that left (e.g. during admission or a backoff) gets no upstream call.
    if (options.signal.aborted) throw stopped(options.signal);
    const number = this.number + 1;
    // A continuation's first deployment falls back from the one whose stream broke, a plan's first from the member it stands in for.
    const from = tryNo > 1 ? undefined : i > 0 ? queue[i - 1]?.id : (options.continues?.from ?? this.standIn?.from.id);
    const role = tryNo > 1 ? 'retry' : from === undefined ? 'primary' : 'fallback';
    // Made before `begin`, which knows the attempt by it (a quota cool-down it starts is its own).
    const attempt: Attempt = { number, role, deployment, startedAt: now, probe: false, cause: this.cause, from, quotaTokens: options.quotaTokens, span: undefined };
    const slot = state.begin(attempt, options.pinned === true, options.quotaTokens);
    if (slot === undefined) {
      // The breaker opened (or its one trial slot was taken) after planning.
      policy.logger.warn({ requestId: options.requestId, deployment: deployment.id, cause: 'circuit_open', next: queue[i + 1]?.id }, 'skipping deployment');
      state.countFallback('circuit_open');
      this.cause = 'circuit_open';
      return NEXT;
    }
    this.number = number;
    attempt.probe = slot === 'probe';
    if (i === 0 && tryNo === 1 && this.standIn) this.standIn.from.state.countFallback(this.standIn.cause);
    let value: T;
    try {
      value = await this.call(attempt, Math.min(options.attemptTimeoutMs, remaining - keepMs), remaining);
    } catch (raw) {
      return this.afterFailure(i, tryNo, attempt, raw);
    }
    return this.afterSuccess(i, attempt, value);
  }

  /** Runs the attempt under its own timeout and the client's cancellation; a timeout throws its GatewayError. */
  private async call(attempt: Attempt, timeoutMs: number, remainingMs: number): Promise<T> {
    const { options, policy } = this;
    const deployment = attempt.deployment;
    const controller = new Canceller();
    const timer = setTimeout(() => {
      const deadline = timeoutMs === remainingMs && timeoutMs < options.attemptTimeoutMs;
      controller.abort(
        new GatewayError({
          kind: 'timeout',
          message: deadline ? `The request deadline of ${policy.deadlineMs} ms passed.` : `Deployment ${deployment.id} did not answer within ${timeoutMs} ms.`,
          deployment: deployment.id,
          provider: deployment.provider.type,
        }),
      );
    }, timeoutMs);
    // A listener, not AbortSignal.any: the latter measured ~18 µs per attempt, the rest of routing ~14.
    const forward = (): void => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', forward, { once: true });
    try {
      return await this.run(attempt, controller.signal);
    } catch (raw) {
      // Our own abort (the timeout) is the error, not whatever the aborted call threw, unless the upstream
      // had already answered with an error status whose body the timeout cut: that answer says what happened.
      throw controller.signal.aborted && !options.signal.aborted && !answeredError(raw) ? controller.signal.reason : raw;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', forward);
    }
  }

  /** Settles success unless the stream will, then lets the quality gate keep the answer or escalate. */
  private afterSuccess(i: number, attempt: Attempt, value: T): Step<T> {
    const { policy, options } = this;
    const state = attempt.deployment.state;
    if (!options.deferSuccess) state.succeed(policy.clock.now(), policy.clock.now() - attempt.startedAt, attempt.probe);
    if (options.accept && i + 1 < this.queue.length && !options.accept(value, attempt)) {
      policy.logger.info({ requestId: options.requestId, deployment: attempt.deployment.id, cause: 'quality_gate', attempt: attempt.number, next: this.queue[i + 1]?.id }, 'escalating');
      options.onRejected?.(attempt, value);
      state.countFallback('quality_gate');
      this.rejected = { value, attempt, rejected: true };
      this.cause = 'quality_gate';
      return NEXT;
    }
    return { value, attempt };
  }

  /** Records the failure, then retries (after its backoff), falls back, or throws. */
  private async afterFailure(i: number, tryNo: number, attempt: Attempt, raw: unknown): Promise<Step<T>> {
    const { policy, options } = this;
    const { deployment, number } = attempt;
    const state = deployment.state;
    const ended = policy.clock.now();
    if (options.signal.aborted) {
      state.abandon(attempt.probe);
      // The upstream was asked (and may bill): the attempt is reported, as one cancelled mid-stream is;
      // one the client left before its request was written (waiting for a connection or credentials) is unsent.
      const error = stopped(options.signal, raw, GatewayError.isInstance(raw) && raw.unsent).withDeployment(deployment.id, deployment.provider.type, { region: deployment.config.region, attempts: number });
      options.onAttemptError?.(attempt, error);
      throw error;
    }
    const error = toGatewayError(raw).withDeployment(deployment.id, deployment.provider.type, { region: deployment.config.region, attempts: number });
    state.fail(ended, error, ended - attempt.startedAt, attempt.probe);
    options.onAttemptError?.(attempt, error);
    this.lastError = error;
    const next = decide(error, tryNo, options, policy, this.deadlineAt, ended, { hasNext: usableAfter(this.queue, i, ended), coolingMs: state.coolingFor(ended) });
    const log = { requestId: options.requestId, deployment: deployment.id, cause: error.kind, attempt: number };
    if (next.kind === 'retry') {
      policy.logger.warn({ ...log, delayMs: next.delayMs }, 'retrying');
      state.retries += 1;
      this.cause = error.kind;
      this.keepMs = next.keepMs;
      await policy.clock.sleep(next.delayMs, options.signal).catch(() => undefined);
      if (options.signal.aborted) throw stopped(options.signal);
      return RETRY;
    }
    if (next.kind === 'special') {
      const extra = options.special?.(error.kind as 'context_window_exceeded' | 'content_filtered', this.tried) ?? [];
      if (extra.length === 0) throw error;
      policy.logger.warn({ ...log, next: extra[0]?.id }, 'special fallback');
      state.countFallback(error.kind);
      this.cause = error.kind;
      this.queue = [...this.queue.slice(0, i + 1), ...extra];
      return NEXT;
    }
    if (next.kind === 'fallback' && !options.pinned) {
      if (i + 1 < this.queue.length) {
        policy.logger.warn({ ...log, next: this.queue[i + 1]?.id }, 'falling back');
        state.countFallback(error.kind);
      }
      this.cause = error.kind;
      return NEXT;
    }
    throw error;
  }
}

/** An upstream's own error answer (a 429, a 503...), mapped by its status: not a timeout, whenever its body stopped. */
const answeredError = (raw: unknown): boolean => GatewayError.isInstance(raw) && raw.upstreamStatus !== undefined && raw.upstreamStatus >= 400;

/** True when a deployment after position `i` may be called now (breaker allows it, not cooling). */
function usableAfter(queue: readonly Deployment[], i: number, now: number): boolean {
  for (let j = i + 1; j < queue.length; j++) {
    const s = (queue[j] as Deployment).state;
    if (s.coolingFor(now) === 0 && s.breaker.allows(now)) return true;
  }
  return false;
}

/**
 * Before an attempt on a deployment cooling down after a 429 (this request's or another's): 'skip' it
 * when a later one can serve; else wait out the cool-down when it fits the deadline and the longest
 * retry-after we wait for ('go'), or fail with 429 and the shortest remaining cool-down.
 */
async function coolingGate<T>(queue: readonly Deployment[], i: number, policy: ExecutePolicy, options: ExecuteOptions<T>, deadlineAt: number): Promise<'skip' | 'go'> {
  const { clock } = policy;
  const deployment = queue[i] as Deployment;
  const now = clock.now();
  if (!options.pinned && usableAfter(queue, i, now)) {
    policy.logger.warn({ requestId: options.requestId, deployment: deployment.id, cause: 'rate_limited', next: queue[i + 1]?.id }, 'skipping deployment');
    deployment.state.countFallback('rate_limited');
    return 'skip';
  }
  const coolingMs = deployment.state.coolingFor(now);
  if (coolingMs > policy.backoff.maxRetryAfterMs || now + coolingMs >= deadlineAt) {
    const error = new GatewayError({
      kind: 'rate_limited',
      message: `Deployment ${deployment.id} is rate-limited for another ${coolingMs} ms.`,
      deployment: deployment.id,
      provider: deployment.provider.type,
    });
    throw withClientRetryAfter(error, queue, now);
  }
  await clock.sleep(coolingMs, options.signal).catch(() => undefined);
  return 'go';
}

/** When the client may come back: a 429's shortest remaining cool-down, a 503's earliest breaker trial (else the default). */
function withClientRetryAfter(error: GatewayError, queue: readonly Deployment[], now: number): GatewayError {
  if (error.kind === 'rate_limited') {
    let shortest = Number.POSITIVE_INFINITY;
    for (const d of queue) {
      const ms = d.state.coolingFor(now);
      if (ms > 0 && ms < shortest) shortest = ms;
    }
    return Number.isFinite(shortest) ? error.withRetryAfter(shortest) : error;
  }
  if (error.status !== 503 || error.retryAfterMs !== undefined) return error;
  let earliest = Number.POSITIVE_INFINITY;
  for (const d of queue) earliest = Math.min(earliest, d.state.breaker.retryAt(now) ?? earliest);
  return error.withRetryAfter(Number.isFinite(earliest) ? Math.max(DEFAULT_CLIENT_RETRY_AFTER_MS, earliest - now) : DEFAULT_CLIENT_RETRY_AFTER_MS);
}

type Decision = { kind: 'retry'; delayMs: number; keepMs: number } | { kind: 'fallback' } | { kind: 'special' } | { kind: 'fail' };

/**
 * The least share of an attempt timeout a retry must get when a fallback's whole attempt is kept: a retry
 * cut shorter than this mostly times out, billed, on a deployment that has just failed.
 */
const MIN_RETRY_SHARE = 0.5;

const SPECIAL: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['context_window_exceeded', 'content_filtered']);

/** Errors that say "not this deployment, not now": another deployment is tried before this one again. */
const FALL_OVER_FIRST: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['rate_limited', 'timeout']);

interface Standing {
  /** Another planned deployment may be called now. */
  hasNext: boolean;
  /** What is left of this deployment's 429 cool-down. */
  coolingMs: number;
}

function decide<T>(error: GatewayError, tryNo: number, options: ExecuteOptions<T>, policy: ExecutePolicy, deadlineAt: number, now: number, standing: Standing): Decision {
  // An explicit deployment choice is never swapped for another, special fallbacks included.
  if (SPECIAL.has(error.kind)) return options.special && !options.pinned ? { kind: 'special' } : { kind: 'fail' };
  if (FALL_OVER_FIRST.has(error.kind) && standing.hasNext && !options.pinned) return { kind: 'fallback' };
  if (error.retryable && tryNo < policy.maxAttemptsPerDeployment) {
    // A 429 is retried no sooner than its cool-down, which may be longer than the retry-after it gave.
    const retryAfterMs = error.kind === 'rate_limited' && standing.coolingMs > 0 ? standing.coolingMs : error.retryAfterMs;
    const delay = retryDelay(tryNo, retryAfterMs, policy.backoff, policy.random);
    // With another deployment to go to, a whole attempt's time is kept for it, so that the retry's own
    // failure cannot leave the fallback too little time; the retry must still get a worthwhile share.
    const keepMs = standing.hasNext && !options.pinned ? options.attemptTimeoutMs : 0;
    const leastMs = keepMs > 0 ? options.attemptTimeoutMs * MIN_RETRY_SHARE : 0;
    // A retry that cannot start in time, or that the budget refuses, becomes a fallback.
    if (delay !== undefined && now + delay + keepMs + leastMs < deadlineAt) {
      if (policy.budget.tryRetry(now)) return { kind: 'retry', delayMs: delay, keepMs };
      policy.logger.warn({ requestId: options.requestId, deployment: error.deployment, cause: error.kind }, 'retry budget exhausted');
    }
  }
  if (error.fallbackable || error.retryable) return { kind: 'fallback' };
  return { kind: 'fail' };
}
