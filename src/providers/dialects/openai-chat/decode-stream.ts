import { GatewayError } from '../../../core/errors.js';
import type { StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeUsage } from './usage.js';
import { mapFinishReason } from './finish-reason.js';

/**
 * OpenAI chat-completion chunks to canonical stream parts. The stream must end with `[DONE]`; one
 * that stops short is a truncation and surfaces as an error, never as a clean end.
 */
export async function* decodeChatStream(events: AsyncIterable<SseEvent>, provider: string): AsyncGenerator<StreamPart> {
  let started = false;
  let done = false;
  for await (const ev of events) {
    // Read on to the end of the body after [DONE]: leaving the loop early makes undici destroy the
    // body with an AbortError (a stack trace and garbage on every request).
    if (done) continue;
    if (ev.data === '[DONE]') {
      done = true;
      continue;
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(ev.data) as Record<string, unknown>;
    } catch {
      throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream chunk.`, provider });
    }
    if (chunk.error) {
      const err = chunk.error as Record<string, unknown>;
      throw new GatewayError({
        kind: 'upstream_error',
        message: `Upstream ${provider} failed mid-stream: ${typeof err.message === 'string' ? err.message : 'unknown error'}`,
        provider,
      });
    }
    if (!started) {
      started = true;
      yield { type: 'start', id: typeof chunk.id === 'string' ? chunk.id : undefined, model: typeof chunk.model === 'string' ? chunk.model : undefined };
    }
    const choices = chunk.choices as Array<Record<string, unknown>> | undefined;
    const choice = choices?.[0];
    if (choice) {
      const delta = (choice.delta ?? {}) as Record<string, unknown>;
      if (typeof delta.content === 'string' && delta.content !== '') yield { type: 'text', delta: delta.content };
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls as Array<Record<string, unknown>>) {
          const fn = (tc.function ?? {}) as Record<string, unknown>;
          yield {
            type: 'tool-call',
            index: typeof tc.index === 'number' ? tc.index : 0,
            id: typeof tc.id === 'string' ? tc.id : undefined,
            name: typeof fn.name === 'string' ? fn.name : undefined,
            argumentsDelta: typeof fn.arguments === 'string' ? fn.arguments : '',
          };
        }
      }
      if (choice.finish_reason) yield { type: 'finish', finishReason: mapFinishReason(choice.finish_reason) };
    }
    if (chunk.usage) {
      const usage = decodeUsage(chunk.usage);
      if (usage) yield { type: 'usage', usage };
    }
  }
  if (done) return;
  throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before completion.`, provider });
}
