import { GatewayError } from '../../../core/errors.js';
import type { AssistantMessage, ChatResponse, JsonObject, JsonValue, ToolCall } from '../../../core/types.js';
import { mapStopReason } from './finish-reason.js';
import { decodeAnthropicUsage } from './usage.js';
import { withReasoningTokens } from '../../../core/estimate.js';

/** Namespace of Anthropic-specific fields in `ChatResponse.extensions` and stream extension parts. */
export const ANTHROPIC_NAMESPACE = 'anthropic';

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} returned a malformed response: ${what}.`, provider });
}

/** Whether the answer says what it cost: a usage object with input and output counts. */
function hasTokenCounts(usage: unknown): boolean {
  return usage !== null && typeof usage === 'object' && typeof (usage as Record<string, unknown>).input_tokens === 'number' && typeof (usage as Record<string, unknown>).output_tokens === 'number';
}

/**
 * A Messages API response to the canonical response. Text blocks join into `content`, tool_use blocks
 * become tool calls, thinking text becomes `reasoning_content`; every other block (thinking blocks with
 * their signatures too, server tools...) and the raw stop_reason, stop sequence and usage are kept
 * under `extensions.anthropic`. An answer without usage is served with `usageEstimated`.
 */
export function decodeMessagesResponse(json: unknown, provider: string): ChatResponse {
  if (json === null || typeof json !== 'object') throw malformed(provider, 'not an object');
  const body = json as Record<string, unknown>;
  if (!Array.isArray(body.content)) throw malformed(provider, 'no content array');
  let text = '';
  let sawText = false;
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  const otherBlocks: JsonValue[] = [];
  const citations: JsonValue[] = [];
  for (const raw of body.content as unknown[]) {
    if (raw === null || typeof raw !== 'object') throw malformed(provider, 'content block is not an object');
    const block = raw as Record<string, unknown>;
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text;
      sawText = true;
      if (Array.isArray(block.citations)) citations.push(...(block.citations as JsonValue[]));
    } else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    } else {
      if (block.type === 'thinking' && typeof block.thinking === 'string') reasoning += block.thinking;
      otherBlocks.push(block as JsonObject);
    }
  }
  const message: AssistantMessage = { role: 'assistant', content: sawText || toolCalls.length === 0 ? text : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '') message.reasoning_content = reasoning;
  const ext: JsonObject = { stop_reason: typeof body.stop_reason === 'string' ? body.stop_reason : null };
  if (typeof body.stop_sequence === 'string') ext.stop_sequence = body.stop_sequence;
  if (body.usage && typeof body.usage === 'object') ext.usage = body.usage as JsonObject;
  if (otherBlocks.length > 0) ext.content_blocks = otherBlocks;
  if (citations.length > 0) ext.citations = citations;
  const response: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    created: Math.floor(Date.now() / 1000),
    message,
    finishReason: mapStopReason(body.stop_reason),
    usage: withReasoningTokens(decodeAnthropicUsage(body.usage), reasoning.length),
    extensions: { [ANTHROPIC_NAMESPACE]: ext },
  };
  if (!hasTokenCounts(body.usage)) response.usageEstimated = true;
  return response;
}
