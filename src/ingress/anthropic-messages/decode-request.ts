import type { ChatRequest, JsonObject, Message, ReasoningEffort, ReasoningRequest, ToolDefinition } from '../../core/types.js';
import { echoed, isObject } from '../../core/json.js';
// One rule for what the door refuses and what the Anthropic provider stops sending.
import { SAMPLING_REJECTED_FROM } from '../../providers/anthropic/version.js';
import { cacheControlOf, checkCount, checkMembers, fail, int, num, readAll, str, type Member } from './check.js';
import { automaticCache } from './auto-cache.js';
import { assistantParts, systemMessage, userTurn } from './decode-content.js';
import { checkToolPairing } from './tool-pairing.js';

/*
 * An Anthropic Messages request to the canonical chat request. Checked here, with Anthropic's
 * parameter names (`messages.0.content.1.type`), so a client of this door never sees another API's
 * parameter name in an error. Fields the canonical request cannot carry are listed in IGNORED and
 * dropped on purpose; anything else unknown is refused, as the Messages API itself does.
 */

/** Accepted and dropped: no canonical home (the tier and context editing are Anthropic account features). */
const IGNORED = new Set(['service_tier', 'context_management']);
const KNOWN = new Set(['model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking', 'output_config', 'cache_control']);
/** What count_tokens refuses as extra inputs: the generation's settings, which count nothing. */
const NOT_COUNTED = new Set(['max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'metadata', 'service_tier']);

/** Tool names as the Messages API accepts them (and Bedrock and Gemini require). */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

const given = (v: unknown): boolean => v !== undefined && v !== null;

const SAMPLING = ['temperature', 'top_p', 'top_k'] as const;

/**
 * The API's 400 for a sampling setting under an `anthropic-version` from `SAMPLING_REJECTED_FROM` on, in
 * its words, whatever the value (null too): the door takes only date versions, which compare as strings.
 */
function refuseSamplingUnder(version: string | undefined, body: Readonly<Record<string, unknown>>): void {
  if (version === undefined || version < SAMPLING_REJECTED_FROM) return;
  const sent = SAMPLING.find((key) => body[key] !== undefined);
  if (sent !== undefined) fail(sent, `is not supported with anthropic-version ${version}`);
}

const MESSAGE = readAll('role', 'content');
/**
 * A custom tool's members (the SDK's `Tool`). Those with no canonical home are checked and dropped:
 * `defer_loading` (loading on demand needs tool search, a server tool: the tool is simply there),
 * `allowed_callers` (callers other than the model are server tools), `eager_input_streaming` (a
 * streaming hint) and `input_examples`.
 */
const TOOL = new Map<string, Member>([
  ...readAll('type', 'name', 'description', 'input_schema', 'cache_control', 'strict'),
  ['defer_loading', 'bool'],
  ['allowed_callers', 'list'],
  ['eager_input_streaming', 'bool?'],
  ['input_examples', 'list'],
]);
/** tool_choice's members by its type; `none` takes no disable_parallel_tool_use. */
const TOOL_CHOICES: ReadonlyMap<unknown, ReadonlyMap<string, Member>> = new Map([
  ['auto', new Map<string, Member>([['type', 'read'], ['disable_parallel_tool_use', 'bool']])],
  ['any', new Map<string, Member>([['type', 'read'], ['disable_parallel_tool_use', 'bool']])],
  ['tool', new Map<string, Member>([['type', 'read'], ['name', 'read'], ['disable_parallel_tool_use', 'bool']])],
  ['none', readAll('type')],
]);
/** thinking's members by its type. */
const THINKING: ReadonlyMap<unknown, ReadonlyMap<string, Member>> = new Map([
  ['enabled', readAll('type', 'budget_tokens', 'display')],
  ['adaptive', readAll('type', 'display')],
  ['disabled', readAll('type')],
  ['between_tools', readAll('type')],
]);

/**
 * A `role: "system"` message (the SDK's SystemMessageParam) before the first turn, as a system message
 * after the top-level system prompt: every upstream reads it as the system prompt's continuation, which
 * it is. After a turn it would be a mid-conversation instruction, which Claude's hosts take on some
 * models only and Converse, Gemini and OpenAI cannot place where it stands (Claude's would be joined to
 * the system prompt): refused, naming it, rather than moved.
 */
function leadingSystem(m: Record<string, unknown>, p: string, turnsBefore: boolean): Message {
  if (turnsBefore) fail(`${p}.role`, "'system' is taken only before the first user or assistant message: Switchyard cannot carry a system message later in the conversation to every upstream where it stands; put it in 'system' or in a user message");
  return systemMessage(m.content, `${p}.content`) ?? fail(`${p}.content`, 'all messages must have non-empty content except for the optional final assistant message');
}

/**
 * The conversation: the system prompt first, then the turns. An empty assistant turn is allowed only
 * last (an empty prefill, which asks for nothing and is dropped), as the API allows it.
 */
function conversation(body: Record<string, unknown>): Message[] {
  const out: Message[] = [];
  const system = systemMessage(body.system);
  if (system) out.push(system);
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) fail('messages', 'must be a non-empty array');
  messages.forEach((m: unknown, i) => {
    const p = `messages.${i}`;
    if (!isObject(m)) fail(p, 'must be an object');
    checkMembers(m, MESSAGE, p);
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) fail(`${p}.content`, 'must be a string or an array of content blocks');
    if (m.role === 'system') out.push(leadingSystem(m, p, out.some((o) => o.role !== 'system')));
    else if (m.role === 'user') userTurn(m.content, `${p}.content`, out);
    else if (m.role === 'assistant') {
      const content = assistantParts(m.content, `${p}.content`);
      if (content.length > 0) out.push({ role: 'assistant', content });
      else if (i !== messages.length - 1) fail(`${p}.content`, 'all messages must have non-empty content except for the optional final assistant message');
    } else fail(`${p}.role`, "must be 'user', 'assistant' or 'system'");
  });
  checkToolPairing(messages);
  // System messages alone ask the model nothing.
  if (!out.some((o) => o.role !== 'system')) fail('messages', 'must hold at least one user or assistant message');
  return out;
}

