import type { FinishReason } from '../../../core/types.js';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/**
 * Gemini finishReason to canonical. A function call in the answer makes it `tool_calls` whatever the
 * wire says (Gemini reports STOP). MALFORMED_FUNCTION_CALL and UNEXPECTED_TOOL_CALL are not mapped here: decoders raise them.
 */
export function mapFinishReason(raw: string | undefined, hasFunctionCall: boolean): FinishReason {
  if (raw !== undefined && FILTERED.has(raw)) return 'content_filter';
  if (hasFunctionCall) return 'tool_calls';
  if (raw === 'MAX_TOKENS') return 'length';
  return 'stop';
}
