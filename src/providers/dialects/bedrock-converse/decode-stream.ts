import { GatewayError } from '../../../core/errors.js';
import type { JsonObject, StreamPart, Usage, Warning } from '../../../core/types.js';
import { PartStream, type ReadDecoder } from '../../part-stream.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';
import { ConverseDeltaShapes } from './delta-shapes.js';
import { EventStreamParser, type EventStreamMessage } from './event-stream.js';
import { BEDROCK_NAMESPACE, firedStopSequence } from './decode-response.js';
import { presentNot } from '../field-type.js';
import { malformedOutput, mapStopReason, toolUseWithoutCall } from './finish-reason.js';
import { mapStreamErrorFrame, mapStreamException } from './map-error.js';
import { reasoningProviderFor } from './model-family.js';
import { decodeBedrockUsage } from './usage.js';
import { withReasoningTokens } from '../../../core/estimate.js';

function parsePayload(message: EventStreamMessage, upstream: UpstreamRef): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(message.payload);
    if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // Falls through to the malformed error below.
  }
  throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} sent a malformed stream event.`, provider: providerOf(upstream) });
}

/** An event of the wrong shape: `what` names the field, never its value. */
function malformedEvent(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} sent a malformed stream event: ${what}.`, provider: providerOf(upstream) });
}

/** A reasoningContent delta as a part: text, the signature that ends a block, or redacted (encrypted) reasoning. */
function reasoningDelta(delta: { text?: unknown; signature?: unknown; redactedContent?: unknown }, reasoningProvider: string): StreamPart | undefined {
  if (typeof delta.text === 'string' && delta.text !== '') return { type: 'reasoning', delta: delta.text, provider: reasoningProvider };
  if (typeof delta.signature === 'string') return { type: 'reasoning', delta: '', signature: delta.signature, provider: reasoningProvider };
  if (typeof delta.redactedContent === 'string') return { type: 'redacted-reasoning', data: delta.redactedContent, provider: reasoningProvider };
  return undefined;
}

/**
 * A ConverseStream body (`application/vnd.amazon.eventstream`) to canonical parts, emitted as frames
 * arrive, a whole upstream read at a time: messageStart (the start part, carrying the encoder's
 * `warnings`), contentBlockStart (a tool call's id and name), contentBlockDelta (text, tool-input JSON
 * pieces, reasoning: named `anthropic` for Claude models), messageStop (the finish reason), metadata
 * (usage with its raw numbers, metrics). Exception frames become errors; a stream that ends before
 * messageStop is a truncation, never a clean end. A malformed answer's error waits for the metadata, so
 * it carries the usage the upstream charged (`paidUsage`), as the whole answer's does.
 */
export function decodeConverseStream(body: AsyncIterable<Uint8Array>, upstream: UpstreamRef, model: string, warnings?: readonly Warning[]): AsyncIterableIterator<StreamPart> {
  return new PartStream(body[Symbol.asyncIterator](), new ConverseReads(upstream, model, warnings), upstream);
}

/** The event-stream framing and the Converse event decoder fused, with the stream's state. */
class ConverseReads implements ReadDecoder {
  private readonly frames: EventStreamParser;
  private readonly shapes = new ConverseDeltaShapes();
  private readonly reasoningProvider: string;
  /** Content block index -> canonical tool-call index (tool calls are numbered among themselves). */
  private readonly toolIndex = new Map<number, number>();
  /** By tool-call index: whether the call's arguments have begun (one without any is closed with `{}`). */
  private readonly argued: boolean[] = [];
  private stopped = false;
  /**
   * A messageStop that is the model's failure (a malformed answer, a tool_use stop without a call): raised
   * once the metadata after it brings the usage the upstream charged, or when the body ends without it.
   */
  private failure: ((paidUsage: Usage | undefined) => GatewayError) | undefined;
  /** Bedrock counts thinking in outputTokens without saying how much: counted from the text. */
  private reasoningChars = 0;
  /** The provider type its errors carry; `upstream` is who their messages name. */
  private readonly provider: string;

  constructor(
    private readonly upstream: UpstreamRef,
    model: string,
    private readonly warnings: readonly Warning[] | undefined,
  ) {
    this.provider = providerOf(upstream);
    this.frames = new EventStreamParser(upstream);
    this.reasoningProvider = reasoningProviderFor(model);
  }

  push(chunk: Uint8Array, out: StreamPart[]): void {
    const messages = this.frames.push(chunk);
    // The stream ends at the metadata after messageStop (see `complete`): frames after it, in the same read, are not decoded.
    for (let i = 0; i < messages.length && !this.complete; i++) this.decode(messages[i] as EventStreamMessage, out);
  }

  /** The metadata after messageStop arrived (usage comes only there): the stream is whole. */
  complete = false;

  end(): void {
    this.frames.end();
    if (this.failure) throw this.failure(undefined);
    if (!this.stopped) throw new GatewayError({ kind: 'network', message: `Upstream ${nameOf(this.upstream)} stream ended before completion.`, provider: this.provider });
  }

