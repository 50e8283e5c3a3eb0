import { makeUsage, optionalTokenCount, tokenCount, type Usage } from '../../../core/types.js';

/**
 * The one-hour part of a Converse cache write: `cacheDetails` lists the writes by TTL. Undefined when
 * there is no breakdown (or one with a count that is not one), so the write is priced as a whole.
 */
function oneHourWrites(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  let tokens = 0;
  for (const d of details as unknown[]) {
    if (d === null || typeof d !== 'object') return undefined;
    const detail = d as Record<string, unknown>;
    const count = tokenCount(detail.inputTokens);
    if (count === undefined) return undefined;
    if (detail.ttl === '1h') tokens += count;
  }
  return tokens;
}

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
  return makeUsage({ prompt, completion, cachedRead, cachedWrite, cachedWrite1h: oneHourWrites(u.cacheDetails), total: prompt + completion });
}
