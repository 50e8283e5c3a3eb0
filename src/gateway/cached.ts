import type { Clock } from '../core/clock.js';
import type { ChatRequest, ChatResponse, StreamPart } from '../core/types.js';
import type { CacheLookup, CacheRequestOptions, ResponseCache } from '../cache/layer.js';
import type { CachedAnswer } from '../cache/store.js';
import { answerParts, recording, replay } from '../cache/replay.js';
import type { Attempt, Executed } from '../routing/executor.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import type { ServedBy, StreamResult } from './gateway.js';
import type { AttemptReporter, RequestMeta } from './observe.js';

/**
 * The response cache as the gateway uses it: looks requests up before admission, records a hit in
 * the ledger (cost 0, the saved cost priced there), and stores answers (streams once they ended cleanly).
 */
export class GatewayCache {
  constructor(
    private readonly cache: ResponseCache,
    private readonly reporter: AttemptReporter,
    private readonly deployments: ReadonlyMap<string, Deployment>,
    private readonly clock: Clock,
  ) {}

  lookup(request: ChatRequest, plan: RoutePlan, tags: Readonly<Record<string, string>>, opts: CacheRequestOptions & { residency?: string }): Promise<CacheLookup> | undefined {
    // A pinned deployment is part of what was asked for; otherwise the group is.
    const deployment = plan.pinned || !plan.group ? plan.deployments[0]?.id : undefined;
    return this.cache.lookup(request, { group: plan.group?.config.name, deployment, residency: opts.residency }, tags, plan.group?.config.cache, opts);
  }

  /**
   * Reports a hit to the observers (the ledger books it at cost 0 with what it saved) and says who
   * served it: the deployment that first gave the answer, with no attempt made now.
   */
  hit(answer: CachedAnswer, meta: RequestMeta): ServedBy {
    const deployment = this.deployments.get(answer.deployment);
    if (deployment) {
      const attempt: Attempt = { number: 1, role: 'primary', deployment, startedAt: this.clock.now(), probe: false, cause: 'cache_hit', from: undefined, span: undefined };
      this.reporter.report(meta, attempt, { outcome: 'ok', usage: answer.response.usage, usageEstimated: answer.response.usageEstimated, cacheHit: true });
    }
    return { deployment: answer.deployment, provider: answer.provider, region: answer.region, model: answer.model, group: meta.group, attempts: 0, requestId: meta.requestId, failed: undefined, upstreamMs: undefined, attemptsMs: 0, ttftMs: undefined };
  }

  /**
   * A hit on a streamed request: the answer replayed as a stream, with the warnings its live stream
   * had (`x-switchyard-warnings`), recorded as a hit like `hit`.
   */
  streamHit(answer: CachedAnswer, meta: RequestMeta, promptEstimate: number): StreamResult {
    return { parts: replay(answerParts(answer.response)), servedBy: this.hit(answer, meta), cache: 'hit', warnings: answer.response.warnings, promptEstimate };
  }

  /**
   * Stores a whole answer, unless a quality gate turned it down: served only while the better tiers
   * failed, it would otherwise be every later client's answer for the whole TTL.
   */
  save(lookup: CacheLookup, executed: Executed<ChatResponse>): void {
    if (executed.rejected === true) return;
    this.cache.save(lookup, executed.value, by(executed.attempt));
  }

  /** Relays a live stream and stores its answer once it ended cleanly. */
  record(lookup: CacheLookup, parts: AsyncIterable<StreamPart>, attempt: Attempt): AsyncIterableIterator<StreamPart> {
    return recording(parts, (response) => this.cache.save(lookup, response, by(attempt)));
  }
}

function by(attempt: Attempt): Omit<CachedAnswer, 'response'> {
  const d = attempt.deployment.config;
  return { deployment: d.id, provider: d.provider, model: d.model, region: d.region };
}
