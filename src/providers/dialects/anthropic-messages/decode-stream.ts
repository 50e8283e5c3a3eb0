import { GatewayError } from '../../../core/errors.js';
import { tokenCount, type FinishReason, type JsonObject, type JsonValue, type PromptCount, type StreamPart, type Warning } from '../../../core/types.js';
import { decodeSseParts, type SseEvent, type SseEventDecoder } from '../../sse.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { ANTHROPIC_NAMESPACE, refusalDetails } from './decode-response.js';
import { presentNot } from '../field-type.js';
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
  /** `args`: whether any argument text came (a call without arguments is closed with `{}`, as an answer's is). */
  | { kind: 'tool'; toolIndex: number; args: boolean }
  | { kind: 'thinking' }
  | { kind: 'other'; block: JsonObject; partialJson: string };

/** `what`: the field of the wrong type, never its value. */
function malformedChunk(upstream: UpstreamRef, what?: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} sent a malformed stream event${what === undefined ? '' : `: ${what}`}.`, provider: providerOf(upstream) });
}

/** Accumulated server-tool input; kept as the raw string when it does not parse. */
function parseOr(json: string): JsonValue {
  try {
    return JSON.parse(json) as JsonValue;
  } catch {
    return json;
  }
}

/**
 * The counts so far with `usage`'s: message_delta's are cumulative and replace message_start's. An input
 * or output count sent but not a count (negative, fractional, text) leaves that count unknown, even one
 * an earlier event gave: the usage is then estimated, never billed from a count the upstream contradicted.
 */
function mergeCounts(counts: AnthropicTokenCounts, usage: unknown): AnthropicTokenCounts {
  const merged = { ...counts, ...readTokenCounts(usage) };
  if (usage === null || typeof usage !== 'object') return merged;
  const u = usage as Json;
  if (notACount(u.input_tokens)) delete merged.input;
  if (notACount(u.output_tokens)) delete merged.output;
  return merged;
}

/** A count the upstream sent (not null, not absent) that is not one. */
function notACount(value: unknown): boolean {
  return value !== undefined && value !== null && tokenCount(value) === undefined;
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
function startBlock(block: Json, counters: Counters, upstream: UpstreamRef): { open: OpenBlock; part?: StreamPart } {
  if (block.type === 'text') {
    return { open: { kind: 'text' }, part: typeof block.text === 'string' && block.text !== '' ? { type: 'text', delta: block.text } : undefined };
  }
  if (block.type === 'tool_use') {
    if (presentNot(block.input, 'object')) throw malformedChunk(upstream, 'a tool_use input that is not an object');
    const toolIndex = counters.tools++;
    const input = block.input as Json | undefined;
    const initial = input && typeof input === 'object' && Object.keys(input).length > 0 ? JSON.stringify(input) : '';
    // A call without an id gets one by its place (a client needs it to answer the call); one without a name cannot be called.
    const id = typeof block.id === 'string' && block.id !== '' ? block.id : `call_${toolIndex}`;
    const name = typeof block.name === 'string' && block.name !== '' ? block.name : undefined;
    if (name === undefined) throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} began a tool call without a name.`, provider: providerOf(upstream) });
    return { open: { kind: 'tool', toolIndex, args: initial !== '' }, part: { type: 'tool-call', index: toolIndex, id, name, argumentsDelta: initial } };
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
function deltaPart(delta: Json, open: OpenBlock | undefined, counters: Counters, upstream: UpstreamRef): StreamPart | undefined {
  if (delta.type === 'text_delta' && presentNot(delta.text, 'string')) throw malformedChunk(upstream, 'a text_delta whose text is not a string');
  if (delta.type === 'input_json_delta' && presentNot(delta.partial_json, 'string')) throw malformedChunk(upstream, 'an input_json_delta whose partial_json is not a string');
  if (delta.type === 'text_delta' && typeof delta.text === 'string') return delta.text === '' ? undefined : { type: 'text', delta: delta.text };
  if (delta.type === 'input_json_delta' && open?.kind === 'tool') {
    if (typeof delta.partial_json !== 'string' || delta.partial_json === '') return undefined;
    open.args = true;
    return { type: 'tool-call', index: open.toolIndex, argumentsDelta: delta.partial_json };
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
  if (!open) throw malformedChunk(upstream);
  return undefined;
}

/**
 * Messages API stream events to canonical parts. The event type is read from the JSON `type` (the SSE
 * `event:` name is only a fallback) so Bedrock's InvokeModel chunks, which carry the same JSON without
 * SSE names, decode too. Tool calls are numbered in order of appearance; thinking streams as
 * reasoning parts whose last carries the block's signature. Usage is input counts from message_start
 * merged with message_delta's cumulative counts (the raw objects merged the same way), emitted after
 * message_delta's finish (at message_stop when no message_delta finished), and not at all without both an
 * input and an output count (the relay's estimate then, marked as one); an `error` event throws its GatewayError, and a stream ending before message_stop is a
 * truncation, never a clean end. `warnings` (the encoder's) ride on the start part.
 */
export function decodeMessagesStream(events: AsyncIterable<SseEvent>, upstream: UpstreamRef, warnings?: readonly Warning[]): AsyncIterableIterator<StreamPart> {
  return decodeSseParts(events, new MessagesDecoder(upstream, warnings), upstream);
}

/** One Messages stream's state: the open blocks, the counts so far, the shapes of its token deltas. */
class MessagesDecoder implements SseEventDecoder {
  private started = false;
  private stopped = false;
  private counts: AnthropicTokenCounts = {};
  private rawUsage: JsonObject = {};
  private finishReason: FinishReason | undefined;
  /** The usage part went out (with message_delta's finish): message_stop adds none. */
  private usageOut = false;
  private readonly counters: Counters = { tools: 0, reasoningChars: 0 };
  private readonly blocks = new Map<number, OpenBlock>();
  /** Token deltas after the first two of a kind are read without JSON.parse. */
  private readonly shapes = new DeltaShapes();
  /** The provider type its errors carry; `upstream` is who their messages name. */
  private readonly provider: string;

  constructor(
    private readonly upstream: UpstreamRef,
    private readonly warnings: readonly Warning[] | undefined,
  ) {
    this.provider = providerOf(upstream);
  }

  /** message_stop arrived: the stream is whole. */
  get complete(): boolean {
    return this.stopped;
  }

  finish(_out: StreamPart[]): void {
    if (!this.stopped) throw new GatewayError({ kind: 'network', message: `Upstream ${nameOf(this.upstream)} stream ended before message_stop.`, provider: this.provider });
  }

  decode(text: string, name: string | undefined, out: StreamPart[]): void {
    // The stream ends at message_stop (see `complete`); anything after it is ignored.
    if (this.stopped) return;
    const data = this.parse(text);
    const type = typeof data.type === 'string' ? data.type : name;
    if (type === 'ping') return;
    if (type === 'error') throw mapAnthropicStreamError(data, this.provider);
    if (!this.started) {
      this.started = true;
      const message = (type === 'message_start' ? data.message : undefined) as Json | undefined;
      const start: StreamPart = { type: 'start', id: typeof message?.id === 'string' ? message.id : undefined, model: typeof message?.model === 'string' ? message.model : undefined, prompt: promptCount(message?.usage) };
      if (this.warnings && this.warnings.length > 0) start.warnings = [...this.warnings];
      out.push(start);
    }
    switch (type) {
      case 'message_start': {
        const usage = (data.message as Json | undefined)?.usage;
        this.counts = mergeCounts(this.counts, usage);
        this.rawUsage = mergeRaw(this.rawUsage, usage);
        break;
      }
      case 'content_block_start': {
        const opened = startBlock((data.content_block ?? {}) as Json, this.counters, this.upstream);
        this.blocks.set(Number(data.index), opened.open);
        if (opened.part) out.push(opened.part);
        break;
      }
      case 'content_block_delta': {
        const part = deltaPart((data.delta ?? {}) as Json, this.blocks.get(Number(data.index)), this.counters, this.upstream);
        if (part) out.push(part);
        break;
      }
      case 'content_block_stop':
        this.stopBlock(Number(data.index), out);
        break;
      case 'message_delta':
        this.messageDelta(data, out);
        break;
      case 'message_stop':
        if (this.finishReason === undefined) out.push({ type: 'finish', finishReason: 'stop' });
        if (!this.usageOut) this.pushUsage(out);
        this.stopped = true;
        break;
      default:
        // Event types added after this was written carry nothing we can map; skipping keeps us working.
        break;
    }
  }

  /** The event `text` is: read by shape when it has a learned one, else parsed (and learned from). */
  private parse(text: string): Json {
    const read = this.shapes.read(text);
    if (read !== undefined) return read;
    let data: Json;
    try {
      data = JSON.parse(text) as Json;
    } catch {
      throw malformedChunk(this.upstream);
    }
    if (data === null || typeof data !== 'object') throw malformedChunk(this.upstream);
    this.shapes.learn(text, data);
    return data;
  }

  private stopBlock(index: number, out: StreamPart[]): void {
    const open = this.blocks.get(index);
    this.blocks.delete(index);
    // A tool called without arguments streams none: `{}`, as the answer's `input: {}` is decoded.
    if (open?.kind === 'tool' && !open.args) out.push({ type: 'tool-call', index: open.toolIndex, argumentsDelta: '{}' });
    else if (open?.kind === 'other') {
      const block = open.partialJson === '' ? open.block : { ...open.block, input: parseOr(open.partialJson) };
      out.push({ type: 'provider-metadata', namespace: ANTHROPIC_NAMESPACE, data: { content_block: block } });
    }
  }

  private messageDelta(data: Json, out: StreamPart[]): void {
    const delta = (data.delta ?? {}) as Json;
    if (presentNot(delta.stop_reason, 'string')) throw malformedChunk(this.upstream, 'a stop_reason that is not a string');
    this.counts = mergeCounts(this.counts, data.usage);
    this.rawUsage = mergeRaw(this.rawUsage, data.usage);
    if (delta.stop_reason !== undefined && delta.stop_reason !== null) {
      const ext: JsonObject = { stop_reason: String(delta.stop_reason) };
      if (typeof delta.stop_sequence === 'string') ext.stop_sequence = delta.stop_sequence;
      const details = refusalDetails(delta.stop_details);
      if (details) ext.stop_details = details;
      out.push({ type: 'provider-metadata', namespace: ANTHROPIC_NAMESPACE, data: ext });
      this.finishReason = mapStopReason(delta.stop_reason);
      out.push({ type: 'finish', finishReason: this.finishReason });
      // Its counts are the answer's whole usage (message_stop carries none): they go with its finish, so a
      // stream cut before message_stop still bills the upstream's exact output, not the gateway's count.
      if (!this.usageOut) this.pushUsage(out);
    }
  }

  /**
   * The usage part of the counts so far; none unless both the input and the output were counted (as a
   * whole answer's usage is estimated without both): the relay then estimates, and says so, rather than
   * bill a prompt or an answer of zero.
   */
  private pushUsage(out: StreamPart[]): void {
    if (this.counts.input === undefined || this.counts.output === undefined) return;
    out.push({ type: 'usage', usage: withReasoningTokens(toCanonicalUsage(this.counts), this.counters.reasoningChars), raw: this.rawUsage });
    this.usageOut = true;
  }
}

/** message_start's input counts as the canonical prompt side, or undefined when it has none. */
function promptCount(usage: unknown): PromptCount | undefined {
  const c = readTokenCounts(usage);
  if (c.input === undefined) return undefined;
  const cachedRead = c.cacheRead ?? 0;
  const cachedWrite = c.cacheWrite ?? 0;
  const count: PromptCount = { prompt: c.input + cachedRead + cachedWrite, cachedRead, cachedWrite };
  if (c.cacheWrite1h !== undefined) count.cachedWrite1h = Math.min(c.cacheWrite1h, cachedWrite);
  return count;
}
