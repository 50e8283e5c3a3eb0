import { GatewayError } from '../../../core/errors.js';
import type { StreamPart, Usage } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import type { GeminiResponse } from './wire.js';
import { NAMESPACE, firstCandidate, malformedCall, vertexExtension } from './candidate.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { mapGoogleError } from './map-error.js';
import { toolCallId } from './tool-ids.js';

/**
 * streamGenerateContent (`alt=sse`) chunks to canonical parts. Gemini sends no `[DONE]`: the stream is
 * complete once a chunk carries a finishReason, so a body that ends before one is a truncation and
 * surfaces as an error. Usage is cumulative per chunk; the last one seen is reported after `finish`.
 */
export async function* decodeGenerateContentStream(events: AsyncIterable<SseEvent>, provider: string): AsyncGenerator<StreamPart> {
  let started = false;
  let finished = false;
  let usage: Usage | undefined;
  let calls = 0;
  for await (const ev of events) {
    let chunk: GeminiResponse & { error?: { code?: unknown } };
    try {
      chunk = JSON.parse(ev.data) as typeof chunk;
    } catch {
      throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream chunk.`, provider });
    }
    if (chunk === null || typeof chunk !== 'object') {
      throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream chunk.`, provider });
    }
    if (chunk.error) {
      const code = typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      throw mapGoogleError(code, {}, chunk, provider);
    }
    if (!started) {
      started = true;
      yield { type: 'start', id: chunk.responseId, model: chunk.modelVersion };
    }
    usage = decodeUsageMetadata(chunk.usageMetadata) ?? usage;
    if (finished) continue;
    if (!chunk.candidates?.[0]) {
      if (chunk.promptFeedback?.blockReason) firstCandidate(chunk, provider);
      continue;
    }
    const candidate = firstCandidate(chunk, provider);
    const malformed = malformedCall(candidate, provider);
    if (malformed) throw malformed;
    for (const part of candidate.content?.parts ?? []) {
      if ('text' in part && typeof part.text === 'string') {
        if (part.text !== '') yield part.thought === true ? { type: 'reasoning', delta: part.text } : { type: 'text', delta: part.text };
      } else if ('functionCall' in part && part.functionCall) {
        const fc = part.functionCall;
        const args = JSON.stringify(fc.args ?? {});
        const index = calls++;
        yield { type: 'tool-call', index, id: fc.id ?? toolCallId(chunk.responseId, index, fc.name, args), name: fc.name, argumentsDelta: args };
      }
    }
    if (candidate.finishReason !== undefined) {
      finished = true;
      yield { type: 'extension', namespace: NAMESPACE, data: vertexExtension(chunk, candidate) };
      yield { type: 'finish', finishReason: mapFinishReason(candidate.finishReason, calls > 0) };
    }
  }
  if (!finished) throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before completion.`, provider });
  if (usage) yield { type: 'usage', usage };
}
