import { GatewayError } from '../../../core/errors.js';
import type { AssistantMessage, ChatResponse, JsonObject, ToolCall } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import { withReasoningTokens } from '../../../core/estimate.js';
import { mapStopReason } from './finish-reason.js';
import { decodeBedrockUsage } from './usage.js';

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} returned a malformed response: ${what}.`, provider });
}

/**
 * A Converse response to the canonical response. Bedrock has no response id, so the caller supplies
 * one (the request id). Reasoning text becomes `reasoning_content`; the stop reason, metrics and
 * guardrail traces are kept under `extensions.bedrock`. An answer without a stop reason is malformed;
 * one without usage is served with `usageEstimated` (the gateway counts it).
 */
export function decodeConverseResponse(raw: unknown, provider: string, id: string, model: string, created: number): ChatResponse {
  if (raw === null || typeof raw !== 'object') throw malformed(provider, 'not an object');
  const body = raw as Record<string, unknown>;
  const output = body.output as { message?: { content?: unknown } } | undefined;
  const content = output?.message?.content;
  if (!Array.isArray(content)) throw malformed(provider, 'no output message');
  if (typeof body.stopReason !== 'string') throw malformed(provider, 'no stopReason');
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  // Kept whole (signatures, redacted reasoning): a client must send them back to continue with thinking.
  const reasoningBlocks: JsonObject[] = [];
  for (const block of content as Array<Record<string, unknown>>) {
    if (typeof block.text === 'string') text += block.text;
    else if (block.toolUse && typeof block.toolUse === 'object') {
      const tu = block.toolUse as { toolUseId?: unknown; name?: unknown; input?: unknown };
      toolCalls.push({
        id: typeof tu.toolUseId === 'string' ? tu.toolUseId : `call_${toolCalls.length}`,
        type: 'function',
        function: { name: typeof tu.name === 'string' ? tu.name : '', arguments: JSON.stringify(tu.input ?? {}) },
      });
    } else if (block.reasoningContent && typeof block.reasoningContent === 'object') {
      const rt = (block.reasoningContent as { reasoningText?: { text?: unknown } }).reasoningText?.text;
      if (typeof rt === 'string') reasoning += rt;
      reasoningBlocks.push(block.reasoningContent as JsonObject);
    }
  }
  const message: AssistantMessage = { role: 'assistant', content: toolCalls.length > 0 && text === '' ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '') message.reasoning_content = reasoning;
  const ext: JsonObject = { stopReason: body.stopReason };
  if (body.metrics && typeof body.metrics === 'object') ext.metrics = body.metrics as JsonObject;
  if (body.trace && typeof body.trace === 'object') ext.trace = body.trace as JsonObject;
  if (reasoningBlocks.length > 0) ext.reasoningContent = reasoningBlocks;
  const usage = decodeBedrockUsage(body.usage);
  const response: ChatResponse = {
    id,
    model,
    created,
    message,
    finishReason: mapStopReason(body.stopReason),
    usage: usage ? withReasoningTokens(usage, reasoning.length) : ZERO_USAGE,
    extensions: { bedrock: ext },
  };
  if (!usage) response.usageEstimated = true;
  return response;
}
