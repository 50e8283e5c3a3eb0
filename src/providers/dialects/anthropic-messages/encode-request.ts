import { copyPassthrough } from '../../../core/fields.js';
import { checkToolNames } from '../tool-names.js';
import { lateSystemWarning } from '../system-place.js';
import type { ChatRequest, ToolChoice, ToolDefinition, Warning } from '../../../core/types.js';
import { claudeStopSequences, planClaudeGeneration, thinkingObstacle, toolLoopLacksThinking, unsupported, type ClaudeBlockKinds, type ClaudeGeneration } from './claude-generation.js';
import { checkClaudePrefill } from './claude-prefill.js';
import { BUDGET_RULES, claudeThinkingRules } from './claude-thinking.js';
import { cacheControl, encodeConversation } from './encode-messages.js';
import { planClaudeJson } from './output-format.js';
import type { AnthropicContentBlock, AnthropicTextBlock, AnthropicTool, AnthropicToolChoice, MessagesRequestBody } from './wire.js';

export interface EncodeMessagesOptions {
  /** The upstream model id; omit for Vertex rawPredict and Bedrock InvokeModel (model in the URL). */
  model?: string;
  /**
   * The model the body is for when `model` is left out of it (Vertex names it in the URL): with either,
   * a conversation ending on the assistant is refused before sending when that model takes no prefill.
   */
  forModel?: string;
  /**
   * Put into the body as `anthropic_version` (Vertex: 'vertex-2023-10-16', Bedrock: 'bedrock-2023-05-31').
   * A Vertex version also names the host, whose Claude models take structured outputs from 4.6 on.
   */
  anthropicVersion?: string;
  /**
   * False where the host has Claude's structured outputs turned off (Vertex, until the organization
   * policy `constraints/vertexai.allowedPartnerModelFeatures` allows them: it answers a 400): a JSON
   * schema is then asked for in the system prompt, with a warning.
   */
  structuredOutputs?: boolean;
  stream: boolean;
  /** `max_tokens` is required by the Messages API: used when the request sets no maxOutputTokens. */
  defaultMaxTokens: number;
  /** Drop temperature/top_p/top_k (API versions that reject sampling parameters). */
  omitSamplingParams?: boolean;
  /** Receives a Warning for each request setting the Messages API cannot take as given (pass it to the decoder). */
  warnings?: Warning[];
  /** Client fields the deployment lets through, copied as top-level body fields (e.g. `service_tier`). */
  passthrough?: readonly string[];
}

/** Every body field the encoder writes; a passthrough field would replace the planned value, so none may be one. */
export const MESSAGES_MAPPED_KEYS: ReadonlySet<string> = new Set([
  'model',
  'anthropic_version',
  'max_tokens',
  'messages',
  'system',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'metadata',
  'stream',
  'cache_control',
]);

/** Why `fields` cannot be passthrough fields of a Messages API deployment, or undefined. */
export function messagesPassthroughProblem(fields: readonly string[]): string | undefined {
  const taken = fields.find((f) => MESSAGES_MAPPED_KEYS.has(f));
  return taken === undefined ? undefined : `"${taken}" is a Messages API field Switchyard writes itself`;
}

/** Tool results and Claude's thinking among Messages API blocks. */
const BLOCK_KINDS: ClaudeBlockKinds<AnthropicContentBlock> = {
  isToolResult: (block) => block.type === 'tool_result',
  isThinking: (block) => block.type === 'thinking' || block.type === 'redacted_thinking',
};

function encodeTool(tool: ToolDefinition): AnthropicTool {
  const out: AnthropicTool = { name: tool.name, input_schema: tool.parameters ?? { type: 'object', properties: {} } };
  if (tool.description !== undefined) out.description = tool.description;
  if (tool.cacheControl) out.cache_control = cacheControl(tool.cacheControl);
  // Only true is sent: false is the API's default, and the field is left out as a client leaves it out.
  if (tool.strict === true) out.strict = true;
  return out;
}

/** Canonical tool choice to Anthropic's: 'required' is 'any'; parallelToolCalls false disables parallel use. */
function encodeToolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  if (choice?.type === 'none') return { type: 'none' };
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice.type === 'auto') return parallel === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice.type === 'required') return { type: 'any', ...noParallel };
  return { type: 'tool', name: choice.name, ...noParallel };
}

