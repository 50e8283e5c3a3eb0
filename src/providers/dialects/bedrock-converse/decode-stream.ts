import { GatewayError } from '../../../core/errors.js';
import type { JsonObject, StreamPart, Warning } from '../../../core/types.js';
import { headerValue, type EventStreamMessage } from './event-stream.js';
import { BEDROCK_NAMESPACE } from './decode-response.js';
import { mapStopReason } from './finish-reason.js';
import { mapStreamErrorFrame, mapStreamException } from './map-error.js';
import { reasoningProviderFor } from './model-family.js';
import { decodeBedrockUsage } from './usage.js';
import { withReasoningTokens } from '../../../core/estimate.js';

const utf8 = new TextDecoder();

function payloadOf(message: EventStreamMessage, provider: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(utf8.decode(message.body));
    if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // Falls through to the malformed error below.
  }
  throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${provider} sent a malformed stream event.`, provider });
}

/** A reasoningContent delta as a part: text, the signature that ends a block, or redacted (encrypted) reasoning. */
function reasoningDelta(delta: { text?: unknown; signature?: unknown; redactedContent?: unknown }, reasoningProvider: string): StreamPart | undefined {
  if (typeof delta.text === 'string' && delta.text !== '') return { type: 'reasoning', delta: delta.text, provider: reasoningProvider };
  if (typeof delta.signature === 'string') return { type: 'reasoning', delta: '', signature: delta.signature, provider: reasoningProvider };
  if (typeof delta.redactedContent === 'string') return { type: 'redacted-reasoning', data: delta.redactedContent, provider: reasoningProvider };
  return undefined;
}

/**
 * ConverseStream events to canonical parts, emitted as they arrive: messageStart (the start part,
 * carrying the encoder's `warnings`), contentBlockStart (a tool call's id and name), contentBlockDelta
 * (text, tool-input JSON pieces, reasoning: named `anthropic` for Claude models), messageStop (the
 * finish reason), metadata (usage with its raw numbers, metrics). Exception frames become errors; a
 * stream that ends before messageStop is a truncation, never a clean end.
 */
export async function* decodeConverseStream(
  messages: AsyncIterable<EventStreamMessage>,
  provider: string,
  model: string,
  warnings?: readonly Warning[],
): AsyncGenerator<StreamPart> {
  const reasoningProvider = reasoningProviderFor(model);
  // Content block index -> canonical tool-call index (tool calls are numbered among themselves).
  const toolIndex = new Map<number, number>();
  let stopped = false;
  // Bedrock counts thinking in outputTokens without saying how much: counted from the text.
  let reasoningChars = 0;
  for await (const message of messages) {
    const messageType = headerValue(message, ':message-type');
    if (messageType === 'exception') {
      throw mapStreamException(headerValue(message, ':exception-type') ?? '', payloadOf(message, provider), provider);
    }
    if (messageType === 'error') throw mapStreamErrorFrame(headerValue(message, ':error-code'), headerValue(message, ':error-message'), provider);
    const event = payloadOf(message, provider);
    switch (headerValue(message, ':event-type')) {
      case 'messageStart':
        yield warnings && warnings.length > 0 ? { type: 'start', warnings: [...warnings] } : { type: 'start' };
        break;
      case 'contentBlockStart': {
        const start = (event.start ?? {}) as { toolUse?: { toolUseId?: unknown; name?: unknown } };
        if (start.toolUse) {
          const index = toolIndex.size;
          toolIndex.set(Number(event.contentBlockIndex ?? 0), index);
          yield {
            type: 'tool-call',
            index,
            id: typeof start.toolUse.toolUseId === 'string' ? start.toolUse.toolUseId : undefined,
            name: typeof start.toolUse.name === 'string' ? start.toolUse.name : undefined,
            argumentsDelta: '',
          };
        }
        break;
      }
      case 'contentBlockDelta': {
        const delta = (event.delta ?? {}) as { text?: unknown; toolUse?: { input?: unknown }; reasoningContent?: { text?: unknown; signature?: unknown; redactedContent?: unknown } };
        if (typeof delta.text === 'string') {
          if (delta.text !== '') yield { type: 'text', delta: delta.text };
        } else if (delta.toolUse) {
          const index = toolIndex.get(Number(event.contentBlockIndex ?? 0)) ?? 0;
          yield { type: 'tool-call', index, argumentsDelta: typeof delta.toolUse.input === 'string' ? delta.toolUse.input : '' };
        } else if (delta.reasoningContent) {
          const part = reasoningDelta(delta.reasoningContent, reasoningProvider);
          if (part?.type === 'reasoning') reasoningChars += part.delta.length;
          if (part) yield part;
        }
        break;
      }
      case 'messageStop':
        stopped = true;
        yield { type: 'finish', finishReason: mapStopReason(event.stopReason) };
        if (typeof event.stopReason === 'string') yield { type: 'provider-metadata', namespace: BEDROCK_NAMESPACE, data: { stopReason: event.stopReason } };
        break;
      case 'metadata': {
        const usage = decodeBedrockUsage(event.usage);
        if (usage) yield { type: 'usage', usage: withReasoningTokens(usage, reasoningChars), raw: event.usage as JsonObject };
        const data: JsonObject = {};
        if (event.metrics && typeof event.metrics === 'object') data.metrics = event.metrics as JsonObject;
        if (event.trace && typeof event.trace === 'object') data.trace = event.trace as JsonObject;
        if (Object.keys(data).length > 0) yield { type: 'provider-metadata', namespace: BEDROCK_NAMESPACE, data };
        break;
      }
      default:
        // contentBlockStop and events newer than this adapter carry nothing canonical.
        break;
    }
  }
  if (!stopped) throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before completion.`, provider });
}
