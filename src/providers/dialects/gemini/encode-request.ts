import { REASONING_BUDGETS, aboveHigh, budgetedEffort } from '../../../core/types.js';
import { RESPONSE_FORMAT } from '../json-schema-refs.js';
import { checkStopCount } from '../stop-limit.js';
import { checkToolNames, strictDropped } from '../tool-names.js';
import type { ChatRequest, ReasoningRequest, ToolChoice, ToolDefinition, Warning } from '../../../core/types.js';
import type { GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiRequest, GeminiThinkingConfig } from './wire.js';
import { encodeMessages, type HistoryRules } from './encode-messages.js';
import { geminiSchema, toGeminiParameters } from './schema.js';

/** A generateContent body and the settings it could not carry. */
export interface EncodedGeminiRequest {
  body: GeminiRequest;
  warnings: Warning[];
}

function declaration(tool: ToolDefinition): GeminiFunctionDeclaration {
  const decl: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined) decl.description = tool.description;
  const parameters = toGeminiParameters(tool.parameters, { param: 'tools', label: `the parameters of tool '${tool.name.slice(0, 64)}'` });
  if (parameters !== undefined && 'openApi' in parameters) decl.parameters = parameters.openApi;
  else if (parameters !== undefined) decl.parametersJsonSchema = parameters.jsonSchema;
  return decl;
}

function toolConfig(choice: ToolChoice): NonNullable<GeminiRequest['toolConfig']> {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
}

/** Models that cannot stop thinking: a zero budget is a 400 ("This model only works in thinking mode"). */
const ALWAYS_THINKS = /^gemini-(?:2\.5-pro|3)/i;
/** Models that refuse a function call in the history without its thought signature. */
const SIGNS_CALLS = /^gemini-[3-9]/i;
/**
 * Models that refuse a request ending with a model turn ("Requests ending with a model turn are not
 * supported"): per Google, Gemini 3.6 Flash, 3.5 Flash-Lite and every later release (3.5 Flash still continues one).
 */
const NO_PREFILL = /^gemini-(?:3\.5-flash-lite|3\.(?:[6-9]|\d{2,})|[4-9]|\d{2,})(?:[-.@_]|$)/i;
/** Gemini 2.5 Pro's smallest thinking budget. */
const MIN_PRO_BUDGET = 128;

/**
 * Thinking on with a token budget (the effort's, when only an effort is given; Gemini has no effort
 * above high, so xhigh and max get high's, with a Warning), or off with a zero budget; for a model that
 * always thinks, as little as it allows (with a Warning).
 */
function thinkingConfig(reasoning: ReasoningRequest, model: string | undefined, warnings: Warning[]): GeminiThinkingConfig {
  const name = model?.slice(model.lastIndexOf('/') + 1);
  if (reasoning.enabled) return { thinkingBudget: withinBudgetRange(reasoning.budgetTokens ?? effortBudget(reasoning, warnings), name, warnings), includeThoughts: true };
  if (name === undefined || !ALWAYS_THINKS.test(name)) return { thinkingBudget: 0 };
  warnings.push({ type: 'unsupported-setting', setting: 'reasoning', message: `${name} cannot turn thinking off; it thinks as little as it allows.` });
  // Gemini 3 sets its thinking by level (its default is high).
  return name.toLowerCase().startsWith('gemini-2.5-pro') ? { thinkingBudget: MIN_PRO_BUDGET } : { thinkingLevel: 'low' };
}

/** The preset budget of the request's effort (medium when none), high's for an effort above it. */
function effortBudget(reasoning: ReasoningRequest, warnings: Warning[]): number {
  const effort = reasoning.effort ?? 'medium';
  if (aboveHigh(effort)) {
    warnings.push({ type: 'unsupported-setting', setting: 'reasoning', message: `Gemini takes a thinking budget, and no budget names the reasoning effort ${effort}; high's budget (${REASONING_BUDGETS.high} tokens) was sent.` });
  }
  return REASONING_BUDGETS[budgetedEffort(effort)];
}

/** Gemini 2.5's thinking budget ranges (a budget outside one is a 400), by model name: Pro, Flash-Lite, Flash. */
const BUDGET_RANGES: ReadonlyArray<readonly [RegExp, number, number]> = [
  [/^gemini-2\.5-pro/i, MIN_PRO_BUDGET, 32_768],
  [/^gemini-2\.5-flash-lite/i, 512, 24_576],
  [/^gemini-2\.5-flash/i, 1, 24_576],
];

