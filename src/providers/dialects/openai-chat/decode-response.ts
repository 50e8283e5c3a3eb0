import { GatewayError } from '../../../core/errors.js';
import type { AssistantMessage, ChatResponse, EmbeddingResponse, JsonObject, ToolCall } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import { decodeUsage } from './usage.js';
import { mapFinishReason } from './finish-reason.js';

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} returned a malformed response: ${what}.`, provider });
}

/**
 * Reasoning text of a message or delta: `reasoning_content` (vLLM, DeepSeek), or `reasoning` as newer
 * vLLM versions and some gateways name it.
 */
export function reasoningOf(m: Record<string, unknown>): string | undefined {
  const r = m.reasoning_content ?? m.reasoning;
  return typeof r === 'string' && r !== '' ? r : undefined;
}

/** A non-streaming chat completion from the wire into the canonical response. */
export function decodeChatResponse(raw: unknown, provider: string): ChatResponse {
  if (raw === null || typeof raw !== 'object') throw malformed(provider, 'not an object');
  const body = raw as Record<string, unknown>;
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw malformed(provider, 'no choices');
  const choice = choices[0] as Record<string, unknown>;
  const msg = choice.message as Record<string, unknown> | undefined;
  if (!msg || typeof msg !== 'object') throw malformed(provider, 'choice without message');
  const message: AssistantMessage = {
    role: 'assistant',
    content: typeof msg.content === 'string' ? msg.content : null,
  };
  if (Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0) message.tool_calls = msg.tool_calls as ToolCall[];
  if (typeof msg.refusal === 'string') message.refusal = msg.refusal;
  const reasoning = reasoningOf(msg);
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  const usage = decodeUsage(body.usage);
  const response: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    created: typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000),
    message,
    finishReason: mapFinishReason(choice.finish_reason),
    usage: usage ?? ZERO_USAGE,
  };
  // No usage (some self-hosted servers): served, with the usage the gateway estimates.
  if (!usage) response.usageEstimated = true;
  const filter = (choice.content_filter_results ?? body.prompt_filter_results) as JsonObject | undefined;
  if (filter) response.extensions = { azure: { content_filter_results: filter } };
  return response;
}

export function decodeEmbeddingResponse(raw: unknown, provider: string): EmbeddingResponse {
  if (raw === null || typeof raw !== 'object') throw malformed(provider, 'not an object');
  const body = raw as Record<string, unknown>;
  if (!Array.isArray(body.data)) throw malformed(provider, 'no data');
  const rows = (body.data as Array<Record<string, unknown>>).slice().sort((a, b) => Number(a.index) - Number(b.index));
  const embeddings = rows.map((r) => {
    if (!Array.isArray(r.embedding)) throw malformed(provider, 'embedding is not an array');
    return r.embedding as number[];
  });
  const usage = decodeUsage(body.usage) ?? ZERO_USAGE;
  return { model: typeof body.model === 'string' ? body.model : '', embeddings, usage: { ...usage, total: usage.prompt } };
}
