import { GatewayError } from '../../../core/errors.js';
import type { JsonObject, StreamPart, Usage, Warning } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import type { GeminiPart, GeminiResponse } from './wire.js';
import { NAMESPACE, firstCandidate, malformedCall, toolCallPart, vertexMetadata } from './candidate.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { mapGoogleError } from './map-error.js';
import { GOOGLE_PROVIDER } from './signatures.js';

function malformedChunk(provider: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream chunk.`, provider });
}

function parseChunk(data: string, provider: string): GeminiResponse & { error?: { code?: unknown } } {
  let chunk: GeminiResponse & { error?: { code?: unknown } };
  try {
    chunk = JSON.parse(data) as typeof chunk;
  } catch {
    throw malformedChunk(provider);
  }
  if (chunk === null || typeof chunk !== 'object') throw malformedChunk(provider);
  return chunk;
}

function signatureDelta(signature: string): StreamPart {
  return { type: 'reasoning', delta: '', signature, provider: GOOGLE_PROVIDER };
}

/** One Gemini part as stream parts; `callIndex` is the call's position in the answer. See signatures.ts. */
function* partsOf(part: GeminiPart, responseId: string | undefined, callIndex: () => number): Generator<StreamPart> {
  if ('functionCall' in part && part.functionCall) {
    if (part.thoughtSignature !== undefined) yield signatureDelta(part.thoughtSignature);
    const index = callIndex();
    const call = toolCallPart(part.functionCall, responseId, index);
    yield { type: 'tool-call', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
  } else if ('text' in part && typeof part.text === 'string') {
    if (part.thought === true) {
      if (part.text === '' && part.thoughtSignature === undefined) return;
      const reasoning: StreamPart = { type: 'reasoning', delta: part.text, provider: GOOGLE_PROVIDER };
      if (part.thoughtSignature !== undefined) reasoning.signature = part.thoughtSignature;
      yield reasoning;
      return;
    }
    if (part.thoughtSignature !== undefined) yield signatureDelta(part.thoughtSignature);
    if (part.text !== '') yield { type: 'text', delta: part.text };
  }
}

/**
 * streamGenerateContent (`alt=sse`) chunks to canonical parts. Gemini sends no `[DONE]`: the stream is
 * complete once a chunk carries a finishReason, so a body that ends before one is a truncation and
 * surfaces as an error. Usage is cumulative per chunk; the last one seen is reported after `finish`.
 * `warnings` (settings the encoder could not carry) ride on the start part.
 */
export async function* decodeGenerateContentStream(events: AsyncIterable<SseEvent>, provider: string, warnings?: Warning[]): AsyncGenerator<StreamPart> {
  let started = false;
  let finished = false;
  let usage: Usage | undefined;
  let rawUsage: JsonObject | undefined;
  let calls = 0;
  const nextCall = (): number => calls++;
  for await (const ev of events) {
    const chunk = parseChunk(ev.data, provider);
    if (chunk.error) {
      const code = typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      throw mapGoogleError(code, {}, chunk, provider);
    }
    if (!started) {
      started = true;
      const start: StreamPart = { type: 'start', id: chunk.responseId, model: chunk.modelVersion };
      if (warnings !== undefined && warnings.length > 0) start.warnings = warnings;
      yield start;
    }
    const chunkUsage = decodeUsageMetadata(chunk.usageMetadata);
    if (chunkUsage) [usage, rawUsage] = [chunkUsage, chunk.usageMetadata as JsonObject];
    if (finished) continue;
    if (!chunk.candidates?.[0]) {
      if (chunk.promptFeedback?.blockReason) firstCandidate(chunk, provider);
      continue;
    }
    const candidate = firstCandidate(chunk, provider);
    const malformed = malformedCall(candidate, provider);
    if (malformed) throw malformed;
    for (const part of candidate.content?.parts ?? []) yield* partsOf(part, chunk.responseId, nextCall);
    if (candidate.finishReason !== undefined) {
      finished = true;
      yield { type: 'provider-metadata', namespace: NAMESPACE, data: vertexMetadata(chunk, candidate) };
      yield { type: 'finish', finishReason: mapFinishReason(candidate.finishReason, calls > 0) };
    }
  }
  if (!finished) throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before completion.`, provider });
  if (usage) yield { type: 'usage', usage, raw: rawUsage };
}
