import { GatewayError } from '../../../core/errors.js';
import type { JsonObject, StreamPart, Usage, Warning } from '../../../core/types.js';
import { decodeSseParts, type SseEvent, type SseEventDecoder } from '../../sse.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import type { GeminiPart, GeminiResponse } from './wire.js';
import { NAMESPACE, checkPart, firstCandidate, malformedCall, toolCallPart, vertexMetadata } from './candidate.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { mapGoogleError } from './map-error.js';
import { GOOGLE_PROVIDER } from './signatures.js';

function malformedChunk(upstream: UpstreamRef): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} sent a malformed stream chunk.`, provider: providerOf(upstream) });
}

function parseChunk(data: string, upstream: UpstreamRef): GeminiResponse & { error?: { code?: unknown } } {
  let chunk: GeminiResponse & { error?: { code?: unknown } };
  try {
    chunk = JSON.parse(data) as typeof chunk;
  } catch {
    throw malformedChunk(upstream);
  }
  if (chunk === null || typeof chunk !== 'object') throw malformedChunk(upstream);
  return chunk;
}

function signatureDelta(signature: string): StreamPart {
  return { type: 'reasoning', delta: '', signature, provider: GOOGLE_PROVIDER };
}

/** One Gemini part as stream parts, appended to `out`; `callIndex` numbers a call by its position in the answer. See signatures.ts. */
function partsOf(part: GeminiPart, responseId: string | undefined, callIndex: () => number, upstream: UpstreamRef, out: StreamPart[]): void {
  checkPart(part, upstream);
  if ('functionCall' in part && part.functionCall) {
    if (part.thoughtSignature !== undefined) out.push(signatureDelta(part.thoughtSignature));
    const index = callIndex();
    const call = toolCallPart(part.functionCall, responseId, index, upstream);
    out.push({ type: 'tool-call', index, id: call.id, name: call.name, argumentsDelta: call.arguments });
  } else if ('text' in part && typeof part.text === 'string') {
    if (part.thought === true) {
      if (part.text === '' && part.thoughtSignature === undefined) return;
      const reasoning: StreamPart = { type: 'reasoning', delta: part.text, provider: GOOGLE_PROVIDER };
      if (part.thoughtSignature !== undefined) reasoning.signature = part.thoughtSignature;
      out.push(reasoning);
      return;
    }
    if (part.thoughtSignature !== undefined) out.push(signatureDelta(part.thoughtSignature));
    if (part.text !== '') out.push({ type: 'text', delta: part.text });
  }
}

/**
 * streamGenerateContent (`alt=sse`) chunks to canonical parts. Gemini sends no `[DONE]`: the stream is
 * complete once a chunk carries a finishReason, so a body that ends before one is a truncation and
 * surfaces as an error. Usage is cumulative per chunk; it is reported after `finish`, and the first
 * usage on or after the finish chunk ends the stream (else the body's end does, with the last seen).
 * Counts a chunk before the finish carries (a prompt count, running totals) go out too, as a usage
 * part whenever they change: the relay holds them back, and bills them if the stream breaks.
 * `warnings` (settings the encoder could not carry) ride on the start part.
 */
export function decodeGenerateContentStream(events: AsyncIterable<SseEvent>, upstream: UpstreamRef, warnings?: Warning[]): AsyncIterableIterator<StreamPart> {
  return decodeSseParts(events, new ChunkDecoder(upstream, warnings), upstream);
}

class ChunkDecoder implements SseEventDecoder {
  private started = false;
  private finished = false;
  /** The finish and its usage are out: the stream is whole. */
  private ended = false;
  private usage: Usage | undefined;
  private rawUsage: JsonObject | undefined;
  /** The counts so far last sent before the finish. */
  private told: Usage | undefined;
  private calls = 0;
  private readonly nextCall = (): number => this.calls++;
  /** The provider type its errors carry; `upstream` is who their messages name. */
  private readonly provider: string;

  constructor(
    private readonly upstream: UpstreamRef,
    private readonly warnings: Warning[] | undefined,
  ) {
    this.provider = providerOf(upstream);
  }

  decode(data: string, _event: string | undefined, out: StreamPart[]): void {
    if (this.ended) return;
    const upstream = this.upstream;
    const chunk = parseChunk(data, upstream);
    if (chunk.error) {
      const code = typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      throw mapGoogleError(code, {}, chunk, this.provider);
    }
    if (!this.started) {
      this.started = true;
      const start: StreamPart = { type: 'start', id: chunk.responseId, model: chunk.modelVersion };
      if (this.warnings !== undefined && this.warnings.length > 0) start.warnings = this.warnings;
      out.push(start);
    }
    const chunkUsage = decodeUsageMetadata(chunk.usageMetadata);
    if (chunkUsage) [this.usage, this.rawUsage] = [chunkUsage, chunk.usageMetadata as JsonObject];
    if (this.finished) {
      if (chunkUsage) this.end(out);
      return;
    }
    if (!chunk.candidates?.[0]) {
      if (chunk.promptFeedback?.blockReason) firstCandidate(chunk, upstream);
      if (chunkUsage) this.soFar(chunkUsage, out);
      return;
    }
    const candidate = firstCandidate(chunk, upstream);
    const malformed = malformedCall(candidate, upstream);
    if (malformed) throw malformed;
    // Counts so far cover this chunk's content: they go before it, so whoever reads the content has them.
    if (candidate.finishReason === undefined && chunkUsage) this.soFar(chunkUsage, out);
    for (const part of candidate.content?.parts ?? []) partsOf(part, chunk.responseId, this.nextCall, upstream, out);
    if (candidate.finishReason !== undefined) {
      this.finished = true;
      out.push({ type: 'provider-metadata', namespace: NAMESPACE, data: vertexMetadata(chunk, candidate) });
      out.push({ type: 'finish', finishReason: mapFinishReason(candidate.finishReason, this.calls > 0) });
      if (chunkUsage) this.end(out);
    }
  }

  /**
   * Counts before the finish, when they name a prompt (an early chunk may carry zeros) and differ from
   * the last sent: Gemini repeats the same counts on many chunks.
   */
  private soFar(usage: Usage, out: StreamPart[]): void {
    if (usage.prompt === 0 || (this.told !== undefined && this.told.prompt === usage.prompt && this.told.completion === usage.completion)) return;
    this.told = usage;
    out.push({ type: 'usage', usage });
  }

  /** Gemini sends no [DONE]: a finish with its usage (on its chunk or after it) is the stream's end. */
  get complete(): boolean {
    return this.ended;
  }

  finish(out: StreamPart[]): void {
    if (!this.finished) throw new GatewayError({ kind: 'network', message: `Upstream ${nameOf(this.upstream)} stream ended before completion.`, provider: this.provider });
    if (!this.ended && this.usage) out.push({ type: 'usage', usage: this.usage, raw: this.rawUsage });
  }

  /** The final usage goes out, and nothing after it is read. */
  private end(out: StreamPart[]): void {
    this.ended = true;
    if (this.usage) out.push({ type: 'usage', usage: this.usage, raw: this.rawUsage });
  }
}
