import { makeUsage, type Usage } from '../../../core/types.js';

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** The token counts of an Anthropic usage object; absent fields are undefined, not zero. */
export interface AnthropicTokenCounts {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheRead?: number;
  /** `output_tokens_details.thinking_tokens`: the reasoning inside `output`, counted by Anthropic. */
  thinking?: number;
}

/** Reads the counts an Anthropic usage object carries (message_delta may carry only some). */
export function readTokenCounts(raw: unknown): AnthropicTokenCounts {
  if (raw === null || typeof raw !== 'object') return {};
  const u = raw as Record<string, unknown>;
  const out: AnthropicTokenCounts = {};
  if (typeof u.input_tokens === 'number') out.input = num(u.input_tokens);
  if (typeof u.output_tokens === 'number') out.output = num(u.output_tokens);
  if (typeof u.cache_creation_input_tokens === 'number') out.cacheWrite = num(u.cache_creation_input_tokens);
  if (typeof u.cache_read_input_tokens === 'number') out.cacheRead = num(u.cache_read_input_tokens);
  const details = u.output_tokens_details as { thinking_tokens?: unknown } | null | undefined;
  if (typeof details?.thinking_tokens === 'number') out.thinking = num(details.thinking_tokens);
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
  });
}

/** An Anthropic wire usage object to canonical usage. */
export function decodeAnthropicUsage(raw: unknown): Usage {
  return toCanonicalUsage(readTokenCounts(raw));
}
