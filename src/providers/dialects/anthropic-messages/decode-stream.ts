import { GatewayError } from '../../../core/errors.js';
import type { FinishReason, JsonObject, JsonValue, StreamPart, Warning } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { ANTHROPIC_NAMESPACE } from './decode-response.js';
import { ANTHROPIC_REASONING_PROVIDER as CLAUDE } from './encode-messages.js';
import { mapStopReason } from './finish-reason.js';
import { mapAnthropicStreamError } from './map-error.js';
import { withReasoningTokens } from '../../../core/estimate.js';
import { readTokenCounts, toCanonicalUsage, type AnthropicTokenCounts } from './usage.js';
import { DeltaShapes } from './delta-shapes.js';

type Json = Record<string, unknown>;

/** What an open content block is, by its stream index. */
type OpenBlock =
  | { kind: 'text' }
  | { kind: 'tool'; toolIndex: number }
  | { kind: 'thinking' }
  | { kind: 'other'; block: JsonObject; partialJson: string };

function malformedChunk(provider: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream event.`, provider });
}

/** Accumulated server-tool input; kept as the raw string when it does not parse. */
function parseOr(json: string): JsonValue {
  try {
    return JSON.parse(json) as JsonValue;
  } catch {
    return json;
  }
}

/** message_delta's usage is cumulative: its fields replace message_start's. */
function mergeRaw(raw: JsonObject, usage: unknown): JsonObject {
  return usage !== null && typeof usage === 'object' ? { ...raw, ...(usage as JsonObject) } : raw;
}

interface Counters {
  /** Tool calls so far: they are numbered in order of appearance. */
  tools: number;
  /** Anthropic counts thinking in output_tokens without saying how much: counted from the text. */
  reasoningChars: number;
}

/** A content_block_start: what the block is, and the part its opening content makes, if any. */
function startBlock(block: Json, counters: Counters): { open: OpenBlock; part?: StreamPart } {
  if (block.type === 'text') {
    return { open: { kind: 'text' }, part: typeof block.text === 'string' && block.text !== '' ? { type: 'text', delta: block.text } : undefined };
  }
  if (block.type === 'tool_use') {
    const toolIndex = counters.tools++;
    const input = block.input as Json | undefined;
    const initial = input && typeof input === 'object' && Object.keys(input).length > 0 ? JSON.stringify(input) : '';
    const id = typeof block.id === 'string' ? block.id : undefined;
    const name = typeof block.name === 'string' ? block.name : undefined;
    return { open: { kind: 'tool', toolIndex }, part: { type: 'tool-call', index: toolIndex, id, name, argumentsDelta: initial } };
  }
  if (block.type === 'thinking') {
    const thinking = typeof block.thinking === 'string' ? block.thinking : '';
    counters.reasoningChars += thinking.length;
    return { open: { kind: 'thinking' }, part: thinking === '' ? undefined : { type: 'reasoning', delta: thinking, provider: CLAUDE } };
  }
  if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
    return { open: { kind: 'thinking' }, part: { type: 'redacted-reasoning', data: block.data, provider: CLAUDE } };
  }
  return { open: { kind: 'other', block: block as JsonObject, partialJson: '' } };
}

/** A content_block_delta as a part (or nothing); a delta for no open block is malformed. */
function deltaPart(delta: Json, open: OpenBlock | undefined, counters: Counters, provider: string): StreamPart | undefined {
  if (delta.type === 'text_delta' && typeof delta.text === 'string') return delta.text === '' ? undefined : { type: 'text', delta: delta.text };
  if (delta.type === 'input_json_delta' && open?.kind === 'tool') {
    return typeof delta.partial_json === 'string' && delta.partial_json !== '' ? { type: 'tool-call', index: open.toolIndex, argumentsDelta: delta.partial_json } : undefined;
  }
  if (delta.type === 'thinking_delta' && open?.kind === 'thinking' && typeof delta.thinking === 'string') {
    counters.reasoningChars += delta.thinking.length;
    return delta.thinking === '' ? undefined : { type: 'reasoning', delta: delta.thinking, provider: CLAUDE };
  }
  if (delta.type === 'signature_delta' && open?.kind === 'thinking' && typeof delta.signature === 'string') {
    return { type: 'reasoning', delta: '', signature: delta.signature, provider: CLAUDE };
  }
  if (delta.type === 'input_json_delta' && open?.kind === 'other' && typeof delta.partial_json === 'string') {
    // Server-tool calls (web search...) run at Anthropic: their input is kept, not surfaced as a tool call.
    open.partialJson += delta.partial_json;
    return undefined;
  }
  if (delta.type === 'citations_delta' && delta.citation && typeof delta.citation === 'object') {
    return { type: 'provider-metadata', namespace: ANTHROPIC_NAMESPACE, data: { citation: delta.citation as JsonObject } };
  }
  if (!open) throw malformedChunk(provider);
  return undefined;
}

/**
 * Messages API stream events to canonical parts. The event type is read from the JSON `type` (the SSE
 * `event:` name is only a fallback) so Bedrock's InvokeModel chunks, which carry the same JSON without
 * SSE names, decode too. Tool calls are numbered in order of appearance; thinking streams as
 * reasoning parts whose last carries the block's signature. Usage is input counts from message_start
 * merged with message_delta's cumulative counts (the raw objects merged the same way), emitted at
 * message_stop; an `error` event throws its GatewayError, and a stream ending before message_stop is a
 * truncation, never a clean end. `warnings` (the encoder's) ride on the start part.
 */
export async function* decodeMessagesStream(events: AsyncIterable<SseEvent>, provider: string, warnings?: readonly Warning[]): AsyncGenerator<StreamPart> {
  let started = false;
  let counts: AnthropicTokenCounts = {};
  let rawUsage: JsonObject = {};
  let finish: FinishReason | undefined;
  const counters: Counters = { tools: 0, reasoningChars: 0 };
  const blocks = new Map<number, OpenBlock>();
  // Token deltas after the first two of a kind are read without JSON.parse.
  const shapes = new DeltaShapes();
  let stopped = false;
  for await (const ev of events) {
    // Read on to the end of the body: leaving the loop early destroys the socket's body with an error.
    if (stopped) continue;
    let data = shapes.read(ev.data);
    if (data === undefined) {
      try {
        data = JSON.parse(ev.data) as Json;
      } catch {
        throw malformedChunk(provider);
      }
      if (data === null || typeof data !== 'object') throw malformedChunk(provider);
      shapes.learn(ev.data, data);
    }
    const type = typeof data.type === 'string' ? data.type : ev.event;
    if (type === 'ping') continue;
    if (type === 'error') throw mapAnthropicStreamError(data, provider);
    if (!started) {
      started = true;
      const message = (type === 'message_start' ? data.message : undefined) as Json | undefined;
      const start: StreamPart = { type: 'start', id: typeof message?.id === 'string' ? message.id : undefined, model: typeof message?.model === 'string' ? message.model : undefined };
      if (warnings && warnings.length > 0) start.warnings = [...warnings];
      yield start;
    }
    switch (type) {
      case 'message_start': {
        const usage = (data.message as Json | undefined)?.usage;
        counts = { ...counts, ...readTokenCounts(usage) };
        rawUsage = mergeRaw(rawUsage, usage);
        break;
      }
      case 'content_block_start': {
        const opened = startBlock((data.content_block ?? {}) as Json, counters);
        blocks.set(Number(data.index), opened.open);
        if (opened.part) yield opened.part;
        break;
      }
      case 'content_block_delta': {
        const part = deltaPart((data.delta ?? {}) as Json, blocks.get(Number(data.index)), counters, provider);
        if (part) yield part;
        break;
      }
      case 'content_block_stop': {
        const index = Number(data.index);
        const open = blocks.get(index);
        blocks.delete(index);
        if (open?.kind === 'other') {
          const block = open.partialJson === '' ? open.block : { ...open.block, input: parseOr(open.partialJson) };
          yield { type: 'provider-metadata', namespace: ANTHROPIC_NAMESPACE, data: { content_block: block } };
        }
        break;
      }
      case 'message_delta': {
        const delta = (data.delta ?? {}) as Json;
        counts = { ...counts, ...readTokenCounts(data.usage) };
        rawUsage = mergeRaw(rawUsage, data.usage);
        if (delta.stop_reason !== undefined && delta.stop_reason !== null) {
          const ext: JsonObject = { stop_reason: String(delta.stop_reason) };
          if (typeof delta.stop_sequence === 'string') ext.stop_sequence = delta.stop_sequence;
          yield { type: 'provider-metadata', namespace: ANTHROPIC_NAMESPACE, data: ext };
          finish = mapStopReason(delta.stop_reason);
          yield { type: 'finish', finishReason: finish };
        }
        break;
      }
      case 'message_stop':
        if (finish === undefined) yield { type: 'finish', finishReason: 'stop' };
        // No counts at all: the relay estimates the usage rather than billing zero.
        if (counts.input !== undefined || counts.output !== undefined) {
          yield { type: 'usage', usage: withReasoningTokens(toCanonicalUsage(counts), counters.reasoningChars), raw: rawUsage };
        }
        stopped = true;
        break;
      default:
        // Event types added after this was written carry nothing we can map; skipping keeps us working.
        break;
    }
  }
  if (stopped) return;
  throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before message_stop.`, provider });
}
