import { Canceller } from '../core/cancel.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/types.js';
import { withEstimatedUsage } from '../core/estimate.js';
import type { Deployment, RoutePlan, Router } from '../routing/router.js';
import { billedPrompt, type Needs } from '../routing/filters.js';
import type { Attempt } from '../routing/executor.js';
import { failure, type AttemptReporter, type RequestMeta } from './observe.js';

/** Shadow attempts are numbered from here so they never collide with the request's own attempts. */
export const SHADOW_ATTEMPT_BASE = 1000;

/**
 * Mirrors requests to standby deployments: answers are discarded, latency and errors are recorded
 * (stats, breaker, AttemptRecords with role `shadow`), so standbys stay warm and known-good. A copy
 * never changes a live answer: it takes no half-open trial slot, and it gives way to live traffic in
 * the standby's connection pool (`DeploymentState.beginShadow`, `routing/shadow-lane.ts`).
 */
export class ShadowMirror {
  private readonly pending = new Set<Canceller>();

  constructor(
    private readonly reporter: AttemptReporter,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly random: () => number,
    private readonly router: Router,
  ) {}

  /**
   * Whether a request gets a copy: the group's share of requests, never a pinned one. Drawn before the
   * request runs, so a seeded run draws in the same order whatever its attempts do.
   */
  sampled(plan: RoutePlan): boolean {
    const share = plan.group?.config.shadow?.share;
    return share !== undefined && !plan.pinned && this.random() < share;
  }

  /**
   * Copies a request its first attempt answered (`served` it) to the group's standbys but that one,
   * once the answer is in: the live attempt never waits behind its copy, and a request that failed
   * over is not copied (the gateway checks): its standby already had it, and a group in trouble needs
   * no extra load.
   */
  copy(plan: RoutePlan, served: Deployment, request: ChatRequest, needs: Needs, meta: RequestMeta): void {
    const targets = this.router.shadowTargets(plan, served.id, needs);
    if (targets.length === 0) return;
    // A canonical request says nothing of delivery: the mirror is a plain chat call whatever the client asked.
    const prompt = billedPrompt(needs);
    targets.forEach((d, i) => this.send(d, request, prompt, { ...meta, operation: 'chat' }, SHADOW_ATTEMPT_BASE + i + 1));
  }

  /** `prompt`: the prompt tokens billed when the standby reports no usage or fails after the send. */
  private send(d: Deployment, request: ChatRequest, prompt: number, meta: RequestMeta, number: number): void {
    const now = this.clock.now();
    const attempt: Attempt = { number, role: 'shadow', deployment: d, startedAt: now, probe: false, cause: undefined, from: undefined, span: undefined };
    const controller = new Canceller();
    // Skipped, not queued, when the standby has no room for it: a shadow copy is best effort.
    if (!d.state.beginShadow(attempt, controller)) return;
    const timer = setTimeout(
      () => controller.abort(new GatewayError({ kind: 'timeout', message: `Shadow call to ${d.id} did not answer within ${this.timeoutMs} ms.` })),
      this.timeoutMs,
    );
    this.pending.add(controller);
    d.provider
      .chat(request, this.reporter.callContext(meta, attempt, controller.signal))
      .then(
        (response) => {
          const t = this.clock.now();
          d.state.succeed(t, t - now, false);
          d.state.countShadow(true);
          const { usage, usageEstimated } = response.usageEstimated ? withEstimatedUsage(response, prompt) : response;
          this.reporter.report(meta, attempt, { outcome: 'ok', usage, usageEstimated, answer: response });
        },
        (err: unknown) => {
          const t = this.clock.now();
          const error = toGatewayError(err).withDeployment(d.id, d.provider.type);
          const cancelled = error.kind === 'cancelled';
          if (cancelled) d.state.abandon(false);
          else d.state.fail(t, error, t - now, false);
          // One cancelled (it gave way to live traffic, the gateway closed) is no error of the standby's.
          d.state.countShadow(cancelled);
          // Booked as a request's own failed attempt is: a standby that had the request is billed its estimate.
          this.reporter.report(meta, attempt, failure(error, prompt));
        },
      )
      .finally(() => {
        clearTimeout(timer);
        d.state.endShadow(controller);
        this.pending.delete(controller);
      });
  }

  /** Aborts mirrors still running (gateway close). */
  close(): void {
    for (const c of this.pending) c.abort();
  }
}
