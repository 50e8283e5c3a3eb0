import { makeUsage, type Usage } from '../../../core/types.js';
import type { GeminiUsageMetadata } from './wire.js';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * usageMetadata to canonical usage. promptTokenCount already includes cached content tokens;
 * tool-use prompt tokens are input too. Gemini counts thinking tokens apart from candidates, while
 * canonical completion includes reasoning, so completion = candidates + thoughts.
 */
export function decodeUsageMetadata(raw: GeminiUsageMetadata | undefined): Usage | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const thoughts = num(raw.thoughtsTokenCount);
  return makeUsage({
    prompt: num(raw.promptTokenCount) + num(raw.toolUsePromptTokenCount),
    completion: num(raw.candidatesTokenCount) + thoughts,
    cachedRead: num(raw.cachedContentTokenCount),
    reasoning: thoughts,
  });
}
