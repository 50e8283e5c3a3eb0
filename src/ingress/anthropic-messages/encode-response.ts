import { type AssistantPart, type ChatResponse, type FinishReason, type JsonValue, type PromptCount, type Usage } from '../../core/types.js';
import { ANTHROPIC_PROVIDER } from './decode-content.js';
import { MAX_JSON_DEPTH, textNestsDeeperThan } from '../../core/json.js';

/**
 * The provider-metadata namespace in which a Claude upstream's dialect keeps what the canonical answer
 * cannot say: its own `stop_reason` and `stop_sequence`.
 */
export const ANTHROPIC_METADATA = 'anthropic';

/** Anthropic's stop_reason for a canonical finish reason. */
const STOP_REASONS: Readonly<Record<FinishReason, string>> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

/** The canonical finish each of Anthropic's stop reasons is (its dialect's mapping). */
const FINISH_OF_STOP: ReadonlyMap<string, FinishReason> = new Map([
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['pause_turn', 'stop'],
  ['max_tokens', 'length'],
  ['model_context_window_exceeded', 'length'],
  ['tool_use', 'tool_calls'],
  ['refusal', 'content_filter'],
]);

/** What an Anthropic upstream said about the stop, kept by its dialect; undefined from any other upstream. */
export interface RawStop {
  stop_reason?: JsonValue;
  stop_sequence?: JsonValue;
  stop_details?: JsonValue;
}

/** Where the Bedrock Converse dialect keeps its own `stopReason` (it says when a stop sequence fired). */
const BEDROCK_METADATA = 'bedrock';

/**
 * What an upstream said about the stop in Anthropic's words: a Claude upstream's own, or Bedrock's
 * `stopReason: stop_sequence` (Converse says one fired; which one, Claude's own answer says when the
 * dialect asked for it); undefined when nobody said more than the canonical finish.
 */
export function rawStopOf(namespace: string, data: Readonly<Record<string, JsonValue | undefined>> | undefined): RawStop | undefined {
  if (data === undefined) return undefined;
  if (namespace === ANTHROPIC_METADATA) return data.stop_reason === undefined ? undefined : (data as RawStop);
  if (namespace !== BEDROCK_METADATA || data.stopReason !== 'stop_sequence') return undefined;
  return typeof data.stopSequence === 'string' ? { stop_reason: 'stop_sequence', stop_sequence: data.stopSequence } : { stop_reason: 'stop_sequence' };
}

/**
 * The stop_reason and stop_sequence to report: the upstream's own (see `rawStopOf`) when it says what the
 * finish says (the gateway corrects a finish, `honestFinish`: a `tool_use` with no tool call is a stop),
 * else the canonical finish reason in Anthropic's words, `refusal` for an answer that stopped on a refusal
 * (`refused`: an OpenAI upstream declined in words), as Claude's declines end. A stop sequence nobody
 * named is the request's when it gave one.
 */
export function stopOf(finish: FinishReason, raw: RawStop | undefined, stopSequences?: readonly string[], refused = false): { reason: string; sequence: string | null; details: JsonValue } {
  const own = raw?.stop_reason;
  if (typeof own === 'string' && FINISH_OF_STOP.get(own) === finish) {
    const named = typeof raw?.stop_sequence === 'string' ? raw.stop_sequence : undefined;
    const only = own === 'stop_sequence' && stopSequences?.length === 1 ? stopSequences[0] : undefined;
    // A Claude refusal's details (its policy category), as its dialect checked them.
    const details = own === 'refusal' && raw?.stop_details !== undefined ? raw.stop_details : null;
    return { reason: own, sequence: named ?? only ?? null, details };
  }
  return { reason: refused && finish === 'stop' ? 'refusal' : STOP_REASONS[finish], sequence: null, details: null };
}

/** The stop facts of a whole answer's provider metadata. */
function answerStop(res: ChatResponse): RawStop | undefined {
  const m = res.providerMetadata;
  return m && (rawStopOf(ANTHROPIC_METADATA, m[ANTHROPIC_METADATA]) ?? rawStopOf(BEDROCK_METADATA, m[BEDROCK_METADATA]));
}

/** Anthropic's breakdown of cache writes by TTL. */
export interface CacheCreation {
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
}

/**
 * A Messages usage object, with every key the API always sends (the SDK's required fields) in its order;
 * null where the gateway cannot know (the service tier, the inference region, the speed) or nothing
 * applies (server tools, which the door refuses).
 */
export interface MessagesUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: CacheCreation;
  output_tokens: number;
  output_tokens_details: { thinking_tokens: number } | null;
  server_tool_use: null;
  service_tier: null;
  inference_geo: null;
  speed: null;
}

/** message_delta's usage: the cumulative counts, without the writes by TTL and the tier (message_start's). */
export interface MessagesDeltaUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  output_tokens_details: { thinking_tokens: number } | null;
  server_tool_use: null;
}

/**
 * The writes by TTL: one-hour writes as the upstream counted them (a Claude upstream does), the rest
 * at the default five minutes.
 */
export function cacheCreation(cachedWrite: number, cachedWrite1h: number | undefined): CacheCreation {
  const hour = cachedWrite1h ?? 0;
  return { ephemeral_5m_input_tokens: Math.max(0, cachedWrite - hour), ephemeral_1h_input_tokens: hour };
}

