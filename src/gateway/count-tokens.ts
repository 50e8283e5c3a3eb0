import { randomUUID } from 'node:crypto';
import { toAbortSignal, type CancelSignal } from '../core/cancel.js';
import { toGatewayError } from '../core/errors.js';
import { estimatePrompt } from '../core/estimate.js';
import type { Logger } from '../core/logger.js';
import type { ChatRequest } from '../core/types.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import type { ServedBy } from './gateway.js';

/** A prompt's input tokens: counted by the upstream a chat request would go to, or the gateway's estimate. */
export interface TokenCount {
  inputTokens: number;
  /** True when no upstream counted (no planned deployment has a free counter, or its counter failed). */
  estimated: boolean;
  /** The deployment whose upstream counted; absent for an estimate. */
  servedBy?: ServedBy;
}

export interface CountingSettings {
  logger: Logger;
  /** How long the counter may take (the chat attempt timeout) before the estimate answers instead. */
  timeoutMs: number;
  /** False when the caller may not spend the upstream's counter now (rate limited, budget spent): the estimate answers. */
  upstream?: boolean;
}

/**
 * Counts a planned request (the group's system prompt already in it) with the first planned deployment
 * whose provider has a free counter. Counting costs no tokens, so nothing is billed or reported to the
 * breakers (the gateway admits it as a request of none first, `upstream`); when the counter fails for
 * any reason, or may not be called, the estimate answers, marked as one.
 */
export async function countPlannedTokens(
  request: ChatRequest,
  plan: RoutePlan,
  opts: { signal?: CancelSignal; requestId?: string },
  settings: CountingSettings,
): Promise<TokenCount> {
  const counter = settings.upstream === false ? undefined : plan.deployments.find((d) => d.provider.countTokens !== undefined);
  const requestId = opts.requestId ?? randomUUID();
  if (counter?.provider.countTokens) {
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([toAbortSignal(opts.signal), timeout]) : timeout;
    try {
      const inputTokens = await counter.provider.countTokens(request, { signal, requestId });
      return { inputTokens, estimated: false, servedBy: servedBy(counter, plan, requestId) };
    } catch (err) {
      settings.logger.warn({ requestId, deployment: counter.id, kind: toGatewayError(err).kind }, 'token counting failed; answering the estimate');
    }
  }
  // What the prompt likely costs, images and documents at their least: clients size their context by it.
  return { inputTokens: estimatePrompt(request).floor, estimated: true };
}

function servedBy(d: Deployment, plan: RoutePlan, requestId: string): ServedBy {
  const c = d.config;
  return { deployment: c.id, provider: c.provider, region: c.region, model: c.model, group: plan.group?.config.name, attempts: 1, requestId, failed: undefined };
}
