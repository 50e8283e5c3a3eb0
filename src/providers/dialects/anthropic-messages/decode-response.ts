import { GatewayError } from '../../../core/errors.js';
import { tokenCount, type AssistantPart, type ChatResponse, type JsonObject, type JsonValue, type Warning } from '../../../core/types.js';
import { withReasoningTokens } from '../../../core/estimate.js';
import { ANTHROPIC_REASONING_PROVIDER } from './encode-messages.js';
import { mapStopReason } from './finish-reason.js';
import { mapAnthropicStreamError } from './map-error.js';
import { decodeAnthropicUsage } from './usage.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { presentNot } from '../field-type.js';

/** Namespace of Anthropic-specific fields in `ChatResponse.providerMetadata` and 'provider-metadata' stream parts. */
export const ANTHROPIC_NAMESPACE = 'anthropic';

function malformed(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response: ${what}.`, provider: providerOf(upstream) });
}

/** Whether the answer says what it cost: a usage object whose input and output counts are counts (else it is estimated, never billed as zero). */
function hasTokenCounts(usage: unknown): boolean {
  return usage !== null && typeof usage === 'object' && tokenCount((usage as Record<string, unknown>).input_tokens) !== undefined && tokenCount((usage as Record<string, unknown>).output_tokens) !== undefined;
}

interface DecodedContent {
  parts: AssistantPart[];
  /** Blocks with no canonical home (server tools and their results), kept whole. */
  other: JsonObject[];
  citations: JsonValue[];
  reasoningChars: number;
}

/** Content blocks to parts in order; adjacent text blocks (split by citations) join into one text part. */
function decodeContent(blocks: unknown[], upstream: UpstreamRef): DecodedContent {
  const out: DecodedContent = { parts: [], other: [], citations: [], reasoningChars: 0 };
  let calls = 0;
  for (const raw of blocks) {
    if (raw === null || typeof raw !== 'object') throw malformed(upstream, 'content block is not an object');
    const block = raw as Record<string, unknown>;
    if (block.type === 'text' && presentNot(block.text, 'string')) throw malformed(upstream, 'a text block whose text is not a string');
    if (block.type === 'text' && typeof block.text === 'string') {
      const last = out.parts[out.parts.length - 1];
      if (last?.type === 'text') last.text += block.text;
      else out.parts.push({ type: 'text', text: block.text });
      // A loop, not push(...citations): spreading a huge array as arguments overflows the stack.
      if (Array.isArray(block.citations)) for (const citation of block.citations as JsonValue[]) out.citations.push(citation);
    } else if (block.type === 'tool_use') {
      // As the stream decoder does: no name, no call to run (never a call dropped unseen); no id, one by its place.
      if (typeof block.name !== 'string' || block.name === '') throw malformed(upstream, 'a tool_use without a name');
      if (presentNot(block.input, 'object')) throw malformed(upstream, 'a tool_use input that is not an object');
      const id = typeof block.id === 'string' && block.id !== '' ? block.id : `call_${calls}`;
      calls++;
      out.parts.push({ type: 'tool-call', id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      out.reasoningChars += block.thinking.length;
      const part: AssistantPart = { type: 'reasoning', text: block.thinking, provider: ANTHROPIC_REASONING_PROVIDER };
      if (typeof block.signature === 'string' && block.signature !== '') part.signature = block.signature;
      out.parts.push(part);
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
      out.parts.push({ type: 'redacted-reasoning', data: block.data, provider: ANTHROPIC_REASONING_PROVIDER });
    } else out.other.push(block as JsonObject);
  }
  return out;
}

/**
 * A Messages API response to the canonical response. Text, tool_use, thinking (with its signature)
 * and redacted thinking become parts; the raw stop_reason, stop sequence and usage, server-tool blocks
 * and citations stay under `providerMetadata.anthropic` (the raw usage in `rawUsage` too). An answer without
 * usage is served with `usageEstimated`. `warnings` are the encoder's, reported with the answer.
 */
export function decodeMessagesResponse(json: unknown, upstream: UpstreamRef, warnings?: readonly Warning[]): ChatResponse {
  if (json === null || typeof json !== 'object') throw malformed(upstream, 'not an object');
  const body = json as Record<string, unknown>;
  if (!Array.isArray(body.content)) {
    // A proxy (or a gateway in front) may answer a failure with 200 and the API's error object: the upstream's error, as in a stream.
    if (body.type === 'error' && body.error !== null && typeof body.error === 'object') throw mapAnthropicStreamError(body, providerOf(upstream), 200);
    throw malformed(upstream, 'no content array');
  }
  if (presentNot(body.stop_reason, 'string')) throw malformed(upstream, 'a stop_reason that is not a string');
  const content = decodeContent(body.content as unknown[], upstream);
  const meta: JsonObject = { stop_reason: typeof body.stop_reason === 'string' ? body.stop_reason : null };
  if (typeof body.stop_sequence === 'string') meta.stop_sequence = body.stop_sequence;
  const details = refusalDetails(body.stop_details);
  if (details) meta.stop_details = details;
  const rawUsage = body.usage !== null && typeof body.usage === 'object' ? (body.usage as JsonObject) : undefined;
  if (rawUsage) meta.usage = rawUsage;
  if (content.other.length > 0) meta.content_blocks = content.other;
  if (content.citations.length > 0) meta.citations = content.citations;
  const response: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    created: Math.floor(Date.now() / 1000),
    content: content.parts,
    finishReason: mapStopReason(body.stop_reason),
    usage: withReasoningTokens(decodeAnthropicUsage(body.usage), content.reasoningChars),
    providerMetadata: { [ANTHROPIC_NAMESPACE]: meta },
  };
  if (rawUsage) response.rawUsage = rawUsage;
  if (!hasTokenCounts(body.usage)) response.usageEstimated = true;
  if (warnings && warnings.length > 0) response.warnings = [...warnings];
  return response;
}

/**
 * Claude's `stop_details` of a refusal (`RefusalStopDetails`), its members checked one by one: the policy
 * category and the explanation, each a string or null. Undefined for anything else (null, another shape).
 */
export function refusalDetails(raw: unknown): JsonObject | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const d = raw as Record<string, unknown>;
  if (d.type !== 'refusal') return undefined;
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { type: 'refusal', category: text(d.category), explanation: text(d.explanation) };
}
