import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, JsonObject, ReasoningPart, ToolCallPart } from '../../../core/types.js';
import type { GeminiCandidate, GeminiFunctionCall, GeminiPart, GeminiResponse } from './wire.js';
import { GOOGLE_PROVIDER } from './signatures.js';
import { toolCallId } from './tool-ids.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { presentNot } from '../field-type.js';

export const NAMESPACE = 'vertex';

/** A reply field of the wrong JSON type: `what` names the field, never its value. */
function malformed(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response: ${what}.`, provider: providerOf(upstream), upstreamStatus: 200 });
}

/** Raises the errors a 200 answer can carry: a blocked prompt, no candidate at all, or a finishReason that is not a name. */
export function firstCandidate(body: GeminiResponse, upstream: UpstreamRef): GeminiCandidate {
  const candidate = body.candidates?.[0];
  if (candidate && presentNot(candidate.finishReason, 'string')) throw malformed(upstream, 'a finishReason that is not a string');
  if (candidate) return candidate;
  const block = body.promptFeedback?.blockReason;
  if (block) {
    throw new GatewayError({
      kind: 'content_filtered',
      // Only an enum name is repeated: the field is the upstream's, not ours.
      message: `Upstream ${nameOf(upstream)} blocked the prompt (${/^[A-Z_]{1,64}$/.test(block) ? block : 'unspecified reason'}).`,
      provider: providerOf(upstream),
      upstreamStatus: 200,
    });
  }
  throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned no candidates.`, provider: providerOf(upstream), upstreamStatus: 200 });
}

/**
 * A malformed or invalid function call (MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL: the answer then
 * has no content) is a model glitch: worth a retry or another deployment, never a silent stop.
 */
export function malformedCall(candidate: GeminiCandidate, upstream: UpstreamRef): GatewayError | undefined {
  const reason = candidate.finishReason;
  if (reason !== 'MALFORMED_FUNCTION_CALL' && reason !== 'UNEXPECTED_TOOL_CALL') return undefined;
  return new GatewayError({
    kind: 'upstream_error',
    message: `Upstream ${nameOf(upstream)} produced a ${reason === 'MALFORMED_FUNCTION_CALL' ? 'malformed' : 'invalid'} function call.`,
    provider: providerOf(upstream),
    upstreamStatus: 200,
    code: reason.toLowerCase(),
  });
}

/** A function call as a tool-call part; Gemini v1 sends no id, so a stable one is derived. */
export function toolCallPart(call: GeminiFunctionCall, responseId: string | undefined, index: number, upstream: UpstreamRef): ToolCallPart {
  if (typeof call.name !== 'string' || call.name === '') throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a function call without a name.`, provider: providerOf(upstream) });
  // Gemini's args are an object; JSON text or a list passed on would be arguments no tool declared.
  if (presentNot(call.args, 'object')) throw malformed(upstream, 'function call args that are not an object');
  const args = JSON.stringify(call.args ?? {});
  return { type: 'tool-call', id: call.id ?? toolCallId(responseId, index, call.name, args), name: call.name, arguments: args };
}

/** Raises a part whose text is not a string: read as no text, it would serve an empty answer. */
export function checkPart(part: GeminiPart, upstream: UpstreamRef): void {
  if ('text' in part && presentNot(part.text, 'string')) throw malformed(upstream, 'a part whose text is not a string');
}

/** A Gemini signature on a text or function-call part: an empty reasoning part just before that part. */
function signatureMarker(signature: string): ReasoningPart {
  return { type: 'reasoning', text: '', signature, provider: GOOGLE_PROVIDER };
}

/** Adds text to the last part when it is text too: one text part per run of text. */
function appendText(content: AssistantPart[], text: string): void {
  if (text === '') return;
  const last = content[content.length - 1];
  if (last?.type === 'text') last.text += text;
  else content.push({ type: 'text', text });
}

/** Adds a thought to the last reasoning part unless that one is already signed (a signature ends it). */
function appendThought(content: AssistantPart[], text: string, signature: string | undefined): void {
  const last = content[content.length - 1];
  if (last?.type === 'reasoning' && last.signature === undefined && text !== '') {
    last.text += text;
    if (signature !== undefined) last.signature = signature;
  } else if (text !== '' || signature !== undefined) {
    const part: ReasoningPart = { type: 'reasoning', text, provider: GOOGLE_PROVIDER };
    if (signature !== undefined) part.signature = signature;
    content.push(part);
  }
}

/**
 * A candidate's parts as canonical content, in order: thoughts (reasoning, with their signatures),
 * answer text and function calls. A signature Gemini put on a text or a call precedes it as an empty
 * reasoning part, which the encoder puts back on that part.
 */
export function contentOf(candidate: GeminiCandidate, responseId: string | undefined, upstream: UpstreamRef): { content: AssistantPart[]; calls: number } {
  const content: AssistantPart[] = [];
  let calls = 0;
  for (const part of candidate.content?.parts ?? []) {
    checkPart(part, upstream);
    if ('functionCall' in part && part.functionCall) {
      if (part.thoughtSignature !== undefined) content.push(signatureMarker(part.thoughtSignature));
      content.push(toolCallPart(part.functionCall, responseId, calls++, upstream));
    } else if ('text' in part && typeof part.text === 'string') {
      if (part.thought === true) appendThought(content, part.text, part.thoughtSignature);
      else {
        if (part.thoughtSignature !== undefined) content.push(signatureMarker(part.thoughtSignature));
        appendText(content, part.text);
      }
    }
  }
  return { content, calls };
}

/** Fields with no canonical home, kept under `providerMetadata.vertex`. */
export function vertexMetadata(body: GeminiResponse, candidate: GeminiCandidate | undefined): JsonObject {
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
