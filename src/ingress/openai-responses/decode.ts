import type { ChatRequest, JsonObject, Message, ReasoningRequest, ResponseFormat, SystemMessage, ToolChoice, ToolDefinition } from '../../core/types.js';
import { echoed, isObject } from '../../core/json.js';
import { notAnObject, optionalNumber, reasoningEffortOf } from '../openai-chat/check.js';
import { decodeInput } from './decode-input.js';
import { bad, checkMembers, oneOf, unknownParameter } from './members.js';
import { checkReasoningOptions, checkTextOptions } from './options.js';
import type { ReasoningShown } from './encode.js';

/** What the Response object repeats back of the request (OpenAI echoes these). */
export interface Echo {
  instructions: string | null;
  metadata: Record<string, string> | null;
  tools: unknown[];
  tool_choice: unknown;
  temperature: number;
  top_p: number;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  text: { format: unknown };
  reasoning: { effort: unknown; summary: unknown };
  user: string | null;
}

/** A Responses request: the canonical chat request it asks for, and what the front door keeps for itself. */
export interface ResponsesRequest {
  model: string;
  stream: boolean;
  /** The client asked to keep the response (`store`, true unless false); storage may still be off. */
  store: boolean;
  previousResponseId: string | undefined;
  /** The system message made of `instructions`; not carried into later turns, as OpenAI does. */
  instructions: SystemMessage | undefined;
  /** This request's input turns (a stored conversation carries them on). */
  input: Message[];
  /** What the client asked to see of reasoning: `encrypted_content` (`include`), to hand items back statelessly, and summaries. */
  reasoningShown: ReasoningShown;
  /** Everything but the messages, which the route builds from history, instructions and input. */
  chat: Omit<ChatRequest, 'messages'>;
  echo: Echo;
}

/**
 * Fields accepted and deliberately not forwarded: `metadata` is echoed, `store` and `include` are the
 * front door's own business, as is `reasoning.summary` (whether reasoning items show their text);
 * `truncation`, `service_tier`, `stream_options`, `safety_identifier`, `prompt_cache_key` and
 * `text.verbosity` have no canonical home and change nothing.
 */
const IGNORED = new Set(['metadata', 'include', 'truncation', 'service_tier', 'stream_options', 'safety_identifier', 'prompt_cache_key', 'store']);
/** What OpenAI takes for the ignored fields with a type of their own: a wrong value is refused as OpenAI would, not ignored. */
const IGNORED_VALUES: Readonly<Record<string, readonly string[] | 'a string' | 'an object'>> = {
  truncation: ['auto', 'disabled'],
  service_tier: ['auto', 'default', 'flex', 'scale', 'priority'],
  stream_options: 'an object',
  safety_identifier: 'a string',
  prompt_cache_key: 'a string',
};

function checkIgnored(body: Record<string, unknown>): void {
  for (const key in IGNORED_VALUES) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    const allowed = IGNORED_VALUES[key];
    if (allowed === 'a string' ? typeof v === 'string' : allowed === 'an object' ? isObject(v) : allowed?.includes(v as string)) continue;
    const expected = typeof allowed === 'string' ? allowed : `one of ${allowed?.map((a) => `'${a}'`).join(', ')}`;
    throw bad(key, `Invalid value for '${key}': expected ${expected}.`, 'invalid_value');
  }
  if (isObject(body.stream_options)) checkMembers(body.stream_options, 'stream_options');
}

/**
 * The Responses API's own parameters this door does not implement (the official SDK's
 * `ResponseCreateParams`, and `max_tool_calls`): refused as ones the gateway does not support,
 * `unsupported_parameter`, since the client is not wrong that they exist.
 */
const UNSUPPORTED = new Set(['context_management', 'conversation', 'max_tool_calls', 'moderation', 'prompt', 'prompt_cache_options', 'prompt_cache_retention', 'top_logprobs']);

/** A body field the door neither maps nor accepts: unsupported if the API defines it, else unknown, in the API's words. */
function refuseField(key: string): never {
  if (UNSUPPORTED.has(key)) throw bad(key, `Unsupported parameter: '${key}' is not supported by this gateway.`, 'unsupported_parameter');
  throw unknownParameter('', key);
}

