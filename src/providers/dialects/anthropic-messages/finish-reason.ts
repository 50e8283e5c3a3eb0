import type { FinishReason } from '../../../core/types.js';

/**
 * Anthropic stop_reason to canonical. pause_turn (a server-tool loop paused, to be continued by the
 * caller) has no canonical equivalent and maps to stop; the raw value is kept in providerMetadata.
 */
export function mapStopReason(raw: unknown): FinishReason {
  switch (raw) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}
