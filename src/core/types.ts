/**
 * The canonical, provider-neutral model every front door decodes into and every provider dialect encodes
 * from. It belongs to no wire format: names are ours (camelCase), content is always a list of typed
 * parts, and what one API calls `tool_calls`, `tool_use` or `functionCall` is a `tool-call` part here.
 * Front doors (`src/ingress/<api>/`) own their wire shapes; dialects (`src/providers/dialects/<wire>/`)
 * own the upstreams'. Nothing here knows either.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A prompt-cache hint on the part it ends (Anthropic's `cache_control`; a Bedrock cache point after the
 * part). Upstreams without explicit caching ignore it (and cache on their own).
 */
export interface CacheControl {
  type: 'ephemeral';
  /** How long the cache entry should live; the upstream's default (5 minutes) when absent. */
  ttl?: '5m' | '1h';
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

/** Where a binary input comes from: inline bytes (base64) or a URL the upstream fetches itself. */
export type MediaSource = { type: 'base64'; mediaType: string; data: string } | { type: 'url'; url: string; mediaType?: string };

export interface ImagePart {
  type: 'image';
  source: MediaSource;
  /**
   * OpenAI's image detail level; other upstreams ignore it. `original` (full resolution) is the
   * Responses API's alone: Chat Completions takes the other three.
   */
  detail?: 'auto' | 'low' | 'high' | 'original';
  cacheControl?: CacheControl;
}

/** A document (PDF, plain text, ...) given to the model as input. */
export interface FilePart {
  type: 'file';
  source: MediaSource;
  filename?: string;
  cacheControl?: CacheControl;
}

/** A call the model made to one of the request's tools. `arguments` is the JSON text the model wrote. */
export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  arguments: string;
  cacheControl?: CacheControl;
}

/**
 * The model's reasoning (thinking) text. `signature` is the provider's integrity token for it (Anthropic,
 * Bedrock, Gemini thought signatures): a multi-turn conversation must send it back unchanged for the
 * upstream to accept the reasoning. `provider` names whose signature it is, so it only goes back there.
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  provider?: string;
}

/** Reasoning the provider returned encrypted (Anthropic's `redacted_thinking`): opaque, sent back as is. */
export interface RedactedReasoningPart {
  type: 'redacted-reasoning';
  data: string;
  provider?: string;
}

export type UserPart = TextPart | ImagePart | FilePart;
export type AssistantPart = TextPart | ReasoningPart | RedactedReasoningPart | ToolCallPart;
/** What a tool returned: text, and images where the upstream takes them in tool results. */
export type ToolResultContent = TextPart | ImagePart;

export interface SystemMessage {
  role: 'system';
  content: TextPart[];
  /** The participant's name (OpenAI's `name`); upstreams without one ignore it. */
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: UserPart[];
  /** The participant's name (OpenAI's `name`); upstreams without one ignore it. */
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  /** In the order the model produced them: reasoning, text and tool calls. Never empty. */
  content: AssistantPart[];
  /** The participant's name (OpenAI's `name`); upstreams without one ignore it. */
  name?: string;
}

/** The result of one tool call (`toolCallId` names the `tool-call` part it answers). */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: ToolResultContent[];
  /** True when the tool failed and `content` describes the failure (Anthropic's `is_error`). */
  isError?: boolean;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: JsonObject;
  /** Ask the upstream to enforce the schema exactly (OpenAI's strict mode), where it can. */
  strict?: boolean;
  cacheControl?: CacheControl;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  /** A JSON answer; with `schema`, one matching it (`name` is required by some upstreams, so it is kept). */
  | { type: 'json'; schema?: JsonObject; name?: string; description?: string; strict?: boolean };

/**
 * How hard to reason, OpenAI's scale (`reasoning_effort`, `reasoning.effort`), which Claude's adaptive
 * `output_config.effort` shares from `low` up: `xhigh` and `max` ask for more than `high`, and only
 * some models take them (dialects send the nearest a model takes, with a Warning).
 */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';
