import type { AttemptRecord } from '../core/events.js';
import { genAiOperationName, genAiProviderName, type Server } from './genai.js';
import { SpanFlags, SpanKind, type Double, type SpanData } from './otlp.js';

/** Where an attempt's span sits: its trace, its own id, its parent (the request's SERVER span) and the trace state. */
export interface SpanPlace {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  traceState: string | undefined;
}

const double = (value: number | undefined): Double | undefined => (value === undefined ? undefined : { double: value });

/**
 * Stop sequences recorded at most: the APIs take 4 or 5, but the Messages door has no count of its own,
 * and a span must not carry a body's worth of them into the bounded export queue.
 */
const MAX_STOP_SEQUENCES = 16;
const listed = (stops: readonly string[] | undefined): readonly string[] | undefined => (stops !== undefined && stops.length > MAX_STOP_SEQUENCES ? stops.slice(0, MAX_STOP_SEQUENCES) : stops);

/**
 * An answer from the response cache made no upstream call: an INTERNAL span saying so, never a GenAI
 * CLIENT span, whose `gen_ai.usage.*` and `server.*` would count the saved tokens as spent again and
 * name a call that was not made (the metrics likewise keep hits out of every GenAI series).
 */
export function cacheHitSpan(r: AttemptRecord, at: SpanPlace): SpanData {
  return {
    ...at,
    name: 'response cache hit',
    kind: SpanKind.INTERNAL,
    startMs: r.startedAt,
    endMs: r.startedAt + r.latencyMs,
    attributes: { 'switchyard.cache_hit': true, 'switchyard.deployment': r.deployment, 'switchyard.group': r.group },
    status: { code: 0 },
    flags: SpanFlags.LOCAL_PARENT,
  };
}

/**
 * An upstream attempt's CLIENT span as the GenAI conventions describe it (`{operation} {model}`): the
 * request's sampling settings, the answer's id, model and finish, usage, the upstream's address and
 * Switchyard's own attempt attributes; never prompt or completion content.
 */
export function attemptSpan(r: AttemptRecord, at: SpanPlace, server: Server | undefined): SpanData {
  const operation = genAiOperationName(r.operation);
  const u = r.usage;
  const failed = r.outcome !== 'ok';
  const p = r.params;
  const answer = r.response;
  return {
    traceId: at.traceId,
    spanId: at.spanId,
    parentSpanId: at.parentSpanId,
    traceState: at.traceState,
    name: `${operation} ${r.model}`,
    kind: SpanKind.CLIENT,
    startMs: r.startedAt,
    endMs: r.startedAt + r.latencyMs,
    attributes: {
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': genAiProviderName(r.provider),
      'gen_ai.request.model': r.model,
      'gen_ai.request.stream': r.operation === 'embed' ? undefined : r.operation === 'stream',
      'gen_ai.request.max_tokens': p?.maxTokens,
      'gen_ai.request.temperature': double(p?.temperature),
      'gen_ai.request.top_p': double(p?.topP),
      'gen_ai.request.top_k': double(p?.topK),
      'gen_ai.request.seed': p?.seed,
      'gen_ai.request.presence_penalty': double(p?.presencePenalty),
      'gen_ai.request.frequency_penalty': double(p?.frequencyPenalty),
      'gen_ai.request.stop_sequences': listed(p?.stopSequences),
      'gen_ai.output.type': p?.outputType,
      'gen_ai.response.id': answer?.id,
      'gen_ai.response.model': answer?.model,
      'gen_ai.response.finish_reasons': answer?.finishReason === undefined ? undefined : [answer.finishReason],
      'server.address': server?.address,
      'server.port': server?.port,
      'cloud.region': r.region,
      'gen_ai.usage.input_tokens': u?.prompt,
      'gen_ai.usage.output_tokens': u && r.operation !== 'embed' ? u.completion : undefined,
      'gen_ai.usage.cache_read.input_tokens': u?.cachedRead || undefined,
      'gen_ai.usage.cache_creation.input_tokens': u?.cachedWrite || undefined,
      'gen_ai.usage.reasoning.output_tokens': u?.reasoning || undefined,
      'error.type': failed ? (r.error?.kind ?? r.outcome) : undefined,
      'switchyard.attempt': r.attempt,
      'switchyard.attempt.role': r.role,
      'switchyard.attempt.cause': r.cause,
      'switchyard.fallback_from': r.fallbackFrom,
      'switchyard.deployment': r.deployment,
      'switchyard.group': r.group,
      'switchyard.usage_estimated': r.usage ? r.usageEstimated : undefined,
      'gen_ai.response.time_to_first_chunk': double(r.ttftMs === undefined ? undefined : r.ttftMs / 1000),
      'switchyard.time_to_first_chunk_ms': r.ttftMs,
    },
    // error.type says the operation failed, and the conventions pair it with status ERROR: a cancelled
    // attempt too (the duration metric counts it under error_type, the server span of its stream as failed).
    status: failed ? { code: 2, message: r.error?.kind ?? r.outcome } : { code: 0 },
    flags: SpanFlags.LOCAL_PARENT,
  };
}
