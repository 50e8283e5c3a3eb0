import { GatewayError } from '../../../core/errors.js';
import type { AssistantMessage, ChatResponse, ToolCall } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import type { GeminiResponse } from './wire.js';
import { NAMESPACE, firstCandidate, malformedCall, partsOf, vertexExtension } from './candidate.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { toolCallId } from './tool-ids.js';

/** A generateContent answer into the canonical response. */
export function decodeGenerateContentResponse(raw: unknown, provider: string, now: () => number = Date.now): ChatResponse {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} returned a malformed response.`, provider });
  }
  const body = raw as GeminiResponse;
  const candidate = firstCandidate(body, provider);
  const malformed = malformedCall(candidate, provider);
  if (malformed) throw malformed;
  const { text, reasoning, calls } = partsOf(candidate);
  const message: AssistantMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (calls.length > 0) {
    message.tool_calls = calls.map((c, i): ToolCall => {
      const args = JSON.stringify(c.args ?? {});
      return { id: c.id ?? toolCallId(body.responseId, i, c.name, args), type: 'function', function: { name: c.name, arguments: args } };
    });
  }
  const created = body.createTime ? Math.floor(Date.parse(body.createTime) / 1000) : NaN;
  const usage = decodeUsageMetadata(body.usageMetadata);
  const response: ChatResponse = {
    id: body.responseId ?? '',
    model: body.modelVersion ?? '',
    created: Number.isFinite(created) ? created : Math.floor(now() / 1000),
    message,
    finishReason: mapFinishReason(candidate.finishReason, calls.length > 0),
    usage: usage ?? ZERO_USAGE,
    extensions: { [NAMESPACE]: vertexExtension(body, candidate) },
  };
  // No usageMetadata: served, with the usage the gateway estimates.
  if (!usage) response.usageEstimated = true;
  return response;
}
