import type { Clock } from '../core/clock.js';
import type { AdmissionTicket } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { raceAbort } from '../core/abort.js';
import { Canceller } from '../core/cancel.js';
import type { ChatRequest, StreamPart, Usage, Warning } from '../core/types.js';
import { executeWithFallback, type Attempt, type ExecuteOptions, type ExecutePolicy, type Executed } from '../routing/executor.js';
import { billedPrompt, type Needs } from '../routing/filters.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import type { RequestOptions } from './gateway.js';
import { streamedAnswer, type AttemptReporter, type RequestMeta } from './observe.js';
import { openUntilContent, relay, type OpenedStream, type StreamSettlement } from './stream.js';
import { reportedBeforeContent } from './reported-usage.js';

/** What opening streams needs of the gateway. */
export interface StreamDeps {
  policy: ExecutePolicy;
  reporter: AttemptReporter;
  clock: Clock;
  logger: Logger;
  idleTimeoutMs: number;
  /** The longest a stream may run from its first content (0: no limit). */
  maxStreamMs: number;
}

/** One stream opening: the request (per deployment: a continuation differs), where it may go, what it holds. */
export interface StreamOpening {
  plan: RoutePlan;
  meta: RequestMeta;
  opts: RequestOptions;
  needs: Needs;
  ticket: AdmissionTicket;
  deployments: readonly Deployment[];
  requestFor: (deployment: Deployment) => ChatRequest;
  /** Collects the deployments attempted, so a resume goes elsewhere. */
  tried?: Set<string>;
  continues?: { attempts: number; cause: string; from: string };
  onSettled?: (settled: StreamSettlement) => void;
}

export interface OpenedAttempt {
  parts: AsyncIterableIterator<StreamPart>;
  attempt: Attempt;
  /** Settings the provider could not honour, from the start part read before the first content. */
  warnings: readonly Warning[] | undefined;
  /** Milliseconds from the attempt's start to its first content part. */
  ttftMs: number;
}

/** The usage the upstream reported before its stream failed, by attempt (most report none). */
const reportedUsage = new WeakMap<Attempt, Usage>();

/**
 * What the upstream of a stream attempt that failed before its first content had reported of its usage
 * (Claude's message_start, Gemini's counts so far), for `failure` to bill rather than the estimate.
 */
export function reportedBy(attempt: Attempt): Usage | undefined {
  return reportedUsage.get(attempt);
}

/**
 * Opens a stream on the first of `deployments` to produce content and relays it. The relay settles
 * the attempt once (deployment state, attempt record), then releases the ticket and tells `onSettled`.
 * `execution` defers success (the relay settles it) and carries `s.continues`.
 */
export async function openStreamOn(deps: StreamDeps, s: StreamOpening, execution: ExecuteOptions<OpenedStream>): Promise<OpenedAttempt> {
  const { policy, reporter, clock, logger } = deps;
  const { meta, ticket } = s;
  const client = execution.signal;
  // Each attempt's upstream controller follows the client's signal until its stream is settled.
  const upstream = new Map<number, { controller: Canceller; forward: () => void }>();
  const unlink = (n: number): void => {
    const u = upstream.get(n);
    if (u) client.removeEventListener('abort', u.forward);
  };
  let executed: Executed<OpenedStream>;
  try {
    executed = await executeWithFallback<OpenedStream>(
      s.deployments,
      async (a, signal) => {
        s.tried?.add(a.deployment.id);
        // The stream outlives the attempt's timeout, so it gets its own controller.
        const controller = new Canceller();
        const forward = (): void => controller.abort(client.reason);
        client.addEventListener('abort', forward, { once: true });
        upstream.set(a.number, { controller, forward });
        // The attempt signal (TTFT timeout) only guards the wait for the first content part.
        const onAbort = (): void => controller.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const head: StreamPart[] = [];
        try {
          const parts = await a.deployment.provider.stream(s.requestFor(a.deployment), reporter.callContext(meta, a, controller.signal));
          // Its answer began, so the request was sent: a quota cool-down it started is shared now, not at its end.
          a.deployment.state.sent(a, clock.now());
          return await raceAbort(openUntilContent(parts, a.startedAt, () => clock.now(), a.deployment.provider.type, head), signal);
        } catch (err) {
          unlink(a.number);
          // Whatever the failure becomes (a timeout, a cancellation), what the upstream said it counted is billed.
          const reported = reportedBeforeContent(head);
          if (reported) reportedUsage.set(a, reported);
          throw err;
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      },
      policy,
      execution,
    );
  } catch (err) {
    ticket.release();
    throw err;
  }
  const { value: opened, attempt } = executed;
  const state = attempt.deployment.state;
  const parts = relay(
    opened,
    billedPrompt(s.needs),
    (reason) => upstream.get(attempt.number)?.controller.abort(reason),
    (settled) => {
      unlink(attempt.number);
      const now = clock.now();
      const error = settled.error;
      if (settled.outcome === 'ok') state.succeed(now, now - attempt.startedAt, attempt.probe, opened.ttftMs);
      else if (settled.outcome === 'error' && error) {
        state.fail(now, error, now - attempt.startedAt, attempt.probe);
        logger.warn({ requestId: meta.requestId, deployment: attempt.deployment.id, kind: error.kind }, 'stream failed after first content');
      } else state.abandon(attempt.probe);
      const answer = reporter.traced ? streamedAnswer(opened.head, settled.finishReason) : undefined;
      reporter.report(meta, attempt, { outcome: settled.outcome, usage: settled.usage, usageEstimated: settled.usageEstimated, error, ttftMs: opened.ttftMs, answer });
      ticket.release();
      s.onSettled?.(settled);
    },
    deps.idleTimeoutMs,
    deps.maxStreamMs,
    (error) => error.withDeployment(attempt.deployment.id, attempt.deployment.provider.type),
  );
  const start = opened.head.find((p) => p.type === 'start');
  return { parts, attempt, warnings: start?.type === 'start' ? start.warnings : undefined, ttftMs: opened.ttftMs };
}
