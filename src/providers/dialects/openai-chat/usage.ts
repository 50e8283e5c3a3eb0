import { makeUsage, type Usage } from '../../../core/types.js';

/** The OpenAI usage object as it travels on the wire. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Wire usage to canonical usage. OpenAI's prompt_tokens already include cached tokens. */
export function decodeUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const promptDetails = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const completionDetails = (u.completion_tokens_details ?? {}) as Record<string, unknown>;
  return makeUsage({
    prompt: num(u.prompt_tokens),
    completion: num(u.completion_tokens),
    cachedRead: num(promptDetails.cached_tokens),
    cachedWrite: num(promptDetails.cache_write_tokens),
    reasoning: num(completionDetails.reasoning_tokens),
    total: typeof u.total_tokens === 'number' ? u.total_tokens : undefined,
  });
}

/** Canonical usage to the OpenAI wire shape, cache and reasoning details included. */
export function encodeUsage(usage: Usage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.total,
    prompt_tokens_details: { cached_tokens: usage.cachedRead },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
  if (usage.cachedWrite > 0) out.prompt_tokens_details = { cached_tokens: usage.cachedRead, cache_write_tokens: usage.cachedWrite };
  return out;
}
