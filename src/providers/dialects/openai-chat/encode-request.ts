import { copyPassthrough } from '../../../core/fields.js';
import { checkStopCount } from '../stop-limit.js';
import type { ChatRequest, EmbeddingRequest, ReasoningEffort, ResponseFormat, ToolChoice, ToolDefinition, Warning } from '../../../core/types.js';
import { encodeMessages } from './encode-messages.js';
import { effortWarning, reasoningEffort, reasoningEffortsFor, type ReasoningEfforts } from './reasoning.js';
import { samplingRuleFor, samplingWarnings, takenBy, type SamplingRule } from './sampling-rules.js';

export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

/** What a provider fixes once per deployment (and per stream mode): build it once, not per request. */
export interface ChatEncodeOptions {
  /** The upstream's model name (Azure: the deployment name). */
  model: string;
  /** The upstream provider's type, for error messages. */
  provider: string;
  stream: boolean;
  /** The body fields the deployment lets through from `request.passthrough`. */
  passthrough?: readonly string[];
  /** The server continues a final assistant message (vLLM's `continue_final_message`). */
  prefill?: boolean;
  /**
   * The output limit's field when the provider needs one regardless of the client (Azure: its
   * reasoning models refuse `max_tokens`); otherwise `providerOptions.openai.max_tokens_field` decides.
   */
  maxTokensField?: MaxTokensField;
  /**
   * Which `reasoning_effort` values the deployment's model takes (`reasoningEffortsFor`); judged by
   * `model` when absent.
   */
  reasoningEfforts?: ReasoningEfforts;
  /**
   * Which sampling settings the deployment's model refuses (`samplingRuleFor`, OpenAI's reasoning
   * models); judged by `model` when absent.
   */
  samplingRule?: SamplingRule;
  /** How many stop sequences the upstream takes (OpenAI and Azure: 4); servers such as vLLM set no limit. */
  maxStopSequences?: number;
  /** False when the upstream refuses `stream_options` (Azure api-versions before 2024-09-01): a stream's usage is then estimated. */
  streamUsage?: boolean;
}

/** The wire body, and what the upstream could not honour (for the response's and stream's `warnings`). */
export interface EncodedChatRequest {
  body: Record<string, unknown>;
  warnings: Warning[] | undefined;
}

const TOP_K_WARNING: Warning = Object.freeze({ type: 'unsupported-setting', setting: 'topK', message: 'topK is not supported by the OpenAI Chat Completions API and was not sent.' });
const CACHE_WARNING: Warning = Object.freeze({
  type: 'unsupported-setting',
  setting: 'cacheControl',
  message: "The upstream caches prompt prefixes on its own and takes no cache hints; the request's automatic cache_control was not sent.",
});
const REASONING_WARNING: Warning = Object.freeze({
  type: 'unsupported-setting',
  setting: 'reasoning',
  message: "The upstream model does not take reasoning_effort, so it was not sent; list the 'reasoning' capability on its deployment if it does.",
});

/**
 * The wire body of an OpenAI-compatible chat call, built from the canonical fields only (never a
 * spread of the client's body), plus the passthrough fields the deployment lists.
 */
