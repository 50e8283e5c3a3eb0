import type { ChatRequest } from '../core/types.js';
import type { Capability } from './deployment.js';
import { refusedMediaUrl, type MediaUrls } from './media-urls.js';
import type { Deployment } from './router.js';

/** What a request demands of the deployment that serves it. */
export interface Needs {
  capabilities: readonly Capability[];
  promptTokens: number;
  /**
   * The prompt at the least its images and documents may cost (`estimatePrompt`'s floor), for the
   * context-window check; `promptTokens` when absent.
   */
  contextTokens?: number;
  /**
   * What the prompt likely costs (`estimatePrompt`'s `likely`), billed when an upstream reports no usage
   * or an attempt fails after it was sent; `promptTokens`, the most it may cost, which admission
   * reserves, when absent. Not read by routing.
   */
  billedPromptTokens?: number;
  /** Geography every deployment must be tagged with (from the request or its API key). */
  residency: string | undefined;
  /** The completion-token limit the client set, and under which name; absent when it set none. */
  maxTokens?: { value: number; param: string };
  /** Media the request gives by URL, checked against each deployment's `media_urls`; absent when none. */
  mediaUrls?: MediaUrls | undefined;
}

/** The prompt tokens billed when an upstream reports none (`Needs.billedPromptTokens`). */
export function billedPrompt(needs: Needs): number {
  return needs.billedPromptTokens ?? needs.promptTokens;
}

/** Filter stages in the order they apply; the stage that removed the last candidate names the error. */
export const Stage = { Residency: 0, Capabilities: 1, MediaUrls: 2, ContextWindow: 3, OutputLimit: 4, Drained: 5, Health: 6, Cooling: 7, Quota: 8, Passed: 9 } as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/**
 * The completion-token limit a chat request sets, named as the client named it (`param`, the front
 * door's own name for it) so that a refusal speaks the client's language; absent when it set none.
 */
export function outputLimit(req: ChatRequest, param = 'maxOutputTokens'): Needs['maxTokens'] {
  return req.maxOutputTokens === undefined ? undefined : { value: req.maxOutputTokens, param };
}

/** Capabilities a chat request needs: tools, vision (any image part), files (any file part), json mode, streaming. */
export function chatCapabilities(req: ChatRequest, streaming: boolean): Capability[] {
  const caps: Capability[] = [];
  if (req.tools && req.tools.length > 0) caps.push('tools');
  if (req.responseFormat && req.responseFormat.type !== 'text') caps.push('json');
  if (streaming) caps.push('streaming');
  let vision = false;
  let files = false;
  for (const m of req.messages) {
    // Users send images and files; tools may return images.
    if (m.role !== 'user' && m.role !== 'tool') continue;
    for (const p of m.content) {
      if (p.type === 'image') vision = true;
      else if (p.type === 'file') files = true;
    }
  }
  if (vision) caps.push('vision');
  if (files) caps.push('files');
  return caps;
}

function hasCapabilities(d: Deployment, needed: readonly Capability[]): boolean {
  const declared = d.config.capabilities;
  // Undeclared, a deployment is taken to do everything but what its provider knows it never does.
  if (declared === undefined) return !(d.provider.embeds === false && needed.includes('embeddings'));
  for (const c of needed) if (!declared.includes(c)) return false;
  return true;
}

/**
 * The first stage a deployment fails for this request, or Stage.Passed. Residency is checked first and
 * is never waived: no later stage (or fallback) can bring back a deployment outside the geography.
 * `checkHealth` false (an explicit choice) waives the breaker, not a 429 cool-down: the upstream asked
 * for that wait, and calling it sooner only earns another 429. Nor the quota, which would earn one. Nor a
 * drain: an operator (or a spot interruption) took the deployment out so that no request starts there.
 */
export function firstFailedStage(d: Deployment, needs: Needs, now: number, checkHealth: boolean): Stage {
  if (needs.residency !== undefined && !d.config.tags.includes(needs.residency)) return Stage.Residency;
  if (needs.capabilities.length > 0 && !hasCapabilities(d, needs.capabilities)) return Stage.Capabilities;
  if (needs.mediaUrls !== undefined && refusedMediaUrl(d.config.media_urls, needs.mediaUrls) !== undefined) return Stage.MediaUrls;
  const window = d.config.context_window;
  if (window !== undefined && (needs.contextTokens ?? needs.promptTokens) > window) return Stage.ContextWindow;
  const maxOutput = d.config.max_output_tokens;
  if (maxOutput !== undefined && needs.maxTokens !== undefined && needs.maxTokens.value > maxOutput) return Stage.OutputLimit;
  if (d.state.drain.drained) return Stage.Drained;
  if (checkHealth && !d.state.breaker.allows(now)) return Stage.Health;
  if (d.state.coolingUntil > now) return Stage.Cooling;
  if (d.state.quota?.full(now, quotaTokens(needs)) === true) return Stage.Quota;
  return Stage.Passed;
}

/** Tokens a request is counted for against a deployment's quota: the prompt estimate plus its output limit. */
export function quotaTokens(needs: Needs): number {
  return needs.promptTokens + (needs.maxTokens?.value ?? 0);
}

/** When a deployment held back at `stage` may serve again, if anything says so. */
export function availableAt(d: Deployment, stage: Stage, now: number): number | undefined {
  if (stage === Stage.Cooling) return d.state.coolingUntil;
  if (stage === Stage.Quota) return d.state.quota?.freesAt(now);
  if (stage === Stage.Health) return d.state.breaker.retryAt(now);
  return undefined;
}
