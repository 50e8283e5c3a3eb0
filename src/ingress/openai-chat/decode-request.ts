import { GatewayError } from '../../core/errors.js';
import { unmappedFields } from '../../core/fields.js';
import type { ChatRequest, JsonObject, Message, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/types.js';
import { isObject } from '../../core/json.js';
import { bad, checkName, emptyArray, invalidType, missingParameter, notAnObject, unknownMember, optional, optionalBoolean, optionalNumber, optionalString, reasoningEffortOf } from './check.js';
import { decodeMessage } from './decode-messages.js';
import { CHAT_FIELDS } from './fields.js';
import { checkToolMessages } from './tool-messages.js';

/*
 * An OpenAI Chat Completions body to the canonical request, checked and converted in one pass. Errors
 * name the parameter as OpenAI does; what passes has exactly the canonical shape, so no dialect guards
 * against a client's creativity. Fields this door does not map travel in `passthrough` by name.
 */

/** A decoded chat completion request, with what only the door's answer depends on. */
export interface DecodedChatCompletion {
  request: ChatRequest;
  /** `stream: true`: the answer is server-sent chunks. */
  stream: boolean;
  /** `stream_options.include_usage: true`: a usage chunk ends the stream. */
  includeUsage: boolean;
}

/** Checks an OpenAI chat request body and converts it; throws invalid_request naming the parameter. */
export function decodeChatCompletionRequest(body: unknown): DecodedChatCompletion {
  if (!isObject(body)) throw notAnObject();
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const raw = optional(body, 'messages');
  if (raw === undefined) throw missingParameter('messages');
  if (!Array.isArray(raw)) throw invalidType('messages', 'an array of objects', raw);
  if (raw.length === 0) throw emptyArray('messages');
  const messages = new Array<Message>(raw.length);
  for (let i = 0; i < raw.length; i++) messages[i] = decodeMessage(raw[i], i);
  checkToolMessages(messages);
  const request: ChatRequest = { model: body.model, messages };
  decodeSettings(body, request);
  const tools = optional(body, 'tools');
  if (tools !== undefined) request.tools = decodeTools(tools);
  const choice = optional(body, 'tool_choice');
  if (choice !== undefined) request.toolChoice = decodeToolChoice(choice, request.tools);
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  if (parallel !== undefined) request.parallelToolCalls = parallel;
  const format = optional(body, 'response_format');
  if (format !== undefined) request.responseFormat = decodeResponseFormat(format);
  const { stream, includeUsage } = decodeStreaming(body);
  const user = optionalString(body, 'user');
  if (user !== undefined) request.user = user;
  const effort = optional(body, 'reasoning_effort');
  if (effort !== undefined) request.reasoning = reasoningEffortOf(effort, 'reasoning_effort');
  const passthrough = unmappedFields(body, CHAT_FIELDS);
  if (passthrough) request.passthrough = passthrough;
  return { request, stream, includeUsage };
}

/** Sampling and length settings, in the order today's clients see their errors. */
function decodeSettings(body: Record<string, unknown>, request: ChatRequest): void {
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  const maxTokens = optionalNumber(body, 'max_tokens', 1, 10_000_000, true);
  const maxCompletionTokens = optionalNumber(body, 'max_completion_tokens', 1, 10_000_000, true);
  if (maxCompletionTokens !== undefined) {
    request.maxOutputTokens = maxCompletionTokens;
    // OpenAI's reasoning models take only the newer name: the OpenAI dialects send the one the client used.
    request.providerOptions = { openai: { max_tokens_field: 'max_completion_tokens' } };
  } else if (maxTokens !== undefined) request.maxOutputTokens = maxTokens;
  const presence = optionalNumber(body, 'presence_penalty', -2, 2);
  if (presence !== undefined) request.presencePenalty = presence;
  const frequency = optionalNumber(body, 'frequency_penalty', -2, 2);
  if (frequency !== undefined) request.frequencyPenalty = frequency;
  const seed = optionalNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (seed !== undefined) request.seed = seed;
  // One choice only: more is a real parameter of the API the gateway does not carry, refused as the other
  // such fields are (`unsupported_parameter`, core/fields.ts), after OpenAI's own checks of the value.
  const n = optionalNumber(body, 'n', 1, 128, true);
  if (n !== undefined && n !== 1) throw new GatewayError({ kind: 'invalid_request', message: "Unsupported parameter: 'n' other than 1 is not supported by this gateway.", param: 'n', code: 'unsupported_parameter' });
  const stop = optional(body, 'stop');
  if (stop !== undefined) request.stopSequences = decodeStop(stop);
}

function decodeStop(stop: unknown): string[] {
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.length === 0) throw emptyArray('stop');
  if (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string')) return stop as string[];
  throw bad('stop', "'stop' must be a string or an array of up to 4 strings.");
}

function decodeTools(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) throw bad('tools', "'tools' must be an array.");
  // OpenAI refuses an empty list rather than reading it as no tools; so does every OpenAI-compatible server that checks.
  if (tools.length === 0) throw emptyArray('tools');
  const out = new Array<ToolDefinition>(tools.length);
  for (let i = 0; i < tools.length; i++) {
    const t: unknown = tools[i];
    const fn = isObject(t) ? t.function : undefined;
    if (!isObject(t) || t.type !== 'function' || !isObject(fn)) throw bad(`tools[${i}]`, `'tools[${i}]' must be {type: 'function', function: {name, ...}}.`);
    const p = `tools[${i}].function`;
    const tool: ToolDefinition = { name: checkName(fn.name, `${p}.name`) };
    const description = optionalString(fn, 'description', `${p}.description`);
    if (description !== undefined) tool.description = description;
    const strict = optionalBoolean(fn, 'strict', `${p}.strict`);
    const parameters = optional(fn, 'parameters');
    if (parameters !== undefined && !isObject(parameters)) throw bad(`${p}.parameters`, `'${p}.parameters' must be a JSON Schema object.`);
    if (parameters !== undefined) tool.parameters = parameters as JsonObject;
    if (strict !== undefined) tool.strict = strict;
    out[i] = tool;
  }
  return out;
}

