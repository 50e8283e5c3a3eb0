import { makeUsage, optionalTokenCount, tokenCount, type Usage } from '../../../core/types.js';
import type { GeminiUsageMetadata } from './wire.js';

/**
 * usageMetadata to canonical usage. promptTokenCount already includes cached content tokens;
 * tool-use prompt tokens are input too. Gemini counts thinking tokens apart from candidates, while
 * canonical completion includes reasoning, so completion = candidates + thoughts. A count that is
 * not one makes the usage unknown (the gateway estimates it).
 */
export function decodeUsageMetadata(raw: GeminiUsageMetadata | undefined): Usage | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const prompt = tokenCount(raw.promptTokenCount);
  const toolPrompt = optionalTokenCount(raw.toolUsePromptTokenCount);
  const candidates = optionalTokenCount(raw.candidatesTokenCount);
  const thoughts = optionalTokenCount(raw.thoughtsTokenCount);
  const cached = optionalTokenCount(raw.cachedContentTokenCount);
  if (prompt === undefined || toolPrompt === undefined || candidates === undefined || thoughts === undefined || cached === undefined) return undefined;
  return makeUsage({
    prompt: prompt + toolPrompt,
    completion: candidates + thoughts,
    cachedRead: Math.min(cached, prompt),
    reasoning: thoughts,
  });
}