const MAPPED = new Set(['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'max_output_tokens', 'temperature', 'top_p', 'stream', 'previous_response_id', 'user', 'reasoning', 'background']);

/** How the Responses API counts the output limit: reasoning included, as `max_completion_tokens` does. */
const OPENAI_LIMIT_FIELD = { openai: { max_tokens_field: 'max_completion_tokens' } } as const;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function optBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(key, `'${key}' must be a boolean.`);
  return v;
}

/**
 * `background`: false is the API's default, which every response here is (the Response says
 * `background: false`). True is refused: a background response outlives its request, to be polled and
 * cancelled from any replica, and a serverless runtime freezes once it has answered.
 */
function checkBackground(body: Record<string, unknown>): void {
  if (optBool(body, 'background') !== true) return;
  throw bad('background', "Unsupported parameter: 'background' is not supported by this gateway, which runs no response in the background; leave it out, or stream the response (stream: true) to read a long answer as it comes.", 'unsupported_parameter');
}

function decodeTools(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) throw bad('tools', "'tools' must be an array.");
  return tools.map((t: unknown, i) => {
    const p = `tools[${i}]`;
    if (!isObject(t)) throw bad(p, `'${p}' must be an object.`);
    if (t.type !== 'function') throw bad(`${p}.type`, `Tool type '${echoed(t.type)}' is not supported by this gateway; only 'function' tools are.`, 'unsupported_tool');
    checkMembers(t, p, 'tool:function');
    if (typeof t.name !== 'string' || !NAME.test(t.name)) throw bad(`${p}.name`, `'${p}.name' must be 1 to 64 letters, digits, underscores or dashes.`);
    const tool: ToolDefinition = { name: t.name };
    if (t.description !== undefined && t.description !== null) {
      if (typeof t.description !== 'string') throw bad(`${p}.description`, `'${p}.description' must be a string.`);
      tool.description = t.description;
    }
    if (t.parameters !== undefined && t.parameters !== null) {
      if (!isObject(t.parameters)) throw bad(`${p}.parameters`, `'${p}.parameters' must be a JSON Schema object.`);
      tool.parameters = t.parameters as JsonObject;
    }
    const strict = optBool(t, 'strict');
    if (strict !== undefined) tool.strict = strict;
    return tool;
  });
}

function decodeToolChoice(choice: unknown, tools: readonly ToolDefinition[]): ToolChoice {
  if (choice === 'required' && tools.length === 0) throw bad('tool_choice', "Invalid value for 'tool_choice': 'required' needs 'tools'.");
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { type: choice };
  if (!isObject(choice) || choice.type !== 'function') throw bad('tool_choice', "'tool_choice' must be 'none', 'auto', 'required' or {type: 'function', name}.");
  checkMembers(choice, 'tool_choice', 'tool_choice:function');
  const name = choice.name;
  if (typeof name !== 'string' || !tools.some((t) => t.name === name)) throw bad('tool_choice.name', "'tool_choice.name' must name a function in 'tools'.");
  return { type: 'tool', name };
}

function decodeFormat(textConfig: unknown): ResponseFormat | undefined {
  if (!isObject(textConfig)) throw bad('text', "'text' must be an object.");
  checkTextOptions(textConfig);
  const f = textConfig.format;
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw bad('text.format', "'text.format' must be an object.");
  if (f.type !== 'text' && f.type !== 'json_object' && f.type !== 'json_schema') throw bad('text.format.type', "'text.format.type' must be 'text', 'json_object' or 'json_schema'.");
  // The format is echoed in the Response as sent: only its type's members may be in it.
  checkMembers(f, 'text.format', `text.format:${f.type}`);
  if (f.type === 'text') return { type: 'text' };
  if (f.type === 'json_object') return { type: 'json' };
  if (typeof f.name !== 'string' || !NAME.test(f.name)) throw bad('text.format.name', "'text.format.name' must be 1 to 64 letters, digits, underscores or dashes.");
  if (!isObject(f.schema)) throw bad('text.format.schema', "'text.format.schema' must be a JSON Schema object.");
  const json: ResponseFormat = { type: 'json', schema: f.schema as JsonObject, name: f.name };
  const strict = optBool(f, 'strict');
  if (strict !== undefined) json.strict = strict;
  if (typeof f.description === 'string') json.description = f.description;
  return json;
}

/** `reasoning.effort` as the canonical reasoning request: `none` turns reasoning off. */
function decodeReasoning(reasoning: Record<string, unknown>): ReasoningRequest | undefined {
  const effort = reasoning.effort;
  if (effort === undefined || effort === null) return undefined;
  return reasoningEffortOf(effort, 'reasoning.effort');
}

/** What `include` may name (the SDK's `ResponseIncludable`); only encrypted reasoning means anything here. */
const INCLUDABLE = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
  'reasoning.encrypted_content',
  'message.output_text.logprobs',
];