function decodeToolChoice(choice: unknown, tools: readonly ToolDefinition[] | undefined): ToolChoice {
  if (choice === 'required' && (tools === undefined || tools.length === 0)) throw bad('tool_choice', "Invalid value for 'tool_choice': 'required' needs 'tools'.");
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { type: choice };
  if (!isObject(choice)) throw bad('tool_choice', "'tool_choice' must be 'none', 'auto', 'required' or {type: 'function', function: {name}}.");
  if (choice.type !== 'function') throw bad('tool_choice.type', "'tool_choice.type' must be 'function'.");
  const fn = choice.function;
  if (!isObject(fn) || typeof fn.name !== 'string') throw bad('tool_choice.function.name', "'tool_choice.function.name' must be a string.");
  if (!hasTool(tools, fn.name)) throw bad('tool_choice.function.name', `'tool_choice.function.name' names '${fn.name.slice(0, 64)}', which is not in 'tools'.`);
  return { type: 'tool', name: fn.name };
}

function hasTool(tools: readonly ToolDefinition[] | undefined, name: string): boolean {
  if (tools) for (const t of tools) if (t.name === name) return true;
  return false;
}

function decodeResponseFormat(rf: unknown): ResponseFormat {
  if (!isObject(rf) || (rf.type !== 'text' && rf.type !== 'json_object' && rf.type !== 'json_schema')) {
    throw bad('response_format.type', "'response_format.type' must be 'text', 'json_object' or 'json_schema'.");
  }
  if (rf.type === 'text') return { type: 'text' };
  if (rf.type === 'json_object') return { type: 'json' };
  const js = rf.json_schema;
  if (!isObject(js)) throw bad('response_format.json_schema', "'response_format.json_schema' is required for type 'json_schema' and must be an object.");
  const format: ResponseFormat = { type: 'json', name: checkName(js.name, 'response_format.json_schema.name') };
  const schema = optional(js, 'schema');
  if (schema !== undefined && !isObject(schema)) throw bad('response_format.json_schema.schema', "'response_format.json_schema.schema' must be a JSON Schema object.");
  const strict = optionalBoolean(js, 'strict', 'response_format.json_schema.strict');
  const description = optionalString(js, 'description', 'response_format.json_schema.description');
  if (schema !== undefined) format.schema = schema as JsonObject;
  if (description !== undefined) format.description = description;
  if (strict !== undefined) format.strict = strict;
  return format;
}

function decodeStreaming(body: Record<string, unknown>): { stream: boolean; includeUsage: boolean } {
  const stream = optionalBoolean(body, 'stream') === true;
  const options = optional(body, 'stream_options');
  if (options === undefined) return { stream, includeUsage: false };
  if (!isObject(options)) throw bad('stream_options', "'stream_options' must be an object.");
  for (const key in options) if (key !== 'include_usage' && key !== 'include_obfuscation') throw unknownMember(`stream_options.${key.slice(0, 64)}`);
  const includeUsage = optionalBoolean(options, 'include_usage', 'stream_options.include_usage') === true;
  // Checked and not acted on: the gateway's chunks never carry `obfuscation` padding (docs/CONFIG.md).
  optionalBoolean(options, 'include_obfuscation', 'stream_options.include_obfuscation');
  // As OpenAI answers it: usage chunks mean nothing without a stream.
  if (!stream) throw bad('stream_options', "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
  return { stream, includeUsage };
}