/** A thinking budget moved into the model's range when it has a known one (with a Warning). */
function withinBudgetRange(budget: number, name: string | undefined, warnings: Warning[]): number {
  const range = name === undefined ? undefined : BUDGET_RANGES.find(([pattern]) => pattern.test(name));
  if (range === undefined) return budget;
  const [, min, max] = range;
  const kept = Math.min(max, Math.max(min, budget));
  if (kept !== budget) warnings.push({ type: 'unsupported-setting', setting: 'reasoning', message: `${name} takes a thinking budget from ${min} to ${max} tokens; ${budget} was sent as ${kept}.` });
  return kept;
}

function generationConfig(req: ChatRequest, model: string | undefined, warnings: Warning[]): GeminiGenerationConfig | undefined {
  const cfg: GeminiGenerationConfig = {};
  if (req.temperature !== undefined) cfg.temperature = req.temperature;
  if (req.topP !== undefined) cfg.topP = req.topP;
  if (req.topK !== undefined) cfg.topK = req.topK;
  if (req.maxOutputTokens !== undefined) cfg.maxOutputTokens = req.maxOutputTokens;
  if (req.stopSequences !== undefined) {
    // "stopSequences specifies the set of character sequences (up to 5) that will stop output generation."
    checkStopCount(req.stopSequences, 5, 'Gemini');
    cfg.stopSequences = req.stopSequences;
  }
  if (req.seed !== undefined) cfg.seed = req.seed;
  if (req.presencePenalty !== undefined) cfg.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) cfg.frequencyPenalty = req.frequencyPenalty;
  if (req.responseFormat?.type === 'json') {
    cfg.responseMimeType = 'application/json';
    if (req.responseFormat.schema !== undefined) {
      const schema = geminiSchema(req.responseFormat.schema, RESPONSE_FORMAT);
      if ('openApi' in schema) cfg.responseSchema = schema.openApi;
      else cfg.responseJsonSchema = schema.jsonSchema;
    }
  }
  if (req.reasoning !== undefined) cfg.thinkingConfig = thinkingConfig(req.reasoning, model, warnings);
  return Object.keys(cfg).length > 0 ? cfg : undefined;
}

/** The history rules by model, worked out once per model rather than per request (two regexes and an object). */
const RULES_BY_MODEL = new Map<string, HistoryRules>();

function historyRules(model: string): HistoryRules {
  let rules = RULES_BY_MODEL.get(model);
  if (rules === undefined) {
    const name = model.slice(model.lastIndexOf('/') + 1);
    rules = Object.freeze({ signCalls: SIGNS_CALLS.test(name), prefill: !NO_PREFILL.test(name) });
    RULES_BY_MODEL.set(model, rules);
  }
  return rules;
}

/**
 * A canonical chat request as a Gemini generateContent body, built field by field. The model goes in
 * the URL, not the body. `user` has no Gemini counterpart; cache hints are ignored (Gemini caches
 * implicitly), a request-level one with a warning, as is a request to forbid parallel tool calls.
 * `model` (the deployment's) decides what turning thinking off can mean, whether unsigned function
 * calls in the history need Google's stand-in signature (Gemini 3), and whether a final assistant
 * message (a prefill) can be sent.
 */
export function encodeGenerateContentRequest(req: ChatRequest, model?: string): EncodedGeminiRequest {
  const warnings: Warning[] = [];
  const body: GeminiRequest = encodeMessages(req.messages, historyRules(model ?? ''), warnings);
  if (req.tools !== undefined && req.tools.length > 0) {
    checkToolNames(req.tools, 'Gemini');
    body.tools = [{ functionDeclarations: req.tools.map(declaration) }];
    // Gemini's function declarations have no strict flag: parameters guide the model, nothing holds a call to them.
    const strict = strictDropped(req.tools, 'Gemini');
    if (strict) warnings.push(strict);
    if (req.toolChoice !== undefined) body.toolConfig = toolConfig(req.toolChoice);
  }
  if (req.parallelToolCalls === false) {
    warnings.push({ type: 'unsupported-setting', setting: 'parallelToolCalls', message: 'Gemini cannot be told to avoid parallel function calls; the setting was ignored.' });
  }
  if (req.cacheControl) {
    warnings.push({ type: 'unsupported-setting', setting: 'cacheControl', message: "Gemini caches prompt prefixes on its own and takes no cache hints; the request's automatic cache_control was not sent." });
  }
  const config = generationConfig(req, model, warnings);
  if (config) body.generationConfig = config;
  return { body, warnings };
}
