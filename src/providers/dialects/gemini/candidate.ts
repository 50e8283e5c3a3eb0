import { GatewayError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/types.js';
import type { GeminiCandidate, GeminiFunctionCall, GeminiResponse } from './wire.js';

export const NAMESPACE = 'vertex';

/** Raises the errors a 200 answer can carry: a blocked prompt, or no candidate at all. */
export function firstCandidate(body: GeminiResponse, provider: string): GeminiCandidate {
  const candidate = body.candidates?.[0];
  if (candidate) return candidate;
  const block = body.promptFeedback?.blockReason;
  if (block) {
    throw new GatewayError({
      kind: 'content_filtered',
      // Only an enum name is repeated: the field is the upstream's, not ours.
      message: `Upstream ${provider} blocked the prompt (${/^[A-Z_]{1,64}$/.test(block) ? block : 'unspecified reason'}).`,
      provider,
      upstreamStatus: 200,
    });
  }
  throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} returned no candidates.`, provider, upstreamStatus: 200 });
}

/** A malformed function call is a model glitch: worth a retry or another deployment, never a silent stop. */
export function malformedCall(candidate: GeminiCandidate, provider: string): GatewayError | undefined {
  if (candidate.finishReason !== 'MALFORMED_FUNCTION_CALL') return undefined;
  return new GatewayError({
    kind: 'upstream_error',
    message: `Upstream ${provider} produced a malformed function call.`,
    provider,
    upstreamStatus: 200,
    code: 'malformed_function_call',
  });
}

/** The answer text, thought summaries (reasoning, not answer text) and function calls of a candidate. */
export function partsOf(candidate: GeminiCandidate): { text: string; reasoning: string; calls: GeminiFunctionCall[] } {
  let text = '';
  let reasoning = '';
  const calls: GeminiFunctionCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if ('text' in part && typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    } else if ('functionCall' in part && part.functionCall) calls.push(part.functionCall);
  }
  return { text, reasoning, calls };
}

/** Fields with no canonical home, kept under `extensions.vertex`. */
export function vertexExtension(body: GeminiResponse, candidate: GeminiCandidate | undefined): JsonObject {
  const ext: JsonObject = {};
  if (candidate?.finishReason !== undefined) ext.finishReason = candidate.finishReason;
  if (candidate?.finishMessage !== undefined) ext.finishMessage = candidate.finishMessage;
  if (candidate?.safetyRatings !== undefined) ext.safetyRatings = candidate.safetyRatings;
  if (candidate?.citationMetadata !== undefined) ext.citationMetadata = candidate.citationMetadata;
  if (body.promptFeedback !== undefined) ext.promptFeedback = body.promptFeedback as JsonObject;
  if (body.modelVersion !== undefined) ext.modelVersion = body.modelVersion;
  if (body.responseId !== undefined) ext.responseId = body.responseId;
  if (body.usageMetadata !== undefined) ext.usageMetadata = body.usageMetadata as JsonObject;
  return ext;
}