/** Canonical usage in Anthropic's words: cache reads and writes counted apart from input_tokens. */
export function encodeUsage(u: Usage): MessagesUsage {
  return messagesUsage(u, u.completion, u.reasoning);
}

/**
 * message_start's usage: the prompt's count when the upstream gave it at the start, else `estimate` (the
 * gateway's, all of it input_tokens); no output yet. message_delta then carries the upstream's count.
 */
export function startUsage(p: PromptCount | undefined, estimate = 0): MessagesUsage {
  return messagesUsage(p ?? { prompt: estimate, cachedRead: 0, cachedWrite: 0 }, 0, 0);
}

function messagesUsage(p: PromptCount, completion: number, reasoning: number): MessagesUsage {
  return {
    input_tokens: Math.max(0, p.prompt - p.cachedRead - p.cachedWrite),
    cache_creation_input_tokens: p.cachedWrite,
    cache_read_input_tokens: p.cachedRead,
    cache_creation: cacheCreation(p.cachedWrite, p.cachedWrite1h),
    output_tokens: completion,
    output_tokens_details: reasoning > 0 ? { thinking_tokens: reasoning } : null,
    server_tool_use: null,
    service_tier: null,
    inference_geo: null,
    speed: null,
  };
}

/** message_delta's cumulative counts. */
export function encodeDeltaUsage(u: Usage): MessagesDeltaUsage {
  return {
    input_tokens: Math.max(0, u.prompt - u.cachedRead - u.cachedWrite),
    cache_creation_input_tokens: u.cachedWrite,
    cache_read_input_tokens: u.cachedRead,
    output_tokens: u.completion,
    output_tokens_details: u.reasoning > 0 ? { thinking_tokens: u.reasoning } : null,
    server_tool_use: null,
  };
}

/** Our message id: `msg_` and the request id the ledger keys usage by. */
export function messageId(requestId: string): string {
  return `msg_${requestId.replaceAll('-', '')}`;
}

/**
 * The signature a thinking block carries: Claude's own (from any Claude host). Another provider's
 * (Gemini's thought signatures) is not written: a client sends thinking back as Claude's.
 */
export function claudeSignature(part: { signature?: string; provider?: string }): string | undefined {
  return part.provider === ANTHROPIC_PROVIDER ? part.signature : undefined;
}

/**
 * A canonical answer part as the Messages API's content block; empty text has no block, and reasoning
 * none unless the client enabled thinking (a reasoning upstream, DeepSeek on vLLM, reasons regardless).
 */
function contentBlock(part: AssistantPart, thinking: boolean): JsonValue | undefined {
  switch (part.type) {
    case 'reasoning': {
      if (!thinking) return undefined;
      // Reasoning of other upstreams is a thinking block with an empty signature; a foreign signature alone is nothing.
      const signature = claudeSignature(part);
      return signature === undefined && part.text === '' ? undefined : { type: 'thinking', thinking: part.text, signature: signature ?? '' };
    }
    case 'redacted-reasoning':
      return thinking && part.provider === ANTHROPIC_PROVIDER ? { type: 'redacted_thinking', data: part.data } : undefined;
    case 'text':
      return part.text === '' ? undefined : { type: 'text', text: part.text };
    case 'tool-call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) };
  }
}

/** What of the client's request shapes the answer: whether it enabled thinking, its stop sequences. */
export interface AnswerAsked {
  model: string;
  thinking: boolean;
  stopSequences: readonly string[] | undefined;
}

/** What the client asked that shapes the answer, from its decoded request. */
export function askedOf(request: { model: string; reasoning?: { enabled: boolean }; stopSequences?: readonly string[] }): AnswerAsked {
  return { model: request.model, thinking: request.reasoning?.enabled === true, stopSequences: request.stopSequences };
}

/**
 * A canonical answer as the Messages API's `message` object; `model` is the name the client asked for. A
 * refusal's words (an OpenAI upstream's) are a text block after the answer's, as Claude words a decline.
 */
export function encodeMessage(res: ChatResponse, asked: AnswerAsked, requestId: string): Record<string, unknown> {
  const content: JsonValue[] = [];
  for (const part of res.content) {
    const block = contentBlock(part, asked.thinking);
    if (block !== undefined) content.push(block);
  }
  const refusal = res.refusal;
  if (refusal !== undefined && refusal !== '') content.push({ type: 'text', text: refusal });
  const stop = stopOf(res.finishReason, answerStop(res), asked.stopSequences, refusal !== undefined);
  const model = asked.model;
  // container, stop_details and diagnostics are always in the API's message (null without a code
  // execution container, a Claude refusal's details, or diagnostics, which the gateway never has).
  return {
    id: messageId(requestId),
    type: 'message',
    role: 'assistant',
    model,
    content,
    container: null,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    stop_details: stop.details,
    usage: encodeUsage(res.usage),
    diagnostics: null,
  };
}

/** Tool arguments as the object `tool_use.input` is; arguments that are not an object are kept under `_raw`. */
export function toolInput(args: string): JsonValue {
  if (args.trim() === '') return {};
  // Nested past what the answer's JSON.stringify can write (5,000 levels overflowed the stack: a 500):
  // the client sees what the model wrote, as for broken JSON.
  if (textNestsDeeperThan(args, MAX_JSON_DEPTH)) return { _raw: args };
  try {
    const parsed = JSON.parse(args) as JsonValue;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // A model that wrote broken JSON: the client still sees what it wrote.
  }
  return { _raw: args };
}
