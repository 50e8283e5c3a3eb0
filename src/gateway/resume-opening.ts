import type { AdmissionTicket } from '../core/events.js';
import { estimatePrompt } from '../core/estimate.js';
import type { ChatRequest, StreamPart } from '../core/types.js';
import type { Needs } from '../routing/filters.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import { takeBilled, type RequestMeta } from './observe.js';
import type { OpenedAttempt, StreamOpening } from './open-stream.js';
import { continuationRequest, notContinued, resumable, type Resume } from './resume.js';
import type { StreamSettlement } from './stream.js';

/** What a resumable stream needs of the gateway: opening a stream, admitting a continuation, and where one may go. */
export interface ResumePorts {
  open(opening: StreamOpening): Promise<OpenedAttempt>;
  admitContinuation(meta: RequestMeta, targets: readonly Deployment[], promptTokens: number, maxTokens: number | undefined, request: ChatRequest): Promise<AdmissionTicket>;
  resumeTargets(plan: RoutePlan, needs: Needs, tried: ReadonlySet<string>): readonly Deployment[];
}

/** A stream that, broken after its first content part, continues on another deployment (`stream_resume`). */
export async function openResumable(ports: ResumePorts, opening: StreamOpening, request: ChatRequest): Promise<{ parts: AsyncIterable<StreamPart>; first: OpenedAttempt }> {
  const { plan, meta, opts, needs, ticket, deployments } = opening;
  const tried = new Set<string>();
  let broken: StreamSettlement | undefined;
  const first = await ports.open({ plan, meta, opts, needs, ticket, deployments, requestFor: () => request, tried, onSettled: (s) => (broken = s) });
  const resume: Resume = async (sent, error) => {
    const settled = broken;
    if (!settled) return error;
    // Filtered and admitted as the longer of the two continuation requests (the instruction one).
    const longest = continuationRequest(request, sent, false);
    const continued = estimatePrompt(longest);
    const more: Needs = { ...needs, promptTokens: continued.tokens, contextTokens: continued.floor, billedPromptTokens: continued.likely };
    const targets = ports.resumeTargets(plan, more, tried);
    if (targets.length === 0) return error;
    // Said outright: the first ticket, released when the broken attempt settled, no longer tells the limiter.
    const admitted = await ports.admitContinuation(meta, targets, more.promptTokens, longest.maxOutputTokens, longest);
    const from = first.attempt.deployment.config;
    const spent = { deployment: from.id, provider: from.provider, model: from.model, region: from.region, usage: settled.usage, estimated: settled.usageEstimated };
    let next: OpenedAttempt;
    try {
      next = await ports.open({
        plan,
        meta,
        opts,
        needs: more,
        ticket: admitted,
        deployments: targets,
        requestFor: (d) => continuationRequest(request, sent, d.provider.prefill === true),
        tried,
        continues: { attempts: first.attempt.number, cause: 'stream_resume', from: from.id },
      });
    } catch {
      // The break stands; attempts billed while trying (a timeout after the send) are the request's cost too.
      return notContinued(error, spent, takeBilled(meta));
    }
    const to = next.attempt.deployment.config;
    return {
      parts: next.parts,
      from: from.id,
      to: to.id,
      spent,
      continuing: { deployment: to.id, provider: to.provider, model: to.model, region: to.region },
      failed: takeBilled(meta),
    };
  };
  return { parts: resumable(first.parts, resume), first };
}