function includes(v: unknown, what: string): boolean {
  if (v === undefined || v === null) return false;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad('include', "'include' must be an array of strings.");
  v.forEach((s: string, i) => oneOf(s, `include[${i}]`, INCLUDABLE));
  return v.includes(what);
}

function decodeMetadata(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v) || Object.keys(v).length > 16 || !Object.values(v).every((s) => typeof s === 'string' && s.length <= 512)) {
    throw bad('metadata', "'metadata' must be an object of at most 16 string values of up to 512 characters.");
  }
  return v as Record<string, string>;
}

/** Checks a Responses request body and maps it; every error names the Responses parameter. */
export function decodeResponsesRequest(body: unknown): ResponsesRequest {
  if (!isObject(body)) throw notAnObject();
  for (const key in body) {
    if (!MAPPED.has(key) && !IGNORED.has(key) && body[key] !== null) refuseField(key);
  }
  checkIgnored(body);
  checkBackground(body);
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const previous = body.previous_response_id ?? undefined;
  if (previous !== undefined && typeof previous !== 'string') throw bad('previous_response_id', "'previous_response_id' must be a string.");
  // A continuation may add nothing: the model answers the stored conversation again.
  const input = (body.input === undefined || body.input === null) && previous !== undefined ? [] : decodeInput(body.input);
  const instructions = body.instructions ?? null;
  if (instructions !== null && typeof instructions !== 'string') throw bad('instructions', "'instructions' must be a string.");
  if (input.length === 0 && previous === undefined) {
    // Only a reasoning item with neither summary nor encrypted_content decodes to nothing: say so, not "empty".
    const onlyEmptyReasoning = Array.isArray(body.input) && body.input.length > 0;
    throw bad('input', onlyEmptyReasoning ? "'input' holds nothing to send: its reasoning items have neither a summary nor encrypted_content, and no message follows them." : "'input' must not be empty.");
  }

  const chat: Omit<ChatRequest, 'messages'> = { model: body.model };
  const tools = body.tools === undefined || body.tools === null ? [] : decodeTools(body.tools);
  if (tools.length > 0) chat.tools = tools;
  if (body.tool_choice !== undefined && body.tool_choice !== null) chat.toolChoice = decodeToolChoice(body.tool_choice, tools);
  const parallel = optBool(body, 'parallel_tool_calls');
  if (parallel !== undefined) chat.parallelToolCalls = parallel;
  const format = body.text === undefined || body.text === null ? undefined : decodeFormat(body.text);
  if (format && format.type !== 'text') chat.responseFormat = format;
  const maxOutput = optionalNumber(body, 'max_output_tokens', 16, 10_000_000, true);
  if (maxOutput !== undefined) {
    chat.maxOutputTokens = maxOutput;
    chat.providerOptions = OPENAI_LIMIT_FIELD;
  }
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) chat.topP = topP;
  if (typeof body.user === 'string') chat.user = body.user;
  else if (body.user !== undefined && body.user !== null) throw bad('user', "'user' must be a string.");
  const stream = optBool(body, 'stream') ?? false;
  if (body.reasoning !== undefined && body.reasoning !== null && !isObject(body.reasoning)) throw bad('reasoning', "'reasoning' must be an object.");
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  const summary = checkReasoningOptions(reasoning);
  const reasoningRequest = decodeReasoning(reasoning);
  if (reasoningRequest) chat.reasoning = reasoningRequest;

  return {
    model: body.model,
    stream,
    store: optBool(body, 'store') ?? true,
    previousResponseId: previous,
    instructions: instructions === null ? undefined : { role: 'system', content: [{ type: 'text', text: instructions }] },
    input,
    reasoningShown: { encrypted: includes(body.include, 'reasoning.encrypted_content'), summaries: summary !== undefined || (reasoning.generate_summary !== undefined && reasoning.generate_summary !== null) },
    chat,
    echo: {
      instructions,
      metadata: decodeMetadata(body.metadata),
      // What applied: a tool without `strict` goes upstream without it (non-strict), not in OpenAI's strict-by-default mode.
      tools: tools.map((t) => ({ type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? false })),
      tool_choice: body.tool_choice ?? 'auto',
      // What applied, as OpenAI echoes it: its defaults when the request named none.
      temperature: temperature ?? 1,
      top_p: topP ?? 1,
      max_output_tokens: maxOutput ?? null,
      parallel_tool_calls: parallel ?? true,
      previous_response_id: previous ?? null,
      text: { format: isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' } },
      reasoning: { effort: reasoning.effort ?? null, summary: summary ?? null },
      user: typeof body.user === 'string' ? body.user : null,
    },
  };
}