function tools(raw: unknown): ToolDefinition[] {
  if (!Array.isArray(raw)) fail('tools', 'must be an array');
  const names = new Set<string>();
  return raw.map((t: unknown, i) => {
    const p = `tools.${i}`;
    if (!isObject(t)) fail(p, 'must be an object');
    // Server tools (web search, code execution...) run at Anthropic and cannot be routed elsewhere.
    if (t.type !== undefined && t.type !== null && t.type !== 'custom') fail(`${p}.type`, `'${echoed(t.type, 64)}' is a server tool, which Switchyard does not support`);
    // The API names a tool without a type by its tag too: `tools.0.custom.defer_loading`.
    checkMembers(t, TOOL, `${p}.custom`);
    const name = str(t.name, `${p}.name`);
    if (!TOOL_NAME.test(name)) fail(`${p}.name`, 'must be 1 to 64 letters, digits, underscores or dashes');
    // The API's refusal, in its words: a call could not say which of two same-named tools it means.
    if (names.has(name)) fail('tools', 'Tool names must be unique.');
    names.add(name);
    if (!isObject(t.input_schema)) fail(`${p}.input_schema`, 'must be a JSON Schema object');
    const tool: ToolDefinition = { name, parameters: t.input_schema as ToolDefinition['parameters'] };
    if (t.description !== undefined) tool.description = str(t.description, `${p}.description`);
    if (t.strict !== undefined && t.strict !== null) {
      if (typeof t.strict !== 'boolean') fail(`${p}.custom.strict`, 'Input should be a valid boolean');
      tool.strict = t.strict;
    }
    const cc = cacheControlOf(t, p);
    if (cc) tool.cacheControl = cc;
    return tool;
  });
}