  private decode(message: EventStreamMessage, out: StreamPart[]): void {
    const upstream = this.upstream;
    if (message.messageType === 'exception') throw mapStreamException(message.exceptionType ?? '', parsePayload(message, upstream), this.provider);
    if (message.messageType === 'error') throw mapStreamErrorFrame(message.errorCode, message.errorMessage, this.provider);
    if (message.eventType === 'contentBlockDelta') {
      // Token after token: read by shape once learned (no JSON.parse), else parsed and learned from.
      const shaped = this.shapes.shapeOf(message.payload);
      let event = this.shapes.read(shaped);
      if (event === undefined) {
        event = parsePayload(message, upstream);
        this.shapes.learn(shaped, event);
      }
      this.delta(event, out);
      return;
    }
    const event = parsePayload(message, upstream);
    switch (message.eventType) {
      case 'messageStart':
        out.push(this.warnings && this.warnings.length > 0 ? { type: 'start', warnings: [...this.warnings] } : { type: 'start' });
        break;
      case 'contentBlockStart': {
        const start = (event.start ?? {}) as { toolUse?: { toolUseId?: unknown; name?: unknown } };
        if (start.toolUse) {
          const name = start.toolUse.name;
          if (typeof name !== 'string' || name === '') throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(this.upstream)} began a tool call without a name.`, provider: this.provider });
          const index = this.toolIndex.size;
          this.toolIndex.set(Number(event.contentBlockIndex ?? 0), index);
          // A call without an id gets one by its place, as a whole answer's does (a client needs it to answer the call).
          const id = typeof start.toolUse.toolUseId === 'string' && start.toolUse.toolUseId !== '' ? start.toolUse.toolUseId : `call_${index}`;
          out.push({ type: 'tool-call', index, id, name, argumentsDelta: '' });
        }
        break;
      }
      case 'messageStop': {
        const stopReason = event.stopReason;
        if (presentNot(stopReason, 'string')) throw malformedEvent(upstream, 'a stopReason that is not a string');
        const glitch = malformedOutput(stopReason, upstream);
        if (glitch) this.failure = (paid) => malformedOutput(stopReason, upstream, paid) ?? glitch;
        // As the whole answer is decoded: never finish_reason tool_calls with no tool call.
        else if (stopReason === 'tool_use' && this.toolIndex.size === 0) this.failure = (paid) => toolUseWithoutCall(upstream, paid);
        if (this.failure) break;
        this.stopped = true;
        out.push({ type: 'finish', finishReason: mapStopReason(event.stopReason, this.toolIndex.size > 0) });
        if (typeof event.stopReason === 'string') {
          const fired = firedStopSequence(event.additionalModelResponseFields);
          out.push({ type: 'provider-metadata', namespace: BEDROCK_NAMESPACE, data: fired === undefined ? { stopReason: event.stopReason } : { stopReason: event.stopReason, stopSequence: fired } });
        }
        break;
      }
      case 'contentBlockStop': {
        // A tool called without arguments streams none: `{}`, as the answer's `input: {}` is decoded.
        const index = this.toolIndex.get(Number(event.contentBlockIndex ?? 0));
        if (index !== undefined && this.argued[index] !== true) {
          this.argued[index] = true;
          out.push({ type: 'tool-call', index, argumentsDelta: '{}' });
        }
        break;
      }
      case 'metadata':
        if (this.failure) throw this.failure(this.paidUsage(event));
        this.metadata(event, out);
        if (this.stopped) this.complete = true;
        break;
      default:
        // Events newer than this adapter carry nothing canonical.
        break;
    }
  }

  private delta(event: Record<string, unknown>, out: StreamPart[]): void {
    const delta = (event.delta ?? {}) as { text?: unknown; toolUse?: { input?: unknown }; reasoningContent?: { text?: unknown; signature?: unknown; redactedContent?: unknown } };
    if (typeof delta.text === 'string') {
      if (delta.text !== '') out.push({ type: 'text', delta: delta.text });
    } else if (presentNot(delta.text, 'string')) throw malformedEvent(this.upstream, 'a text delta that is not a string');
    else if (delta.toolUse) {
      const index = this.toolIndex.get(Number(event.contentBlockIndex ?? 0));
      // Input for a block no contentBlockStart opened as a tool call: a call with no id or name, which no client can run.
      if (index === undefined) throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(this.upstream)} sent tool input for a tool call it never began.`, provider: this.provider });
      // Streamed input is JSON text in pieces; an object here would be arguments dropped unseen.
      if (presentNot(delta.toolUse.input, 'string')) throw malformedEvent(this.upstream, 'a toolUse input delta that is not a string');
      const input = typeof delta.toolUse.input === 'string' ? delta.toolUse.input : '';
      if (input !== '') this.argued[index] = true;
      out.push({ type: 'tool-call', index, argumentsDelta: input });
    } else if (delta.reasoningContent) {
      const part = reasoningDelta(delta.reasoningContent, this.reasoningProvider);
      if (part?.type === 'reasoning') this.reasoningChars += part.delta.length;
      if (part) out.push(part);
    }
  }

  /** The metadata event's usage, reasoning counted in as for the usage part. */
  private paidUsage(event: Record<string, unknown>): Usage | undefined {
    const usage = decodeBedrockUsage(event.usage);
    return usage && withReasoningTokens(usage, this.reasoningChars);
  }

  private metadata(event: Record<string, unknown>, out: StreamPart[]): void {
    const usage = this.paidUsage(event);
    if (usage) out.push({ type: 'usage', usage, raw: event.usage as JsonObject });
    const data: JsonObject = {};
    if (event.metrics && typeof event.metrics === 'object') data.metrics = event.metrics as JsonObject;
    if (event.trace && typeof event.trace === 'object') data.trace = event.trace as JsonObject;
    if (Object.keys(data).length > 0) out.push({ type: 'provider-metadata', namespace: BEDROCK_NAMESPACE, data });
  }
}
