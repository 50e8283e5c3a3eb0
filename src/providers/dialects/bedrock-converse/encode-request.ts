import { copyPassthrough } from '../../../core/fields.js';
import { checkStopCount } from '../stop-limit.js';
import { checkToolNames, strictDropped } from '../tool-names.js';
import type { ChatRequest, ToolDefinition, Warning } from '../../../core/types.js';
import { checkClaudePrefill } from '../anthropic-messages/claude-prefill.js';
import { claudeThinkingRules } from '../anthropic-messages/claude-thinking.js';
import { claudeStopSequences, planClaudeGeneration, thinkingObstacle, toolLoopLacksThinking, unsupported, type ClaudeBlockKinds, type ClaudeGeneration } from '../anthropic-messages/claude-generation.js';
import { CACHE_POINT, CACHE_POINT_1H, cachePoint, encodeConversation, type CacheContext } from './encode-messages.js';
import { cachePointsFor, isClaudeModel, takesAssistantFirst } from './model-family.js';
import { placeAutomaticCachePoint } from './auto-cache.js';
import type { CachePointBlock, ContentBlock, ConverseMessage, ConverseRequestBody, ToolChoiceWire, ToolSpec } from './wire.js';

/** maxTokens for a Claude model that reasons when the request gives none (the budget must stay below it). */
const CLAUDE_DEFAULT_MAX_TOKENS = 4_096;

/** Model fields the encoder writes into additionalModelRequestFields for Claude models; no passthrough field may replace them. */
export const CLAUDE_MODEL_FIELDS: ReadonlySet<string> = new Set(['thinking', 'output_config', 'top_k']);

/** Why `fields` cannot be passthrough fields of a Converse deployment of `model`, or undefined. */
export function conversePassthroughProblem(fields: readonly string[], model: string): string | undefined {
  if (!isClaudeModel(model)) return undefined;
  const taken = fields.find((f) => CLAUDE_MODEL_FIELDS.has(f));
  return taken === undefined ? undefined : `"${taken}" is a Claude model field Switchyard writes itself into additionalModelRequestFields`;
}

/** Tool results and Claude's thinking among Converse blocks; cache points carry no content. */
const BLOCK_KINDS: ClaudeBlockKinds<ContentBlock> = {
  isToolResult: (block) => 'toolResult' in block,
  isThinking: (block) => 'reasoningContent' in block,
  isMarker: (block) => 'cachePoint' in block,
};

export interface EncodeOptions {
  /** The model id the rules follow (the deployment's `base_model` where its ARN hides it): Claude models take top_k and thinking in additionalModelRequestFields. */
  model: string;
  /** Appends a cachePoint after the system text so Bedrock caches the prompt prefix. */
  cacheSystemPrompt?: boolean;
  /** Client fields the deployment lets through, sent in `additionalModelRequestFields`. */
  passthrough?: readonly string[];
  /** Receives a Warning for each setting Converse cannot take as given (pass it to the decoder). */
  warnings?: Warning[];
}

/** Tool definitions, with a cache point after each hinted one; `strict` (true only, false is the default) to Claude, which enforces it. */
function toolSpecs(tools: readonly ToolDefinition[], cache: CacheContext, claude: boolean): Array<ToolSpec | CachePointBlock> {
  const out: Array<ToolSpec | CachePointBlock> = [];
  for (const t of tools) {
    const spec: ToolSpec['toolSpec'] = { name: t.name, inputSchema: { json: t.parameters ?? { type: 'object', properties: {} } } };
    if (t.description !== undefined) spec.description = t.description;
    if (claude && t.strict === true) spec.strict = true;
    out.push({ toolSpec: spec });
    if (cache.points.tools && t.cacheControl) out.push(cachePoint(t.cacheControl, cache));
  }
  return out;
}

function toolChoice(choice: ChatRequest['toolChoice']): ToolChoiceWire | undefined {
  if (choice === undefined || choice.type === 'none') return undefined;
  if (choice.type === 'auto') return { auto: {} };
  if (choice.type === 'required') return { any: {} };
  return { tool: { name: choice.name } };
}