/** Anthropic's tool_choice: any is required, tool names one, disable_parallel_tool_use turns parallel calls off. */
function toolChoice(raw: unknown, req: ChatRequest): void {
  if (!isObject(raw)) fail('tool_choice', 'must be an object');
  const members = TOOL_CHOICES.get(raw.type);
  if (members) checkMembers(raw, members, `tool_choice.${String(raw.type)}`);
  if (raw.type === 'auto') req.toolChoice = { type: 'auto' };
  else if (raw.type === 'any') req.toolChoice = { type: 'required' };
  else if (raw.type === 'none') req.toolChoice = { type: 'none' };
  else if (raw.type === 'tool') {
    const name = str(raw.name, 'tool_choice.name');
    if (!req.tools?.some((t) => t.name === name)) fail('tool_choice.name', `names '${name.slice(0, 64)}', which is not in 'tools'`);
    req.toolChoice = { type: 'tool', name };
  } else fail('tool_choice.type', "must be 'auto', 'any', 'tool' or 'none'");
  if (raw.disable_parallel_tool_use === true && raw.type !== 'none') req.parallelToolCalls = false;
}

/**
 * Thinking, checked as the API checks it, its four types (the SDK's ThinkingConfigParam): `enabled` with
 * a budget of at least 1,024 tokens below max_tokens, `adaptive` (Claude decides how much; Claude Code
 * sends it on every request to recent models), whose depth is output_config.effort's, else the dialect's
 * default, `disabled`, and `between_tools` (thinking off, the model's progress notes between tool calls
 * sent as thinking blocks), which is thinking off here: the canonical request has no place for the notes,
 * and the SDK itself sends it as `disabled` to a model that may not take it. `display` is checked and
 * not forwarded: the canonical request has no place for it, and thinking shown where `omitted` was
 * asked costs the client nothing it must handle.
 */
function thinking(raw: unknown, maxTokens: number | undefined, effort: ReasoningEffort | undefined): ReasoningRequest {
  if (!isObject(raw)) fail('thinking', 'must be an object');
  const members = THINKING.get(raw.type);
  if (members) checkMembers(raw, members, `thinking.${String(raw.type)}`);
  const display = raw.display;
  if (display !== undefined && display !== null && display !== 'summarized' && display !== 'omitted') fail('thinking.display', "must be 'summarized' or 'omitted'");
  if (raw.type === 'disabled' || raw.type === 'between_tools') return { enabled: false };
  if (raw.type === 'adaptive') return effort === undefined ? { enabled: true } : { enabled: true, effort };
  if (raw.type !== 'enabled') fail('thinking.type', "must be 'enabled', 'adaptive', 'disabled' or 'between_tools'");
  const budgetTokens = int(raw.budget_tokens, 'thinking.budget_tokens', MIN_THINKING_BUDGET);
  if (maxTokens !== undefined && budgetTokens >= maxTokens) fail('max_tokens', 'must be greater than thinking.budget_tokens');
  // An effort beside the budget is kept too: a model that takes no budget (Opus 4.7 on) thinks at it.
  return effort === undefined ? { enabled: true, budgetTokens } : { enabled: true, budgetTokens, effort };
}

/** Anthropic's effort levels, each the canonical effort of its name (a model without `xhigh` or `max` gets the nearest it takes). */
const EFFORTS: ReadonlyMap<unknown, ReasoningEffort> = new Map([
  ['low', 'low'],
  ['medium', 'medium'],
  ['high', 'high'],
  ['xhigh', 'xhigh'],
  ['max', 'max'],
]);

/**
 * output_config: `format` (a JSON schema the answer must match) as the canonical response format, and
 * `effort`, returned for thinking (beside a budget, what a model that takes no budget thinks at). Without thinking an effort has no canonical home (it tunes
 * Claude's whole answer): it is checked and not forwarded, as service_tier is.
 */
