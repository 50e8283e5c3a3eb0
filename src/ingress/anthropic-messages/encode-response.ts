import type { ChatResponse, FinishReason, JsonValue, Usage } from '../../core/types.js';
import { ANTHROPIC_NAMESPACE } from '../../providers/dialects/anthropic-messages/decode-response.js';

/** Anthropic's stop_reason for a canonical finish reason. */
const STOP_REASONS: Readonly<Record<FinishReason, string>> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

const ANTHROPIC_STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

/** What an Anthropic upstream said about the stop, kept by its dialect; undefined from any other upstream. */
export interface RawStop {
  stop_reason?: JsonValue;
  stop_sequence?: JsonValue;
}

/**
 * The stop_reason and stop_sequence to report: an Anthropic upstream's own (it can say `stop_sequence`
 * and which one), else the canonical finish reason in Anthropic's words.
 */
export function stopOf(finish: FinishReason, raw: RawStop | undefined): { reason: string; sequence: string | null } {
  const own = raw?.stop_reason;
  if (typeof own === 'string' && ANTHROPIC_STOP_REASONS.has(own)) {
    return { reason: own, sequence: typeof raw?.stop_sequence === 'string' ? raw.stop_sequence : null };
  }
  return { reason: STOP_REASONS[finish], sequence: null };
}

/** Canonical usage in Anthropic's words: cache reads and writes counted apart from input_tokens. */
export function encodeUsage(u: Usage): { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; output_tokens: number } {
  return {
    input_tokens: Math.max(0, u.prompt - u.cachedRead - u.cachedWrite),
    cache_creation_input_tokens: u.cachedWrite,
    cache_read_input_tokens: u.cachedRead,
    output_tokens: u.completion,
  };
}

/** Our message id: `msg_` and the request id the ledger keys usage by. */
export function messageId(requestId: string): string {
  return `msg_${requestId.replaceAll('-', '')}`;
}

type Block = { [key: string]: JsonValue };
const isBlock = (b: JsonValue): b is Block => typeof b === 'object' && b !== null && !Array.isArray(b);

/** Bedrock's reasoningContent blocks (kept by its dialect) as Anthropic thinking blocks. */
function fromConverse(block: Block): JsonValue[] {
  const rt = block.reasoningText;
  if (isBlock(rt) && typeof rt.text === 'string') return [{ type: 'thinking', thinking: rt.text, signature: typeof rt.signature === 'string' ? rt.signature : '' }];
  return typeof block.redactedContent === 'string' ? [{ type: 'redacted_thinking', data: block.redactedContent }] : [];
}

/**
 * Thinking blocks of the answer: a Claude upstream's own, with their signatures and redacted ones
 * (Anthropic and Vertex keep whole blocks, Bedrock its reasoningContent), else the reasoning text of
 * any other upstream as one thinking block without a signature.
 */
function thinkingBlocks(res: ChatResponse): JsonValue[] {
  const kept = res.extensions?.[ANTHROPIC_NAMESPACE]?.content_blocks;
  if (Array.isArray(kept)) {
    const own = kept.filter((b) => isBlock(b) && (b.type === 'thinking' || b.type === 'redacted_thinking'));
    if (own.length > 0) return own;
  }
  const converse = res.extensions?.bedrock?.reasoningContent;
  if (Array.isArray(converse) && converse.length > 0) return converse.filter(isBlock).flatMap(fromConverse);
  const reasoning = res.message.reasoning_content;
  return reasoning ? [{ type: 'thinking', thinking: reasoning, signature: '' }] : [];
}

function textOf(content: ChatResponse['message']['content']): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** A canonical answer as the Messages API's `message` object; `model` is the name the client asked for. */
export function encodeMessage(res: ChatResponse, model: string, requestId: string): Record<string, unknown> {
  const content: JsonValue[] = thinkingBlocks(res);
  const text = textOf(res.message.content);
  if (text !== '') content.push({ type: 'text', text });
  for (const call of res.message.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  }
  const stop = stopOf(res.finishReason, res.extensions?.[ANTHROPIC_NAMESPACE] as RawStop | undefined);
  return {
    id: messageId(requestId),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage: encodeUsage(res.usage),
  };
}

/** Tool arguments as the object `tool_use.input` is; arguments that are not an object are kept under `_raw`. */
export function toolInput(args: string): JsonValue {
  if (args.trim() === '') return {};
  try {
    const parsed = JSON.parse(args) as JsonValue;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // A model that wrote broken JSON: the client still sees what it wrote.
  }
  return { _raw: args };
}
