import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, ChatResponse, JsonObject, Warning } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import { withReasoningTokens } from '../../../core/estimate.js';
import { malformedOutput, mapStopReason, toolUseWithoutCall } from './finish-reason.js';
import { reasoningProviderFor } from './model-family.js';
import { decodeBedrockUsage } from './usage.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { presentNot } from '../field-type.js';

/** Namespace of Bedrock-specific fields in `providerMetadata` and 'provider-metadata' stream parts. */
export const BEDROCK_NAMESPACE = 'bedrock';

function malformed(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response: ${what}.`, provider: providerOf(upstream) });
}

/** A reasoningContent block as a part: signed text, or the encrypted (redacted) bytes, base64 as on the wire. */
function reasoningPart(content: Record<string, unknown>, reasoningProvider: string): AssistantPart | undefined {
  const rt = content.reasoningText as { text?: unknown; signature?: unknown } | undefined;
  if (rt && typeof rt.text === 'string') {
    const part: AssistantPart = { type: 'reasoning', text: rt.text, provider: reasoningProvider };
    if (typeof rt.signature === 'string' && rt.signature !== '') part.signature = rt.signature;
    return part;
  }
  if (typeof content.redactedContent === 'string') return { type: 'redacted-reasoning', data: content.redactedContent, provider: reasoningProvider };
  return undefined;
}

function decodeContent(blocks: Array<Record<string, unknown>>, reasoningProvider: string, upstream: UpstreamRef): { parts: AssistantPart[]; reasoningChars: number } {
  const parts: AssistantPart[] = [];
  let reasoningChars = 0;
  let calls = 0;
  for (const block of blocks) {
    // Read as no text, it would serve an empty answer.
    if (presentNot(block.text, 'string')) throw malformed(upstream, 'a text block that is not a string');
    if (typeof block.text === 'string') {
      const last = parts[parts.length - 1];
      if (last?.type === 'text') last.text += block.text;
      else parts.push({ type: 'text', text: block.text });
    } else if (block.toolUse && typeof block.toolUse === 'object') {
      const tu = block.toolUse as { toolUseId?: unknown; name?: unknown; input?: unknown };
      if (typeof tu.name !== 'string' || tu.name === '') throw malformed(upstream, 'a toolUse without a name');
      if (presentNot(tu.input, 'object')) throw malformed(upstream, 'a toolUse input that is not an object');
      parts.push({
        type: 'tool-call',
        id: typeof tu.toolUseId === 'string' && tu.toolUseId !== '' ? tu.toolUseId : `call_${calls}`,
        name: tu.name,
        arguments: JSON.stringify(tu.input ?? {}),
      });
      calls++;
    } else if (block.reasoningContent && typeof block.reasoningContent === 'object') {
      const part = reasoningPart(block.reasoningContent as Record<string, unknown>, reasoningProvider);
      if (part?.type === 'reasoning') reasoningChars += part.text.length;
      if (part) parts.push(part);
    }
  }
  return { parts, reasoningChars };
}

/**
 * A Converse response to the canonical response. Bedrock has no response id, so the caller supplies
 * one (the request id). Reasoning (with its signature) and redacted reasoning become parts, named
 * `anthropic` for Claude models; the stop reason, metrics and guardrail traces stay under
 * `providerMetadata.bedrock`, the raw usage in `rawUsage`. An answer without a stop reason is
 * malformed; one without usage is served with `usageEstimated` (the gateway counts it). `rulesModel`:
 * the model whose family signs the reasoning, when `model` (the answer's) is an ARN that hides it.
 */
export function decodeConverseResponse(raw: unknown, upstream: UpstreamRef, id: string, model: string, created: number, warnings?: readonly Warning[], rulesModel = model): ChatResponse {
  if (raw === null || typeof raw !== 'object') throw malformed(upstream, 'not an object');
  const body = raw as Record<string, unknown>;
  const output = body.output as { message?: { content?: unknown } } | undefined;
  const content = output?.message?.content;
  if (!Array.isArray(content)) throw malformed(upstream, 'no output message');
  if (typeof body.stopReason !== 'string') throw malformed(upstream, 'no stopReason');
  const usage = decodeBedrockUsage(body.usage);
  const glitch = malformedOutput(body.stopReason, upstream, usage);
  if (glitch) throw glitch;
  const decoded = decodeContent(content as Array<Record<string, unknown>>, reasoningProviderFor(rulesModel), upstream);
  const calls = decoded.parts.some((p) => p.type === 'tool-call');
  if (body.stopReason === 'tool_use' && !calls) throw toolUseWithoutCall(upstream, usage);
  const meta: JsonObject = { stopReason: body.stopReason };
  const fired = firedStopSequence(body.additionalModelResponseFields);
  if (fired !== undefined) meta.stopSequence = fired;
  if (body.metrics && typeof body.metrics === 'object') meta.metrics = body.metrics as JsonObject;
  if (body.trace && typeof body.trace === 'object') meta.trace = body.trace as JsonObject;
  const response: ChatResponse = {
    id,
    model,
    created,
    content: decoded.parts,
    finishReason: mapStopReason(body.stopReason, calls),
    usage: usage ? withReasoningTokens(usage, decoded.reasoningChars) : ZERO_USAGE,
    providerMetadata: { [BEDROCK_NAMESPACE]: meta },
  };
  if (usage) response.rawUsage = body.usage as JsonObject;
  else response.usageEstimated = true;
  if (warnings && warnings.length > 0) response.warnings = [...warnings];
  return response;
}

/** The stop sequence Claude's answer names (`additionalModelResponseFields.stop_sequence`, asked for with the stop sequences). */
export function firedStopSequence(fields: unknown): string | undefined {
  if (fields === null || typeof fields !== 'object') return undefined;
  const fired = (fields as { stop_sequence?: unknown }).stop_sequence;
  return typeof fired === 'string' ? fired : undefined;
}