function outputConfig(raw: unknown, req: ChatRequest): ReasoningEffort | undefined {
  if (!isObject(raw)) fail('output_config', 'must be an object');
  for (const key in raw) if (key !== 'effort' && key !== 'format') fail(`output_config.${key.slice(0, 64)}`, 'Extra inputs are not permitted');
  const format = raw.format;
  if (given(format)) {
    if (!isObject(format) || format.type !== 'json_schema') fail('output_config.format.type', "must be 'json_schema'");
    checkMembers(format, readAll('type', 'schema'), 'output_config.format');
    if (!isObject(format.schema)) fail('output_config.format.schema', 'must be a JSON Schema object');
    req.responseFormat = { type: 'json', schema: format.schema as JsonObject };
  }
  if (!given(raw.effort)) return undefined;
  return EFFORTS.get(raw.effort) ?? fail('output_config.effort', "must be 'low', 'medium', 'high', 'xhigh' or 'max'");
}

function stopSequences(raw: unknown): string[] {
  if (!Array.isArray(raw)) fail('stop_sequences', 'must be an array of strings');
  return raw.map((s: unknown, i) => str(s, `stop_sequences.${i}`));
}

function user(metadata: unknown): string | undefined {
  if (!isObject(metadata)) fail('metadata', 'must be an object');
  // The API's metadata holds user_id only.
  checkMembers(metadata, readAll('user_id'), 'metadata');
  const id = metadata.user_id;
  return id === undefined || id === null ? undefined : str(id, 'metadata.user_id');
}

export interface DecodedMessagesRequest {
  request: ChatRequest;
  stream: boolean;
}


/**
 * Checks an Anthropic Messages body and maps it to the canonical request. `forCounting` (count_tokens)
 * takes the prompt's fields only, as the API's count_tokens does: max_tokens, sampling, stop sequences,
 * stream and metadata are its extra inputs. `version`: the request's accepted `anthropic-version`, if any.
 */
export function decodeMessagesRequest(body: unknown, forCounting = false, version?: string): DecodedMessagesRequest {
  if (!isObject(body)) fail('body', 'must be a JSON object');
  // Whatever its value: an unknown key set to null is still one the API's models forbid.
  for (const key in body) {
    if ((!KNOWN.has(key) && !IGNORED.has(key)) || (forCounting && NOT_COUNTED.has(key))) fail(key.slice(0, 64), 'Extra inputs are not permitted');
  }
  const model = str(body.model, 'model');
  if (model === '') fail('model', 'must not be empty');
  const request: ChatRequest = { model, messages: conversation(body) };
  if (!forCounting) request.maxOutputTokens = checkCount(body.max_tokens, 'max_tokens');
  refuseSamplingUnder(version, body);
  if (given(body.temperature)) request.temperature = num(body.temperature, 'temperature', 0, 1);
  if (given(body.top_p)) request.topP = num(body.top_p, 'top_p', 0, 1);
  if (given(body.top_k)) request.topK = int(body.top_k, 'top_k', 0);
  if (given(body.stop_sequences)) request.stopSequences = stopSequences(body.stop_sequences);
  if (given(body.tools)) request.tools = tools(body.tools);
  if (given(body.tool_choice)) toolChoice(body.tool_choice, request);
  automaticCache(body, request);
  const effort = given(body.output_config) ? outputConfig(body.output_config, request) : undefined;
  if (given(body.thinking)) request.reasoning = thinking(body.thinking, request.maxOutputTokens, effort);
  if (given(body.metadata)) {
    const id = user(body.metadata);
    if (id !== undefined) request.user = id;
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') fail('stream', 'must be a boolean');
  // Taken and not forwarded (IGNORED), but only values the API itself would take.
  if (given(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'standard_only') fail('service_tier', "must be 'auto' or 'standard_only'");
  if (given(body.context_management) && !isObject(body.context_management)) fail('context_management', 'must be an object');
  return { request, stream: body.stream === true };
}