/** The efforts that name a token budget: `xhigh` and `max` are open-ended, so a budget upstream gets `high`'s. */
export type BudgetedEffort = 'minimal' | 'low' | 'medium' | 'high';

/**
 * Whether and how much the model should reason before answering. `enabled: false` turns reasoning off
 * where the upstream allows it. Dialects map `effort` and `budgetTokens` to what their upstream takes
 * (OpenAI's `reasoning_effort`, Anthropic's and Bedrock Claude's `thinking.budget_tokens`, Gemini's
 * `thinkingConfig.thinkingBudget`), converting one into the other when only one is given.
 */
export interface ReasoningRequest {
  enabled: boolean;
  effort?: ReasoningEffort;
  budgetTokens?: number;
}

/** A canonical chat request: what the gateway routes and every dialect encodes. */
export interface ChatRequest {
  /** The model, group or alias the client asked for (the router resolves it to deployments). */
  model: string;
  /** The conversation, system messages included. Never empty. */
  messages: Message[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormat;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  reasoning?: ReasoningRequest;
  /** The end user the client acts for (OpenAI's `user`, Anthropic's `metadata.user_id`). */
  user?: string;
  /**
   * Automatic prompt caching (Anthropic's top-level `cache_control`): one more breakpoint, which the
   * upstream puts on the request's last cacheable part (tools, system, then messages; never reasoning
   * or empty text), besides the parts' own hints. Sent as is where the API takes it, as a cache point
   * there where it has cache points only (Bedrock Converse), dropped with a Warning elsewhere.
   */
  cacheControl?: CacheControl;
  /**
   * Per-wire-family hints from the front door that only dialects of that family read, by namespace
   * (e.g. `openai: { max_tokens_field: 'max_completion_tokens' }`). Never a way to add upstream fields.
   */
  providerOptions?: Readonly<Record<string, JsonObject>>;
  /**
   * Body fields the front door does not map, under the client's own names. The gateway refuses the
   * request unless every deployment it may go to lists each of them in `passthrough`; dialects copy
   * only the fields their deployment lists.
   */
  passthrough?: Readonly<Record<string, JsonValue>>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * The finish an answer states: `tool_calls` only for one that holds a tool call. An upstream that says
 * it stopped for calls it never sent (or sent in a shape its dialect could not read) stopped; a client
 * told `tool_calls` (Messages: `tool_use`) looks for calls to run.
 */
export function honestFinish(reason: FinishReason, hasToolCalls: boolean): FinishReason {
  return reason === 'tool_calls' && !hasToolCalls ? 'stop' : reason;
}

/**
 * Canonical token usage. `prompt` counts every input token, cached ones included; `cachedRead` and
 * `cachedWrite` are the parts of `prompt` read from / written to a prompt cache. `reasoning` is the part
 * of `completion` spent on reasoning. Dialects whose wire format reports cache tokens apart from input
 * tokens (Anthropic, Bedrock) add them into `prompt`, so pricing never double counts.
 */
export interface Usage {
  prompt: number;
  completion: number;
  cachedRead: number;
  cachedWrite: number;
  /**
   * The part of `cachedWrite` written to a one-hour cache (Anthropic's `ttl: "1h"`), which costs more
   * than a five-minute write. Absent when the upstream gave no breakdown by TTL.
   */
  cachedWrite1h?: number;
  reasoning: number;
  total: number;
}

/** A request setting the upstream could not honour and that the dialect dropped or changed. */
export interface Warning {
  type: 'unsupported-setting' | 'other';
  /** The canonical setting, e.g. `temperature`, `toolChoice`. */
  setting?: string;
  message: string;
}

/** Provider-specific fields that have no canonical home, kept under the provider's namespace. */
export type ProviderMetadata = Record<string, JsonObject>;

export interface ChatResponse {
  id: string;
  model: string;
  created: number;
  /** The answer's parts in order: reasoning, text, tool calls. */
  content: AssistantPart[];
  /** Text the model gave instead of an answer when it declined (OpenAI's `refusal`). */
  refusal?: string;
  finishReason: FinishReason;
  usage: Usage;
  /** True when the upstream reported no usage and `usage` is the gateway's estimate. */
  usageEstimated?: boolean;
  /** The upstream's own usage object, as it sent it (for audits; never priced). */
  rawUsage?: JsonObject;
  warnings?: Warning[];
  providerMetadata?: ProviderMetadata;
  /** What served it, as an OpenAI-wire upstream reports it: its backend configuration and service tier. */
  servedAs?: ServedAs;
}

/** OpenAI's `system_fingerprint` and `service_tier` of an answer, where the upstream reported them (checked). */
export interface ServedAs {
  systemFingerprint?: string;
  serviceTier?: string;
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
  const sum: Usage = {
    prompt: a.prompt + b.prompt,
    completion: a.completion + b.completion,
    cachedRead: a.cachedRead + b.cachedRead,
    cachedWrite: a.cachedWrite + b.cachedWrite,
    reasoning: a.reasoning + b.reasoning,
    total: a.total + b.total,
  };
  if (a.cachedWrite1h !== undefined || b.cachedWrite1h !== undefined) sum.cachedWrite1h = (a.cachedWrite1h ?? 0) + (b.cachedWrite1h ?? 0);
  return sum;
}

/** The prompt's side of a usage, as known when a stream starts: every input token, cached ones included. */
export interface PromptCount {
  prompt: number;
  cachedRead: number;
  cachedWrite: number;
  /** As in Usage: the one-hour part of `cachedWrite`, when the upstream broke it down. */
  cachedWrite1h?: number;
}

/** One typed part of a streamed answer. A well-formed stream ends with `finish`, then optionally `usage`. */
export type StreamPart =
  /** `prompt`: the prompt's tokens when the upstream counts them before the answer (Anthropic's message_start). */
  | { type: 'start'; id?: string; model?: string; warnings?: Warning[]; prompt?: PromptCount; servedAs?: ServedAs }
  | { type: 'text'; delta: string }
  /** Reasoning text; `signature` is the provider's integrity token for the reasoning so far, when it sends one. */
  | { type: 'reasoning'; delta: string; signature?: string; provider?: string }
  | { type: 'redacted-reasoning'; data: string; provider?: string }
  /**
   * A tool call's pieces: `id` and `name` on its first part, then argument text; `index` keeps calls apart.
   * A call's parts come in one run, never interleaved with another call's (a decoder of a wire that
   * interleaves them puts them in order): the Messages and Responses APIs stream one block at a time.
   */
  | { type: 'tool-call'; index: number; id?: string; name?: string; argumentsDelta: string }
  /** A piece of the text the model gave instead of an answer when it declined (OpenAI's `refusal`), as it streams. */
  | { type: 'refusal'; delta: string }
  | { type: 'finish'; finishReason: FinishReason }
  /**
   * `estimated`: the upstream reported no usage and the gateway counted it from the answer. `attempts`:
   * set when several upstream attempts produced the answer (a resumed stream), each with its own usage;
   * `usage` is then their sum.
   */
  | { type: 'usage'; usage: Usage; estimated?: boolean; attempts?: readonly BilledAttempt[]; raw?: JsonObject }
  /** Provider-specific data with no canonical home, under the provider's namespace. */
  | { type: 'provider-metadata'; namespace: string; data: JsonObject };

/**
 * A canonical embeddings request: texts (`input`) or texts already tokenized (`tokens`), never both.
 * Which one it is tells a provider at once whether its upstream can take it; only OpenAI-style
 * upstreams take token ids. How vectors are written back (floats, base64) is the front door's business.
 */
export type EmbeddingRequest = TextEmbeddingRequest | TokenEmbeddingRequest;

interface EmbeddingOptions {
  model: string;
  dimensions?: number;
  user?: string;
  passthrough?: Readonly<Record<string, JsonValue>>;
}

/** Texts to embed, one vector each. */
export interface TextEmbeddingRequest extends EmbeddingOptions {
  input: string[];
  tokens?: undefined;
}

/** Token ids to embed (OpenAI's `input` as arrays of integers), one vector per list; ids are the model's tokenizer's. */
export interface TokenEmbeddingRequest extends EmbeddingOptions {
  tokens: number[][];
  input?: undefined;
}

/** How many vectors an embeddings request asks for. */
export function embeddingInputCount(request: EmbeddingRequest): number {
  return request.tokens !== undefined ? request.tokens.length : request.input.length;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: Usage;
  /** The upstream gave no usage: the gateway bills its estimate of the inputs instead of nothing. */
  usageEstimated?: boolean;
}

export interface ModelInfo {
  id: string;
  ownedBy: string;
}

/**
 * More tokens than one call can count: a larger number is an upstream's garbage, not usage (one reply
 * of 1e300 tokens would otherwise exhaust every budget it is charged to, for good).
 */
export const MAX_TOKEN_COUNT = 100_000_000;

/** A token count an upstream reported, if it is one: a whole number from 0 to MAX_TOKEN_COUNT. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKEN_COUNT ? value : undefined;
}

/** The same for a count an upstream may leave out: absent is 0. */
export function optionalTokenCount(value: unknown): number | undefined {
  return value === undefined || value === null ? 0 : tokenCount(value);
}

/**
 * Builds a usage record, filling absent fields with zero and computing the total. `cachedWrite1h` stays
 * absent unless given, and is never more than `cachedWrite` (it is a part of it).
 */
export function makeUsage(parts: Partial<Usage>): Usage {
  const prompt = parts.prompt ?? 0;
  const completion = parts.completion ?? 0;
  const cachedWrite = parts.cachedWrite ?? 0;
  const usage: Usage = {
    prompt,
    completion,
    cachedRead: parts.cachedRead ?? 0,
    cachedWrite,
    reasoning: parts.reasoning ?? 0,
    total: parts.total ?? prompt + completion,
  };
  if (parts.cachedWrite1h !== undefined) usage.cachedWrite1h = Math.min(parts.cachedWrite1h, cachedWrite);
  return usage;
}

export const ZERO_USAGE: Usage = Object.freeze(makeUsage({}));

/** The text parts of an answer or message, joined. */
export function textOf(parts: readonly { type: string; text?: string }[]): string {
  let text = '';
  for (const p of parts) if (p.type === 'text') text += (p as TextPart).text;
  return text;
}

/** The reasoning budget a dialect sends when the request gave only an effort (Anthropic's minimum is 1,024). */
export const REASONING_BUDGETS: Readonly<Record<BudgetedEffort, number>> = { minimal: 1_024, low: 2_048, medium: 8_192, high: 24_576 };

/** Whether an effort asks for more than `high`, which no token budget names. */
export function aboveHigh(effort: ReasoningEffort | undefined): effort is 'xhigh' | 'max' {
  return effort === 'xhigh' || effort === 'max';
}

/** The effort whose budget a budget-only upstream is sent: `xhigh` and `max` as `high`, the largest preset. */
export function budgetedEffort(effort: ReasoningEffort): BudgetedEffort {
  return aboveHigh(effort) ? 'high' : effort;
}

/** The effort a dialect sends when the request gave only a token budget (never above `high`: a budget is a ceiling the client chose). */
export function effortForBudget(budgetTokens: number): BudgetedEffort {
  if (budgetTokens <= REASONING_BUDGETS.minimal) return 'minimal';
  if (budgetTokens <= REASONING_BUDGETS.low) return 'low';
  if (budgetTokens <= REASONING_BUDGETS.medium) return 'medium';
  return 'high';
}
