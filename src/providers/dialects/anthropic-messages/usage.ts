import { makeUsage, tokenCount, type Usage } from '../../../core/types.js';

/** The token counts of an Anthropic usage object; absent fields are undefined, not zero. */
export interface AnthropicTokenCounts {
  input?: number;
  output?: number;
  cacheWrite?: number;
  /** `cache_creation.ephemeral_1h_input_tokens`: the part of `cacheWrite` cached for an hour (priced higher). */
  cacheWrite1h?: number;
  cacheRead?: number;
  /** `output_tokens_details.thinking_tokens`: the reasoning inside `output`, counted by Anthropic. */
  thinking?: number;
}

/** Reads the counts an Anthropic usage object carries (message_delta may carry only some). */
export function readTokenCounts(raw: unknown): AnthropicTokenCounts {
  if (raw === null || typeof raw !== 'object') return {};
  const u = raw as Record<string, unknown>;
  const out: AnthropicTokenCounts = {};
  // A count that is not one is left out, as if not sent: the decoders then estimate what is missing.
  const input = tokenCount(u.input_tokens);
  if (input !== undefined) out.input = input;
  const output = tokenCount(u.output_tokens);
  if (output !== undefined) out.output = output;
  const cacheWrite = tokenCount(u.cache_creation_input_tokens);
  if (cacheWrite !== undefined) out.cacheWrite = cacheWrite;
  const cacheWrite1h = tokenCount((u.cache_creation as { ephemeral_1h_input_tokens?: unknown } | null | undefined)?.ephemeral_1h_input_tokens);
  if (cacheWrite1h !== undefined) out.cacheWrite1h = cacheWrite1h;
  const cacheRead = tokenCount(u.cache_read_input_tokens);
  if (cacheRead !== undefined) out.cacheRead = cacheRead;
  const thinking = tokenCount((u.output_tokens_details as { thinking_tokens?: unknown } | null | undefined)?.thinking_tokens);
  if (thinking !== undefined) out.thinking = thinking;
  return out;
}

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; canonical `prompt` includes them,
 * so the three are added (a ledger then prices the cached parts from cachedRead/cachedWrite).
 */
export function toCanonicalUsage(c: AnthropicTokenCounts): Usage {
  const cacheRead = c.cacheRead ?? 0;
  const cacheWrite = c.cacheWrite ?? 0;
  return makeUsage({
    prompt: (c.input ?? 0) + cacheRead + cacheWrite,
    completion: c.output ?? 0,
    // Counted when Anthropic says; otherwise the decoders estimate it from the thinking text.
    reasoning: Math.min(c.thinking ?? 0, c.output ?? 0),
    cachedRead: cacheRead,
    cachedWrite: cacheWrite,
    // makeUsage keeps it within cachedWrite: a breakdown larger than its total is not believed past it.
    cachedWrite1h: c.cacheWrite1h,
  });
}

/** An Anthropic wire usage object to canonical usage. */
export function decodeAnthropicUsage(raw: unknown): Usage {
  return toCanonicalUsage(readTokenCounts(raw));
}
