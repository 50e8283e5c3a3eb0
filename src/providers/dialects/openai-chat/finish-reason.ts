import type { FinishReason } from '../../../core/types.js';

/**
 * OpenAI finish reasons to canonical; `function_call` is the legacy name of tool_calls. An answer with
 * tool calls that says `stop` (OpenAI for a named tool_choice, some vLLM and Ollama versions) is
 * `tool_calls`: clients of other doors run the tools only on that reason.
 */
export function mapFinishReason(raw: unknown, hasToolCalls = false): FinishReason {
  switch (raw) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
