import { GatewayError } from '../../../core/errors.js';
import type { JsonObject, StreamPart, Warning } from '../../../core/types.js';
import { decodeSseParts, type SseEvent, type SseEventDecoder } from '../../sse.js';
import { StringSlots } from '../../string-slot.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { withoutObfuscation } from './obfuscation.js';
import { decodeUsage } from './usage.js';
import { REASONING_PROVIDER, reasoningOf, servedAsOf } from './decode-response.js';
import { presentNot } from '../field-type.js';
import { isObject } from '../../../core/json.js';
import { deltaChunks } from './content-chunks.js';
import { mapFinishReason } from './finish-reason.js';
import { mapOpenAIStreamError } from './map-error.js';
import { ToolCallOrder } from './tool-call-order.js';

/**
 * OpenAI chat-completion chunks to canonical stream parts; `warnings` from encoding go on the start
 * part. The stream must end with `[DONE]`; one that stops short is a truncation and surfaces as an
 * error, never as a clean end. `contentChunks`: the upstream is Mistral's API, whose `delta.content`
 * may also be a list of typed chunks (content-chunks.ts).
 */
export function decodeChatStream(events: AsyncIterable<SseEvent>, upstream: UpstreamRef, warnings?: Warning[], contentChunks = false): AsyncIterableIterator<StreamPart> {
  return decodeSseParts(events, new ChunkDecoder(upstream, warnings, contentChunks), upstream);
}

/** The same decoding one event at a time, for a dialect that adds to it (Azure's filter results). */
export function chatChunkDecoder(upstream: UpstreamRef, warnings?: Warning[]): SseEventDecoder {
  return new ChunkDecoder(upstream, warnings);
}

/** A part a chunk can make alone, again and again with only its string changing: see StringSlot. */
type SlotPart = Extract<StreamPart, { type: 'text' | 'reasoning' | 'tool-call' }>;

/** The slots a stream learns: text, reasoning and one tool's arguments cover nearly every chunk. */
const MAX_SLOTS = 4;

/**
 * The per-stream state of decoding: whether the start part went out, whether [DONE] arrived, and the
 * shapes of the chunks that only carry the next token (read without JSON.parse once learned).
 */
class ChunkDecoder implements SseEventDecoder {
  done = false;
  private started = false;
  private slots: StringSlots<SlotPart> | undefined;
  /** Tool calls begun, by the upstream's index: the index parts carry (in order of beginning) and the call's id. */
  private readonly calls = new Map<number, { index: number; id: string | undefined }>();
  private begun = 0;
  /** Deltas of tool calls whose name has not come yet (some servers send it a chunk later): held, then sent as one part. */
  private unnamed: Map<number, { id: string | undefined; args: string }> | undefined;
  private order: ToolCallOrder | undefined;
  /** The provider type its errors carry; `upstream` is who their messages name. */
  private readonly provider: string;

  constructor(
    private readonly upstream: UpstreamRef,
    private readonly warnings: Warning[] | undefined,
    private readonly contentChunks = false,
  ) {
    this.provider = providerOf(upstream);
  }

  /** [DONE] arrived: the stream is whole. */
  get complete(): boolean {
    return this.done;
  }

  /** Throws unless [DONE] arrived: a stream that stops short is a truncation. */
  finish(_out: StreamPart[]): void {
    if (!this.done) throw new GatewayError({ kind: 'network', message: `Upstream ${nameOf(this.upstream)} stream ended before completion.`, provider: this.provider });
  }

  /**
   * Appends the parts of one event's data to `out` (none after [DONE], nor for [DONE] itself); once a
   * tool call began, parallel calls' fragments are put one call after another (`ToolCallOrder`).
   */
  decode(data: string, _event: string | undefined, out: StreamPart[]): void {
    const from = out.length;
    this.decodeChunk(data, out);
    if (this.begun > 0) (this.order ??= new ToolCallOrder()).arrange(out, from);
  }

