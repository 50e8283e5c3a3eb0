import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { HealthConfig } from './config.js';
import type { Deployment } from './router.js';
import { countsAgainstHealth } from './breaker.js';

/**
 * Active health checks: probes every deployment on an interval; `failures_to_down` failures in a row
 * hold its breaker open, `successes_to_up` successes in a row release it (and the failback ramp
 * starts). A breaker opened by live traffic is probed too: one success that started after it opened
 * makes it half-open, so live traffic's trial tests recovery within one interval (a probe answering
 * says the host is up, not that chat works). Only errors the breaker counts are failures:
 * any other (a 429, a 400) moves neither streak, and a probe's 429 in `mode: request` (a chat call,
 * as live traffic's) cools the deployment down as a live one would; a cooling deployment is not
 * probed. One timer for all deployments, started by the gateway and stopped on close.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private readonly streaks = new Map<string, { ok: number; failed: number }>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly deployments: readonly Deployment[],
    private readonly config: HealthConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    for (const d of deployments) this.streaks.set(d.id, { ok: 0, failed: 0 });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A slow round must not overlap the next one.
      if (!this.running) this.running = this.runOnce().finally(() => (this.running = undefined));
    }, this.config.interval_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Probes every deployment once and applies the results. */
  async runOnce(): Promise<void> {
    await Promise.all(this.deployments.map((d) => this.check(d)));
  }

  private async check(d: Deployment): Promise<void> {
    const started = this.clock.now();
    // It asked for less: a probe now would only spend its quota, and be throttled.
    if (d.state.coolingFor(started) > 0) return;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new GatewayError({ kind: 'timeout', message: `health probe of ${d.id} timed out`, deployment: d.id })),
      this.config.timeout_ms,
    );
    let error: GatewayError | undefined;
    try {
      const ctx = { signal: controller.signal, requestId: `health-${d.id}` };
      if (this.config.mode === 'request') {
        await d.provider.chat({ model: d.config.model, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }], maxOutputTokens: 1 }, ctx);
      } else {
        await d.provider.probe(ctx);
      }
    } catch (err) {
      error = toGatewayError(controller.signal.aborted ? controller.signal.reason : err);
    } finally {
      clearTimeout(timer);
    }
    const now = this.clock.now();
    this.apply(d, error, now, now - started);
  }

  /** Feeds one probe result to a deployment's health and breaker (exposed for tests and replays). */
  apply(d: Deployment, error: GatewayError | undefined, now: number, latencyMs: number): void {
    const streak = this.streaks.get(d.id) as { ok: number; failed: number };
    const state = d.state;
    state.lastHealth = { at: now, ok: error === undefined, latencyMs, error: error?.kind };
    if (error === undefined) {
      state.healthChecks.ok += 1;
      streak.ok += 1;
      streak.failed = 0;
      if (!state.healthUp && streak.ok >= this.config.successes_to_up) {
        state.healthUp = true;
        state.breaker.release(now);
        this.logger.info({ deployment: d.id }, 'health check: deployment up');
      } else if (state.breaker.trialByProbe(now, now - latencyMs)) {
        this.logger.info({ deployment: d.id }, 'health check: open breaker half-open after a successful probe');
      }
    } else {
      state.healthChecks.failed += 1;
      if (!countsAgainstHealth(error.kind)) {
        if (error.kind === 'rate_limited' && this.config.mode === 'request') state.throttle(now, error.retryAfterMs);
        return;
      }
      streak.failed += 1;
      streak.ok = 0;
      if (state.healthUp && streak.failed >= this.config.failures_to_down) {
        state.healthUp = false;
        state.breaker.trip(now, `health check failed ${streak.failed} times (${error.kind})`, true);
        this.logger.warn({ deployment: d.id, cause: error.kind }, 'health check: deployment down');
      }
    }
  }
}