export function encodeChatRequest(request: ChatRequest, options: ChatEncodeOptions): EncodedChatRequest {
  const lowered: string[] = [];
  const body: Record<string, unknown> = { model: options.model, messages: encodeMessages(request.messages, options.provider, lowered) };
  let warnings: Warning[] | undefined;
  let effort: ReasoningEffort | undefined;
  if (request.reasoning?.enabled) {
    const efforts = options.reasoningEfforts ?? reasoningEffortsFor(options.model, undefined);
    effort = reasoningEffort(request.reasoning, efforts);
    if (effort === undefined && efforts === 'none') warnings = [REASONING_WARNING];
    const lifted = effortWarning(request.reasoning, efforts);
    if (lifted) warnings = [lifted];
  }
  // Reasoning models refuse some settings outright, gpt-5.1+ only while reasoning: dropped, with a Warning.
  const rule = options.samplingRule ?? samplingRuleFor(options.model);
  const taken = takenBy(rule, effort !== undefined);
  if (request.temperature !== undefined && taken.temperature) body.temperature = request.temperature;
  if (request.topP !== undefined && taken.topP) body.top_p = request.topP;
  if (request.maxOutputTokens !== undefined) body[maxTokensField(request, options)] = request.maxOutputTokens;
  if (request.stopSequences !== undefined && taken.stop) {
    if (options.maxStopSequences !== undefined) checkStopCount(request.stopSequences, options.maxStopSequences, options.provider);
    body.stop = request.stopSequences;
  }
  if (request.responseFormat !== undefined) body.response_format = encodeResponseFormat(request.responseFormat);
  // OpenAI refuses an empty `tools`, and tool_choice or parallel_tool_calls without tools (other doors allow them).
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = encodeTools(request.tools);
    if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (effort !== undefined) body.reasoning_effort = effort;
  if (request.user !== undefined) body.user = request.user;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined && taken.penalties) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined && taken.penalties) body.frequency_penalty = request.frequencyPenalty;
  body.stream = options.stream;
  if (options.stream && options.streamUsage !== false) body.stream_options = { include_usage: true };
  if (request.passthrough && options.passthrough && options.passthrough.length > 0) copyPassthrough(request.passthrough, options.passthrough, body);
  if (options.prefill && request.messages.at(-1)?.role === 'assistant') {
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  warnings = samplingWarnings(request, rule, effort !== undefined, warnings);
  if (request.topK !== undefined) (warnings ??= []).push(TOP_K_WARNING);
  if (request.cacheControl) (warnings ??= []).push(CACHE_WARNING);
  if (lowered.length > 0) (warnings ??= []).push(originalDetailWarning(lowered));
  return { body, warnings };
}

/** The images whose `original` detail went as `auto`: the upstream sees them at its default resolution, not in full. */
function originalDetailWarning(places: readonly string[]): Warning {
  const where = places.length > 5 ? `${places.slice(0, 5).join(', ')} and ${places.length - 5} more` : places.join(', ');
  const what = places.length === 1 ? `the image at ${where} was` : `the images at ${where} were`;
  return { type: 'unsupported-setting', setting: 'detail', message: `The Chat Completions API takes no image detail 'original': ${what} sent with detail 'auto'.` };
}

function maxTokensField(request: ChatRequest, options: ChatEncodeOptions): MaxTokensField {
  return options.maxTokensField ?? (request.providerOptions?.openai?.max_tokens_field === 'max_completion_tokens' ? 'max_completion_tokens' : 'max_tokens');
}

function encodeResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'text') return { type: 'text' };
  if (format.schema === undefined) return { type: 'json_object' };
  const jsonSchema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) jsonSchema.strict = format.strict;
  if (format.description !== undefined) jsonSchema.description = format.description;
  return { type: 'json_schema', json_schema: jsonSchema };
}

function encodeTools(tools: readonly ToolDefinition[]): Record<string, unknown>[] {
  const out = new Array<Record<string, unknown>>(tools.length);
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i] as ToolDefinition;
    const fn: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (tool.parameters !== undefined) fn.parameters = tool.parameters;
    if (tool.strict !== undefined) fn.strict = tool.strict;
    out[i] = { type: 'function', function: fn };
  }
  return out;
}

function encodeToolChoice(choice: ToolChoice): string | Record<string, unknown> {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

/**
 * Embeddings as floats (how the client gets them back is the front door's business). Token ids go as
 * OpenAI's array of token arrays, which OpenAI and Azure OpenAI take as `input`.
 */
export function encodeEmbeddingRequest(request: EmbeddingRequest, model: string, passthrough: readonly string[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = { input: request.tokens ?? request.input, model, encoding_format: 'float' };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  if (request.passthrough && passthrough.length > 0) copyPassthrough(request.passthrough, passthrough, body);
  return body;
}
