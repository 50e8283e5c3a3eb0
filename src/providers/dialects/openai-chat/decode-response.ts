import { GatewayError } from '../../../core/errors.js';
import { isObject } from '../../../core/json.js';
import type { AssistantPart, ChatResponse, EmbeddingResponse, JsonObject, Warning } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import { decodeUsage } from './usage.js';
import { mapFinishReason } from './finish-reason.js';
import { azureFilterResults } from './azure-filters.js';

/** Whose reasoning the parts this dialect decodes are: OpenAI-compatible servers sign none of it. */
export const REASONING_PROVIDER = 'openai';

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

/** The answer's parts in order: reasoning, text, tool calls. */
function decodeContent(msg: Record<string, unknown>): AssistantPart[] {
  const content: AssistantPart[] = [];
  const reasoning = reasoningOf(msg);
  if (reasoning !== undefined) content.push({ type: 'reasoning', text: reasoning, provider: REASONING_PROVIDER });
  if (typeof msg.content === 'string') content.push({ type: 'text', text: msg.content });
  if (Array.isArray(msg.tool_calls)) {
    for (const tc of msg.tool_calls as unknown[]) {
      if (!isObject(tc)) continue;
      const fn = isObject(tc.function) ? tc.function : {};
      content.push({
        type: 'tool-call',
        id: typeof tc.id === 'string' ? tc.id : '',
        name: typeof fn.name === 'string' ? fn.name : '',
        arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
      });
    }
  }
  return content;
}

/** A non-streaming chat completion from the wire into the canonical response; `warnings` come from encoding. */
export function decodeChatResponse(raw: unknown, provider: string, warnings?: Warning[]): ChatResponse {
  if (!isObject(raw)) throw malformed(provider, 'not an object');
  const choices = raw.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw malformed(provider, 'no choices');
  const choice = choices[0] as Record<string, unknown>;
  const msg = choice.message;
  if (!isObject(msg)) throw malformed(provider, 'choice without message');
  const usage = decodeUsage(raw.usage);
  const response: ChatResponse = {
    id: typeof raw.id === 'string' ? raw.id : '',
    model: typeof raw.model === 'string' ? raw.model : '',
    created: typeof raw.created === 'number' ? raw.created : Math.floor(Date.now() / 1000),
    content: decodeContent(msg),
    finishReason: mapFinishReason(choice.finish_reason),
    usage: usage ?? ZERO_USAGE,
  };
  if (typeof msg.refusal === 'string') response.refusal = msg.refusal;
  // No usage (some self-hosted servers): served, with the usage the gateway estimates.
  if (!usage) response.usageEstimated = true;
  else response.rawUsage = raw.usage as JsonObject;
  if (warnings) response.warnings = warnings;
  const filters = azureFilterResults(raw);
  if (filters) response.providerMetadata = { azure: filters };
  return response;
}

export function decodeEmbeddingResponse(raw: unknown, provider: string): EmbeddingResponse {
  if (!isObject(raw)) throw malformed(provider, 'not an object');
  if (!Array.isArray(raw.data)) throw malformed(provider, 'no data');
  const rows = (raw.data as Array<Record<string, unknown>>).slice().sort((a, b) => Number(a.index) - Number(b.index));
  const embeddings = rows.map((r) => {
    if (!Array.isArray(r.embedding)) throw malformed(provider, 'embedding is not an array');
    return r.embedding as number[];
  });
  const usage = decodeUsage(raw.usage) ?? ZERO_USAGE;
  return { model: typeof raw.model === 'string' ? raw.model : '', embeddings, usage: { ...usage, total: usage.prompt } };
}
