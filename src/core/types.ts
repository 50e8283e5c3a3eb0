/**
 * Canonical request and response types. The OpenAI Chat Completions and Embeddings shapes are the
 * lingua franca on the way in; every dialect maps from these and back to them.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface TextPart {
  type: 'text';
  text: string;
  /**
   * A prompt-cache mark (Anthropic's `cache_control`, as clients send it on either front door): the
   * Anthropic dialect copies it, the Bedrock dialect writes a cache point after a marked system text.
   */
  cache_control?: { type: 'ephemeral'; ttl?: string };
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface SystemMessage {
  role: 'system' | 'developer';
  content: string | TextPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: string | TextPart[] | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  name?: string;
  /** The model's visible reasoning (thinking) text, under the name OpenAI-compatible servers use. */
  reasoning_content?: string;
}

export interface ToolMessage {
  role: 'tool';
  content: string | TextPart[];
  tool_call_id: string;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: JsonObject; strict?: boolean; description?: string } };

/** An OpenAI Chat Completions request, as accepted from clients. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  response_format?: ResponseFormat;
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  user?: string;
  seed?: number;
  n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Canonical token usage. `prompt` counts every input token, cached ones included; `cachedRead` and
 * `cachedWrite` are the parts of `prompt` read from / written to a prompt cache. `reasoning` is the part
 * of `completion` spent on hidden reasoning. Dialects whose wire format reports cache tokens apart from
 * input tokens (Anthropic, Bedrock) add them into `prompt`, so pricing never double counts.
 */
export interface Usage {
  prompt: number;
  completion: number;
  cachedRead: number;
  cachedWrite: number;
  reasoning: number;
  total: number;
}

/** Provider-specific fields that have no canonical home, kept under the provider's namespace. */
export type Extensions = Record<string, JsonObject>;

export interface ChatResponse {
  id: string;
  model: string;
  created: number;
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: Usage;
  /** True when the upstream reported no usage and `usage` is the gateway's estimate. */
  usageEstimated?: boolean;
  extensions?: Extensions;
}

/** One upstream attempt's share of an answer several attempts produced, with what prices it. */
export interface BilledAttempt {
  deployment: string;
  provider: string;
  model: string;
  region: string | undefined;
  usage: Usage;
}

/** Adds two usage records field by field (both attempts of a resumed stream were billed). */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    prompt: a.prompt + b.prompt,
    completion: a.completion + b.completion,
    cachedRead: a.cachedRead + b.cachedRead,
    cachedWrite: a.cachedWrite + b.cachedWrite,
    reasoning: a.reasoning + b.reasoning,
    total: a.total + b.total,
  };
}

/** One typed part of a streamed answer. A well-formed stream ends with `finish`, then optionally `usage`. */
export type StreamPart =
  | { type: 'start'; id?: string; model?: string }
  | { type: 'text'; delta: string }
  /** Reasoning (thinking) text; `signature` is the provider's integrity token for it, when it sends one. */
  | { type: 'reasoning'; delta: string; signature?: string }
  | { type: 'tool-call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason }
  /**
   * `estimated`: the upstream reported no usage and the gateway counted it from the answer. `attempts`:
   * set when several upstream attempts produced the answer (a resumed stream), each with its own usage;
   * `usage` is then their sum.
   */
  | { type: 'usage'; usage: Usage; estimated?: boolean; attempts?: readonly BilledAttempt[] }
  | { type: 'extension'; namespace: string; data: JsonObject };

export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  user?: string;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: Usage;
}

export interface ModelInfo {
  id: string;
  ownedBy: string;
}

/** Builds a usage record, filling absent fields with zero and computing the total. */
export function makeUsage(parts: Partial<Usage>): Usage {
  const prompt = parts.prompt ?? 0;
  const completion = parts.completion ?? 0;
  return {
    prompt,
    completion,
    cachedRead: parts.cachedRead ?? 0,
    cachedWrite: parts.cachedWrite ?? 0,
    reasoning: parts.reasoning ?? 0,
    total: parts.total ?? prompt + completion,
  };
}

export const ZERO_USAGE: Usage = Object.freeze(makeUsage({}));