/** Sampling settings into the body: none under API versions that reject them, temperature clamped to 0..1. */
function setSampling(body: MessagesRequestBody, plan: ClaudeGeneration, omit: boolean | undefined, warnings: Warning[]): void {
  const given = { temperature: plan.temperature, topP: plan.topP, topK: plan.topK };
  if (omit) {
    for (const [setting, value] of Object.entries(given)) {
      if (value !== undefined) warnings.push(unsupported(setting, `This deployment's anthropic-version rejects ${setting}; it was not sent.`));
    }
    return;
  }
  if (given.temperature !== undefined) {
    body.temperature = Math.min(1, Math.max(0, given.temperature));
    if (body.temperature !== given.temperature) warnings.push(unsupported('temperature', `Claude takes temperature from 0 to 1; ${given.temperature} was sent as ${body.temperature}.`));
  }
  if (given.topP !== undefined) body.top_p = given.topP;
  if (given.topK !== undefined) body.top_k = given.topK;
}

const UNMAPPED = ['seed', 'presencePenalty', 'frequencyPenalty'] as const;

/**
 * A canonical chat request to a Messages API body, from an allow-list of fields. Settings the API
 * cannot take (seed, penalties; sampling where the version or thinking forbids it) are dropped with a
 * Warning in `opts.warnings`.
 */
export function encodeMessagesRequest(req: ChatRequest, opts: EncodeMessagesOptions): MessagesRequestBody {
  const warnings = opts.warnings ?? [];
  const { system, messages } = encodeConversation(req.messages);
  const moved = lateSystemWarning(req.messages, 'Claude');
  if (moved) warnings.push(moved);
  const target = opts.model ?? opts.forModel;
  if (target !== undefined) checkClaudePrefill(req.messages, messages.at(-1)?.role, target);
  const host = opts.anthropicVersion?.startsWith('vertex-') === true ? 'vertex' : 'anthropic';
  const json = planClaudeJson(req.responseFormat, target, host, messages.at(-1)?.role === 'assistant', warnings, opts.structuredOutputs !== false);
  if (json.instruction) system.push({ type: 'text', text: json.instruction });
  const obstacle = thinkingObstacle(req, req.reasoning?.enabled === true && toolLoopLacksThinking(messages, BLOCK_KINDS));
  // Without a model (no caller does that today) the budget form, the Messages API's long-standing one.
  const rules = target === undefined ? BUDGET_RULES : claudeThinkingRules(target);
  const plan = planClaudeGeneration(req, opts.defaultMaxTokens, rules, obstacle, warnings);
  const body: MessagesRequestBody = { max_tokens: plan.maxTokens, messages };
  if (opts.model !== undefined) body.model = opts.model;
  if (opts.anthropicVersion !== undefined) body.anthropic_version = opts.anthropicVersion;
  if (system.length > 0) body.system = encodeSystem(system);
  setSampling(body, plan, opts.omitSamplingParams, warnings);
  const stops = claudeStopSequences(req.stopSequences, warnings);
  if (stops) body.stop_sequences = stops;
  if (req.tools && req.tools.length > 0) {
    checkToolNames(req.tools, 'Claude');
    body.tools = req.tools.map(encodeTool);
    const choice = encodeToolChoice(req.toolChoice, req.parallelToolCalls);
    if (choice) body.tool_choice = choice;
  }
  // Reasoning turned off sends nothing: some Claude models refuse `{type:'disabled'}`, older ones any `thinking`.
  if (plan.thinking) body.thinking = plan.thinking;
  if (plan.effort !== undefined || json.format) {
    body.output_config = {};
    if (plan.effort !== undefined) body.output_config.effort = plan.effort;
    if (json.format) body.output_config.format = json.format;
  }
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  // Automatic caching is the API's own (Anthropic, Claude on Vertex): it places the breakpoint itself.
  if (req.cacheControl) body.cache_control = cacheControl(req.cacheControl);
  if (opts.stream) body.stream = true;
  if (opts.passthrough && opts.passthrough.length > 0 && req.passthrough) copyPassthrough(req.passthrough, opts.passthrough, body as unknown as Record<string, unknown>);
  for (const key of UNMAPPED) {
    if (req[key] !== undefined) warnings.push(unsupported(key, `The Anthropic Messages API has no ${key}; it was not sent.`));
  }
  return body;
}

/** A lone plain system text travels as a string; several parts, or cache marks, as blocks. */
function encodeSystem(blocks: AnthropicTextBlock[]): string | AnthropicTextBlock[] {
  const only = blocks[0];
  return blocks.length === 1 && only && !only.cache_control ? only.text : blocks;
}
