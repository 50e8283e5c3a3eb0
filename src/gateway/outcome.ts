import { GatewayError } from '../core/errors.js';
import type { AdmissionTicket } from '../core/events.js';
import type { Attempt } from '../routing/executor.js';
import type { ServedBy } from './api.js';
import { spentOnFailure, takeBilled, type RequestMeta } from './observe.js';
import { inClientTerms } from './policy.js';

// What a request's caller is told of how it ended: who served it, or the failure as it is thrown.

/**
 * The deployment an answer came from, with the attempts billed before it and where its time went:
 * `upstreamMs` the answering attempt's (undefined until a stream ends), `ttftMs` a stream's.
 */
export function servedBy(attempt: Attempt, meta: RequestMeta, upstreamMs: number | undefined, ttftMs?: number): ServedBy {
  const d = attempt.deployment.config;
  return { deployment: d.id, provider: d.provider, region: d.region, model: d.model, group: meta.group, attempts: attempt.number, requestId: meta.requestId, failed: takeBilled(meta), upstreamMs, attemptsMs: meta.upstreamMs, ttftMs };
}

/**
 * Throws a request's failure with its admission's headers (`x-ratelimit-*`, which every answer carries)
 * and what its attempts were billed (`spent`: the ledger's rows, for the error answer's cost);
 * `groupMessages`: those the group's policy put before the client's.
 */
export function failWith(err: unknown, ticket: AdmissionTicket, meta: RequestMeta, groupMessages = 0): never {
  if (!GatewayError.isInstance(err)) throw err;
  const failed = inClientTerms(err, groupMessages).withHeaders(ticket.headers).withRequest(meta.group, meta.upstreamMs);
  const spent = spentOnFailure(meta);
  throw spent ? failed.withSpent(spent) : failed;
}

export function outputFiltered(a: Attempt): GatewayError {
  const id = a.deployment.id;
  return new GatewayError({ kind: 'content_filtered', message: `Deployment ${id} filtered its answer (finish_reason content_filter).`, code: 'content_filter', deployment: id, provider: a.deployment.provider.type });
}
