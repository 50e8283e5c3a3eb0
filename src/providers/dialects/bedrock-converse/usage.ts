import { makeUsage, optionalTokenCount, tokenCount, type Usage } from '../../../core/types.js';

/**
 * Converse usage to canonical. Bedrock's `inputTokens` counts only uncached input, so the cache read
 * and write tokens are added into `prompt` (canonical prompt includes them) and the total recomputed.
 * A count that is not one makes the usage unknown (the gateway estimates it).
 */
export function decodeBedrockUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const input = tokenCount(u.inputTokens);
  const completion = tokenCount(u.outputTokens);
  const cachedRead = optionalTokenCount(u.cacheReadInputTokens);
  const cachedWrite = optionalTokenCount(u.cacheWriteInputTokens);
  if (input === undefined || completion === undefined || cachedRead === undefined || cachedWrite === undefined) return undefined;
  const prompt = input + cachedRead + cachedWrite;
  return makeUsage({ prompt, completion, cachedRead, cachedWrite, total: prompt + completion });
}