/**
 * Converse refuses a conversation with toolUse or toolResult blocks but no toolConfig (a summary or
 * title request replaying a tool conversation): such a request declares this tool instead, offering
 * the model nothing it should call.
 */
const NO_TOOLS_OFFERED: ToolSpec = Object.freeze({
  toolSpec: Object.freeze({
    name: 'no_tools_available',
    description: 'No tools are available for this request. Never call this tool; answer in text.',
    inputSchema: Object.freeze({ json: Object.freeze({ type: 'object', properties: {} }) }),
  }),
});

/** Whether `body` declares only the tool offering nothing: a call to it is the model's mistake, not an answer. */
export function offersNoTools(body: ConverseRequestBody): boolean {
  return body.toolConfig?.tools[0] === NO_TOOLS_OFFERED;
}

/**
 * Converse has no "none" tool choice: the tools are left out, unless the conversation holds tool
 * calls, for which Converse requires the definitions (the model may then call one).
 */
function setTools(body: ConverseRequestBody, request: ChatRequest, usesTools: boolean, cache: CacheContext, warnings: Warning[], claude: boolean): void {
  if (!request.tools || request.tools.length === 0) {
    if (usesTools) body.toolConfig = { tools: [NO_TOOLS_OFFERED] };
    return;
  }
  if (request.toolChoice?.type === 'none') {
    if (!usesTools) {
      warnings.push(unsupported('toolChoice', 'Bedrock Converse has no tool choice "none"; the tools were not sent instead.'));
      return;
    }
    warnings.push(unsupported('toolChoice', 'Bedrock Converse has no tool choice "none", and needs the tools of a conversation with tool calls: the model may call one.'));
  }
  checkToolNames(request.tools, 'Bedrock Converse');
  // Converse's toolConfig has no such switch (Claude's disable_parallel_tool_use is a Messages API field).
  if (request.parallelToolCalls === false) warnings.push(unsupported('parallelToolCalls', 'Bedrock Converse cannot be told to avoid parallel tool calls; the setting was ignored.'));
  body.toolConfig = { tools: toolSpecs(request.tools, cache, claude) };
  // Converse's toolSpec strict is sent to Claude alone (see toolSpecs).
  const strict = claude ? undefined : strictDropped(request.tools, 'This Bedrock model');
  if (strict) warnings.push(strict);
  const choice = toolChoice(request.toolChoice);
  if (choice) body.toolConfig.toolChoice = choice;
}

/** JSON mode and JSON Schema answers are structured output (JSON mode with the loosest object schema). */
function setResponseFormat(body: ConverseRequestBody, request: ChatRequest): void {
  const format = request.responseFormat;
  if (format?.type !== 'json') return;
  const jsonSchema: { schema: string; name?: string; description?: string } = format.schema
    ? { schema: JSON.stringify(format.schema), name: format.name }
    : { schema: JSON.stringify({ type: 'object' }), name: format.name ?? 'json_object' };
  if (format.description !== undefined) jsonSchema.description = format.description;
  body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
}

/**
 * Sampling, maxTokens and reasoning. Claude models follow Claude's thinking rules and take top_k,
 * thinking and adaptive thinking's output_config as model fields; other models get none (with a Warning).
 */
function generation(request: ChatRequest, model: string, claude: boolean, messages: readonly ConverseMessage[], warnings: Warning[]): { plan: ClaudeGeneration; extra: Record<string, unknown> } {
  const extra: Record<string, unknown> = {};
  if (!claude) {
    if (request.topK !== undefined) warnings.push(unsupported('topK', 'Bedrock Converse takes top_k only for Claude models here; it was not sent.'));
    if (request.reasoning?.enabled === true) warnings.push(unsupported('reasoning', 'Reasoning settings are sent only to Claude models on Bedrock; they were not sent.'));
    const plan: ClaudeGeneration = { maxTokens: request.maxOutputTokens ?? 0, temperature: request.temperature, topP: request.topP };
    return { plan, extra };
  }
  const obstacle = thinkingObstacle(request, request.reasoning?.enabled === true && toolLoopLacksThinking(messages, BLOCK_KINDS));
  const plan = planClaudeGeneration(request, CLAUDE_DEFAULT_MAX_TOKENS, claudeThinkingRules(model), obstacle, warnings);
  if (plan.topK !== undefined) extra.top_k = plan.topK;
  // Bedrock hands these model fields to Claude as its Messages API fields, adaptive thinking's effort included.
  if (plan.thinking) extra.thinking = plan.thinking;
  if (plan.effort !== undefined) extra.output_config = { effort: plan.effort };
  return { plan, extra };
}