  private decodeChunk(data: string, out: StreamPart[]): void {
    if (this.done) return;
    if (data === '[DONE]') {
      // Checked here, not at the body's end: the stream ends at [DONE].
      if (this.unnamed !== undefined && this.unnamed.size > 0) throw unnamedCall(this.upstream);
      this.done = true;
      return;
    }
    // OpenAI pads every chunk with a random `obfuscation` member; the shapes are learned without it.
    const shaped = this.started ? withoutObfuscation(data) : data;
    if (this.slots !== undefined && this.readSlots(shaped, out)) return;
    const provider = this.provider;
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(this.upstream)} sent a malformed stream chunk.`, provider });
    }
    if (chunk.error) throw mapOpenAIStreamError(chunk.error as Record<string, unknown>, provider);
    const learning = this.started;
    if (!this.started) {
      this.started = true;
      const id = typeof chunk.id === 'string' ? chunk.id : undefined;
      const model = typeof chunk.model === 'string' ? chunk.model : undefined;
      const start: StreamPart = this.warnings ? { type: 'start', id, model, warnings: this.warnings } : { type: 'start', id, model };
      const servedAs = servedAsOf(chunk);
      if (servedAs) start.servedAs = servedAs;
      out.push(start);
    }
    const before = out.length;
    const choice = this.firstChoice(chunk.choices);
    if (choice) {
      const delta = choice.delta;
      // Absent or null on some servers' last chunk (only the finish reason): no delta, not a wrong one.
      if (isObject(delta)) this.decodeDelta(delta, out);
      else if (presentNot(delta, 'object')) throw malformedChunk(this.upstream, 'a delta that is not an object');
      if (presentNot(choice.finish_reason, 'string')) throw malformedChunk(this.upstream, 'a finish_reason that is not a string');
      if (choice.finish_reason) {
        // Raised before the finish part, which commits the stream: another deployment may still answer.
        if (this.unnamed !== undefined && this.unnamed.size > 0) throw unnamedCall(this.upstream);
        const finishReason = mapFinishReason(choice.finish_reason, this.begun > 0);
        out.push({ type: 'finish', finishReason });
      }
    }
    if (chunk.usage) {
      const usage = decodeUsage(chunk.usage);
      if (usage) out.push({ type: 'usage', usage, raw: chunk.usage as JsonObject });
    }
    // A chunk whose only effect was one token's part teaches its shape.
    if (learning && out.length === before + 1) this.learn(shaped, out[before] as StreamPart);
  }

  /**
   * The chunk's first choice; undefined for none (`choices: []` of the usage chunk, Azure's filter-only
   * first chunk). Choices that are not objects, or `choices` that is not a list, are no answer to pass over.
   */
  private firstChoice(choices: unknown): Record<string, unknown> | undefined {
    if (choices === undefined || choices === null) return undefined;
    if (!Array.isArray(choices)) throw malformedChunk(this.upstream, 'choices that are not a list');
    for (let i = 0; i < choices.length; i++) if (!isObject(choices[i])) throw malformedChunk(this.upstream, 'a choice that is not an object');
    return choices[0] as Record<string, unknown> | undefined;
  }

  /** The part of a chunk of a learned shape, if `data` is one; false: parse it. */
  private readSlots(data: string, out: StreamPart[]): boolean {
    const hit = (this.slots as StringSlots<SlotPart>).read(data);
    if (hit === undefined) return false;
    const part = withValue(hit.sample, hit.value);
    if (part) out.push(part);
    return true;
  }

  private learn(data: string, part: StreamPart): void {
    if (part.type !== 'text' && part.type !== 'reasoning' && !(part.type === 'tool-call' && part.id === undefined && part.name === undefined)) return;
    (this.slots ??= new StringSlots(MAX_SLOTS, sameKind)).learn(data, part, part.type === 'tool-call' ? part.argumentsDelta : part.delta);
  }

  /**
   * One tool-call delta. A call's first part carries its name (the doors open a tool block with it),
   * so what comes before the name (some servers send it a chunk later, or empty first) is held and
   * sent with it.
   */
  private toolCallDelta(tc: Record<string, unknown>, out: StreamPart[]): void {
    const fn = (tc.function ?? {}) as Record<string, unknown>;
    const at = typeof tc.index === 'number' ? tc.index : 0;
    const id = typeof tc.id === 'string' && tc.id !== '' ? tc.id : undefined;
    if (presentNot(fn.arguments, 'string')) throw malformedChunk(this.upstream, 'tool call arguments that are not a string');
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : undefined;
    const call = this.calls.get(at);
    if (call && (id === undefined || call.id === undefined || id === call.id)) {
      // The name went with the first part: some servers repeat it in every delta, and readers join the pieces.
      out.push(toolCallPart(call.index, id, undefined, args));
      return;
    }
    if (call) {
      // Another id at an index in use: a new call (servers that number every call 0, or none). The
      // shapes learned for the old one would give its index.
      this.calls.delete(at);
      this.slots = undefined;
    }
    const held = this.unnamed?.get(at);
    if (name === undefined) {
      if (held) {
        held.id ??= id;
        held.args += args;
      } else (this.unnamed ??= new Map()).set(at, { id, args });
      return;
    }
    const index = this.begun++;
    this.calls.set(at, { index, id: held?.id ?? id });
    this.unnamed?.delete(at);
    // A call without an id gets one by its place, as a whole answer's does (a client needs it to answer the call).
    out.push(toolCallPart(index, held?.id ?? id ?? `call_${index}`, name, held ? held.args + args : args));
  }

  private decodeDelta(delta: Record<string, unknown>, out: StreamPart[]): void {
    const reasoning = reasoningOf(delta);
    if (reasoning !== undefined) out.push(reasoningPart(reasoning));
    if (typeof delta.content === 'string') {
      if (delta.content !== '') out.push(textPart(delta.content));
    } else if (this.contentChunks && Array.isArray(delta.content)) {
      const problem = deltaChunks(delta.content, out);
      if (problem !== undefined) throw malformedChunk(this.upstream, problem);
    } else if (presentNot(delta.content, 'string')) throw malformedChunk(this.upstream, 'delta content that is not text');
    // OpenAI streams a refusal in pieces, as it does text (`refusal: ""` opens it with the role).
    if (typeof delta.refusal === 'string' && delta.refusal !== '') out.push({ type: 'refusal', delta: delta.refusal });
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls as Array<Record<string, unknown>>) this.toolCallDelta(tc, out);
    }
  }
}

/** A chunk that parsed but carries a field of the wrong type: `what` names the field, never its value. */
function malformedChunk(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} sent a malformed stream chunk: ${what}.`, provider: providerOf(upstream) });
}

function unnamedCall(upstream: UpstreamRef): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} streamed a tool call without a function name.`, provider: providerOf(upstream) });
}

const textPart = (delta: string): SlotPart => ({ type: 'text', delta });
const reasoningPart = (delta: string): SlotPart => ({ type: 'reasoning', delta, provider: REASONING_PROVIDER });
const toolCallPart = (index: number, id: string | undefined, name: string | undefined, argumentsDelta: string): SlotPart => ({ type: 'tool-call', index, id, name, argumentsDelta });

function sameKind(a: SlotPart, b: SlotPart): boolean {
  return a.type === b.type && (a.type !== 'tool-call' || a.index === (b as typeof a).index);
}

/**
 * The part a chunk of `sample`'s shape makes with `value` in its slot, as decodeDelta would make it:
 * empty text or reasoning makes none; a tool call's arguments, even empty, make one.
 */
function withValue(sample: SlotPart, value: string): StreamPart | undefined {
  if (sample.type === 'tool-call') return toolCallPart(sample.index, undefined, undefined, value);
  if (value === '') return undefined;
  return sample.type === 'text' ? textPart(value) : reasoningPart(value);
}
