import type { FinishReason } from '../../../core/types.js';

/** OpenAI finish reasons to canonical; `function_call` is the legacy name of tool_calls. */
export function mapFinishReason(raw: unknown): FinishReason {
  switch (raw) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}
