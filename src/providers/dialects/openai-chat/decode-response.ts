import { GatewayError } from '../../../core/errors.js';
import { isObject } from '../../../core/json.js';
import type { AssistantPart, ChatResponse, EmbeddingResponse, JsonObject, ServedAs, Usage, Warning } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import { decodeUsage } from './usage.js';
import { mapFinishReason } from './finish-reason.js';
import { azureFilterResults } from './azure-filters.js';
import { mapOpenAIStreamError } from './map-error.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { presentNot } from '../field-type.js';
import { answerChunks } from './content-chunks.js';

/** Whose reasoning the parts this dialect decodes are: OpenAI-compatible servers sign none of it. */
export const REASONING_PROVIDER = 'openai';

function malformed(upstream: UpstreamRef, what: string, paidUsage?: Usage): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response: ${what}.`, provider: providerOf(upstream), paidUsage });
}

/**
 * Reasoning text of a message or delta: `reasoning_content` (vLLM, DeepSeek), or `reasoning` as newer
 * vLLM versions and some gateways name it.
 */
export function reasoningOf(m: Record<string, unknown>): string | undefined {
  const r = m.reasoning_content ?? m.reasoning;
  return typeof r === 'string' && r !== '' ? r : undefined;
}

/**
 * The answer's parts in order: reasoning, text, tool calls. A tool call without a function name is a
 * malformed answer; one without an id gets one by its place (a client needs it to answer the call).
 * `contentChunks`: the upstream is Mistral's API, whose content may also be a list of typed chunks.
 */
function decodeContent(msg: Record<string, unknown>, upstream: UpstreamRef, usage: Usage | undefined, contentChunks: boolean): AssistantPart[] {
  const content: AssistantPart[] = [];
  const reasoning = reasoningOf(msg);
  if (reasoning !== undefined) content.push({ type: 'reasoning', text: reasoning, provider: REASONING_PROVIDER });
  // `content: null` is OpenAI's for an answer of tool calls or a refusal; any other non-text is no answer to serve as empty.
  if (typeof msg.content === 'string') content.push({ type: 'text', text: msg.content });
  else if (contentChunks && Array.isArray(msg.content)) {
    const problem = answerChunks(msg.content, content);
    if (problem !== undefined) throw malformed(upstream, problem, usage);
  } else if (presentNot(msg.content, 'string')) throw malformed(upstream, 'message content that is not text', usage);
  if (msg.tool_calls !== undefined && msg.tool_calls !== null && !Array.isArray(msg.tool_calls)) throw malformed(upstream, 'tool_calls that are not a list', usage);
  if (Array.isArray(msg.tool_calls)) {
    (msg.tool_calls as unknown[]).forEach((tc, i) => {
      const fn = isObject(tc) && isObject(tc.function) ? tc.function : undefined;
      if (!isObject(tc) || typeof fn?.name !== 'string' || fn.name === '') throw malformed(upstream, 'a tool call without a function name', usage);
      // Arguments are JSON text on this API (Ollama's own API sends an object): a client would run the tool with none.
      if (presentNot(fn.arguments, 'string')) throw malformed(upstream, 'tool call arguments that are not a string', usage);
      content.push({
        type: 'tool-call',
        id: typeof tc.id === 'string' && tc.id !== '' ? tc.id : `call_${i}`,
        name: fn.name,
        arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
      });
    });
  }
  return content;
}

/**
 * A non-streaming chat completion from the wire into the canonical response; `warnings` come from
 * encoding; `contentChunks`: the upstream is Mistral's API (see content-chunks.ts).
 */
export function decodeChatResponse(raw: unknown, upstream: UpstreamRef, warnings?: Warning[], contentChunks = false): ChatResponse {
  if (!isObject(raw)) throw malformed(upstream, 'not an object');
  const choices = raw.choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    // Some servers and proxies answer a failure with 200 and OpenAI's error object: it is the upstream's error, as in a stream.
    if (isObject(raw.error)) throw mapOpenAIStreamError(raw.error, providerOf(upstream), 200);
    throw malformed(upstream, 'no choices');
  }
  const choice: unknown = choices[0];
  if (!isObject(choice)) throw malformed(upstream, 'a choice that is not an object');
  const msg = choice.message;
  if (!isObject(msg)) throw malformed(upstream, 'choice without message');
  const usage = decodeUsage(raw.usage);
  if (presentNot(choice.finish_reason, 'string')) throw malformed(upstream, 'a finish_reason that is not a string', usage);
  const content = decodeContent(msg, upstream, usage, contentChunks);
  const response: ChatResponse = {
    id: typeof raw.id === 'string' ? raw.id : '',
    model: typeof raw.model === 'string' ? raw.model : '',
    created: typeof raw.created === 'number' ? raw.created : Math.floor(Date.now() / 1000),
    content,
    finishReason: mapFinishReason(choice.finish_reason, content.some((p) => p.type === 'tool-call')),
    usage: usage ?? ZERO_USAGE,
  };
  // Some servers send `refusal: ""` beside an answer: no words of refusal, no refusal (as a stream says).
  if (typeof msg.refusal === 'string' && msg.refusal !== '') response.refusal = msg.refusal;
  // No usage (some self-hosted servers): served, with the usage the gateway estimates.
  if (!usage) response.usageEstimated = true;
  else response.rawUsage = raw.usage as JsonObject;
  if (warnings) response.warnings = warnings;
  const served = servedAsOf(raw);
  if (served) response.servedAs = served;
  const filters = azureFilterResults(raw);
  if (filters) response.providerMetadata = { azure: filters };
  return response;
}

export function decodeEmbeddingResponse(raw: unknown, upstream: UpstreamRef, inputs: number): EmbeddingResponse {
  if (!isObject(raw)) throw malformed(upstream, 'not an object');
  if (!Array.isArray(raw.data)) throw malformed(upstream, 'no data');
  // One vector of numbers per input: anything else would hand the client vectors for the wrong texts.
  if (raw.data.length !== inputs) throw malformed(upstream, `${raw.data.length} embeddings for ${inputs} inputs`, decodeUsage(raw.usage));
  const rows = (raw.data as Array<Record<string, unknown>>).slice().sort((a, b) => Number(a.index) - Number(b.index));
  const embeddings = rows.map((r) => {
    if (!Array.isArray(r.embedding) || r.embedding.length === 0 || !r.embedding.every((x) => typeof x === 'number')) throw malformed(upstream, 'an embedding that is not a list of numbers');
    return r.embedding as number[];
  });
  const usage = decodeUsage(raw.usage);
  const model = typeof raw.model === 'string' ? raw.model : '';
  if (!usage) return { model, embeddings, usage: ZERO_USAGE, usageEstimated: true };
  return { model, embeddings, usage: { ...usage, total: usage.prompt } };
}

/** A `system_fingerprint` as OpenAI writes one (`fp_` and hex); anything else an upstream sends is not passed on. */
const FINGERPRINT = /^[A-Za-z0-9_-]{1,64}$/;
/** The tiers OpenAI's answers name. */
const SERVICE_TIERS = new Set(['auto', 'default', 'flex', 'scale', 'priority']);

/** The answer's (or a chunk's) `system_fingerprint` and `service_tier`, each only when it is one OpenAI would send. */
export function servedAsOf(raw: Record<string, unknown>): ServedAs | undefined {
  const fingerprint = typeof raw.system_fingerprint === 'string' && FINGERPRINT.test(raw.system_fingerprint) ? raw.system_fingerprint : undefined;
  const tier = typeof raw.service_tier === 'string' && SERVICE_TIERS.has(raw.service_tier) ? raw.service_tier : undefined;
  if (fingerprint === undefined && tier === undefined) return undefined;
  const served: ServedAs = {};
  if (fingerprint !== undefined) served.systemFingerprint = fingerprint;
  if (tier !== undefined) served.serviceTier = tier;
  return served;
}
