import type { FinishReason } from '../../../core/types.js';

/**
 * Converse stopReason to canonical. A guardrail or the model's own filter is a content filter; a
 * window overflow mid-answer is a truncation like max_tokens.
 */
export function mapStopReason(raw: unknown): FinishReason {
  switch (raw) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}
