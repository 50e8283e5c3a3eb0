import { makeUsage, optionalTokenCount, tokenCount, type Usage } from '../../../core/types.js';

/** The OpenAI usage object as it travels on the wire. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number; accepted_prediction_tokens?: number; rejected_prediction_tokens?: number };
}

/**
 * Wire usage to canonical usage. OpenAI's prompt_tokens already include cached tokens. Counts that are
 * not counts (text, negative, fractional, absurd) make the usage unknown, so the gateway estimates it;
 * parts larger than their whole are cut to it.
 */
export function decodeUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const prompt = tokenCount(u.prompt_tokens);
  const completion = optionalTokenCount(u.completion_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  const promptDetails = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const completionDetails = (u.completion_tokens_details ?? {}) as Record<string, unknown>;
  const cachedRead = Math.min(tokenCount(promptDetails.cached_tokens) ?? 0, prompt);
  return makeUsage({
    prompt,
    completion,
    cachedRead,
    cachedWrite: Math.min(tokenCount(promptDetails.cache_write_tokens) ?? 0, prompt - cachedRead),
    reasoning: Math.min(tokenCount(completionDetails.reasoning_tokens) ?? 0, completion),
  });
}

/**
 * Canonical usage to the OpenAI wire shape, cache and reasoning details included, with every detail
 * OpenAI always sends in its order (no upstream's audio or predicted-output tokens reach the gateway: 0).
 */
export function encodeUsage(usage: Usage): OpenAIUsage {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.total,
    prompt_tokens_details:
      usage.cachedWrite > 0 ? { cached_tokens: usage.cachedRead, audio_tokens: 0, cache_write_tokens: usage.cachedWrite } : { cached_tokens: usage.cachedRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
