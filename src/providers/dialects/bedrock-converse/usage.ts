import { makeUsage, type Usage } from '../../../core/types.js';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * Converse usage to canonical. Bedrock's `inputTokens` counts only uncached input, so the cache read
 * and write tokens are added into `prompt` (canonical prompt includes them) and the total recomputed.
 */
export function decodeBedrockUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const cachedRead = num(u.cacheReadInputTokens);
  const cachedWrite = num(u.cacheWriteInputTokens);
  const prompt = num(u.inputTokens) + cachedRead + cachedWrite;
  const completion = num(u.outputTokens);
  return makeUsage({ prompt, completion, cachedRead, cachedWrite, total: prompt + completion });
}