const UNMAPPED = ['seed', 'presencePenalty', 'frequencyPenalty'] as const;

/** Converse's inferenceConfig.temperature takes 0 to 1 for every model (a ValidationException past it); clients may send up to 2. */
function converseTemperature(asked: number, warnings: Warning[]): number {
  const sent = Math.min(1, Math.max(0, asked));
  if (sent !== asked) warnings.push(unsupported('temperature', `Bedrock Converse takes temperature from 0 to 1; ${asked} was sent as ${sent}.`));
  return sent;
}

function oneHourIn(messages: readonly ConverseMessage[]): boolean {
  return messages.some((m) => m.content.some((b) => 'cachePoint' in b && b.cachePoint.ttl === '1h'));
}

/** A canonical chat request to a Converse body (the model id travels in the URL), from an allow-list of fields. */
export function encodeConverseRequest(request: ChatRequest, options: EncodeOptions): ConverseRequestBody {
  const warnings = options.warnings ?? [];
  const claude = isClaudeModel(options.model);
  const cache: CacheContext = { points: cachePointsFor(options.model), shortened: false };
  const { system, messages, usesTools } = encodeConversation(request.messages, { claude, assistantFirst: takesAssistantFirst(options.model) }, cache, warnings);
  if (claude) checkClaudePrefill(request.messages, messages.at(-1)?.role, options.model);
  const body: ConverseRequestBody = { messages };
  // The deployment's cache point after the system prompt, unless the client's own ends it.
  const systemPoint = options.cacheSystemPrompt === true && system.length > 0 && !('cachePoint' in (system[system.length - 1] as object));
  if (request.cacheControl) {
    const dropped = placeAutomaticCachePoint(request.cacheControl, { system, messages, tools: request.tools, systemPointAdded: systemPoint }, cache);
    if (dropped) warnings.push(dropped);
  }
  if (system.length > 0) {
    // Bedrock refuses a cache point that outlives one before it: the system's lasts an hour when a later one does.
    if (systemPoint && !('cachePoint' in (system[system.length - 1] as object))) system.push(oneHourIn(messages) ? CACHE_POINT_1H : CACHE_POINT);
    body.system = system;
  }
  const { plan, extra } = generation(request, options.model, claude, messages, warnings);
  const inference: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  if (request.maxOutputTokens !== undefined || plan.thinking !== undefined) inference.maxTokens = plan.maxTokens;
  if (plan.temperature !== undefined) inference.temperature = converseTemperature(plan.temperature, warnings);
  if (plan.topP !== undefined) inference.topP = plan.topP;
  const stops = claude ? claudeStopSequences(request.stopSequences, warnings) : request.stopSequences;
  if (stops && stops.length > 0) {
    // The service model's InferenceConfigurationStopSequencesList: "Member must have length less than or equal to 4".
    checkStopCount(stops, 4, 'Bedrock Converse');
    inference.stopSequences = stops;
    // Converse says a stop sequence fired, not which: Claude's own answer does, fetched by its JSON Pointer.
    if (claude) body.additionalModelResponseFieldPaths = ['/stop_sequence'];
  }
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  setTools(body, request, usesTools, cache, warnings, claude);
  if (cache.shortened) warnings.push(unsupported('cacheControl', 'This Bedrock model keeps a cache point for five minutes only; the one-hour cache hints were sent as five-minute ones.'));
  setResponseFormat(body, request);
  if (options.passthrough && options.passthrough.length > 0 && request.passthrough) copyPassthrough(request.passthrough, options.passthrough, extra);
  if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;
  for (const key of UNMAPPED) {
    if (request[key] !== undefined) warnings.push(unsupported(key, `Bedrock Converse has no ${key}; it was not sent.`));
  }
  return body;
}
