import { REASONING_BUDGETS } from '../../../core/types.js';
import type { ChatRequest, ReasoningRequest, ToolChoice, ToolDefinition, Warning } from '../../../core/types.js';
import type { GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiRequest, GeminiThinkingConfig } from './wire.js';
import { encodeMessages } from './encode-messages.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';

/** A generateContent body and the settings it could not carry. */
export interface EncodedGeminiRequest {
  body: GeminiRequest;
  warnings: Warning[];
}

function declaration(tool: ToolDefinition): GeminiFunctionDeclaration {
  const decl: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined) decl.description = tool.description;
  const parameters = toGeminiParameters(tool.parameters);
  if (parameters !== undefined) decl.parameters = parameters;
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

/** Thinking on with a token budget (the effort's, when only an effort is given), or off with a zero budget. */
function thinkingConfig(reasoning: ReasoningRequest): GeminiThinkingConfig {
  if (!reasoning.enabled) return { thinkingBudget: 0 };
  return { thinkingBudget: reasoning.budgetTokens ?? REASONING_BUDGETS[reasoning.effort ?? 'medium'], includeThoughts: true };
}

function generationConfig(req: ChatRequest): GeminiGenerationConfig | undefined {
  const cfg: GeminiGenerationConfig = {};
  if (req.temperature !== undefined) cfg.temperature = req.temperature;
  if (req.topP !== undefined) cfg.topP = req.topP;
  if (req.topK !== undefined) cfg.topK = req.topK;
  if (req.maxOutputTokens !== undefined) cfg.maxOutputTokens = req.maxOutputTokens;
  if (req.stopSequences !== undefined) cfg.stopSequences = req.stopSequences;
  if (req.seed !== undefined) cfg.seed = req.seed;
  if (req.presencePenalty !== undefined) cfg.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) cfg.frequencyPenalty = req.frequencyPenalty;
  if (req.responseFormat?.type === 'json') {
    cfg.responseMimeType = 'application/json';
    if (req.responseFormat.schema !== undefined) cfg.responseSchema = toGeminiSchema(req.responseFormat.schema);
  }
  if (req.reasoning !== undefined) cfg.thinkingConfig = thinkingConfig(req.reasoning);
  return Object.keys(cfg).length > 0 ? cfg : undefined;
}

/**
 * A canonical chat request as a Gemini generateContent body, built field by field. The model goes in
 * the URL, not the body. `user` has no Gemini counterpart; cache hints are ignored (Gemini caches
 * implicitly); a request to forbid parallel tool calls cannot be honoured and becomes a warning.
 */
export function encodeGenerateContentRequest(req: ChatRequest): EncodedGeminiRequest {
  const body: GeminiRequest = encodeMessages(req.messages);
  const warnings: Warning[] = [];
  if (req.tools !== undefined && req.tools.length > 0) {
    body.tools = [{ functionDeclarations: req.tools.map(declaration) }];
    if (req.toolChoice !== undefined) body.toolConfig = toolConfig(req.toolChoice);
  }
  if (req.parallelToolCalls === false) {
    warnings.push({ type: 'unsupported-setting', setting: 'parallelToolCalls', message: 'Gemini cannot be told to avoid parallel function calls; the setting was ignored.' });
  }
  const config = generationConfig(req);
  if (config) body.generationConfig = config;
  return { body, warnings };
}
