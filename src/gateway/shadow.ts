import { Canceller } from '../core/cancel.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/types.js';
import { estimatePromptTokens, withEstimatedUsage } from '../core/estimate.js';
import type { Deployment } from '../routing/router.js';
import type { Attempt } from '../routing/executor.js';
import { failure, type AttemptReporter, type RequestMeta } from './observe.js';

/** Shadow attempts are numbered from here so they never collide with the request's own attempts. */
export const SHADOW_ATTEMPT_BASE = 1000;

/**
 * Mirrors requests to standby deployments: answers are discarded, latency and errors are recorded
 * (stats, breaker, AttemptRecords with role `shadow`), so standbys stay warm and known-good.
 */
export class ShadowMirror {
  private readonly pending = new Set<Canceller>();

  constructor(
    private readonly reporter: AttemptReporter,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  mirror(targets: readonly Deployment[], request: ChatRequest, meta: RequestMeta): void {
    if (targets.length === 0) return;
    // A canonical request says nothing of delivery: the mirror is a plain chat call whatever the client asked.
    targets.forEach((d, i) => this.send(d, request, { ...meta, operation: 'chat' }, SHADOW_ATTEMPT_BASE + i + 1));
  }

  private send(d: Deployment, request: ChatRequest, meta: RequestMeta, number: number): void {
    const now = this.clock.now();
    const attempt: Attempt = { number, role: 'shadow', deployment: d, startedAt: now, probe: false, cause: undefined, from: undefined, span: undefined };
    const slot = d.state.begin(attempt);
    if (slot === undefined) return;
    attempt.probe = slot === 'probe';
    const controller = new Canceller();
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
          d.state.succeed(t, t - now, attempt.probe);
          d.state.countShadow(true);
          const { usage, usageEstimated } = response.usageEstimated ? withEstimatedUsage(response, estimatePromptTokens(request)) : response;
          this.reporter.report(meta, attempt, { outcome: 'ok', usage, usageEstimated, answer: response });
        },
        (err: unknown) => {
          const t = this.clock.now();
          const error = toGatewayError(err).withDeployment(d.id, d.provider.type);
          if (error.kind === 'cancelled') d.state.abandon(attempt.probe);
          else d.state.fail(t, error, t - now, attempt.probe);
          d.state.countShadow(false);
          // Booked as a request's own failed attempt is: a standby that had the request is billed its estimate.
          this.reporter.report(meta, attempt, failure(error, estimatePromptTokens(request)));
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.pending.delete(controller);
      });
  }

  /** Aborts mirrors still running (gateway close). */
  close(): void {
    for (const c of this.pending) c.abort();
  }
}
