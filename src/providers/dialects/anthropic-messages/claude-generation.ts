import { REASONING_BUDGETS, type ChatRequest, type Warning } from '../../../core/types.js';

/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1_024;
/** With thinking on, Claude takes top_p only from this value up to 1. */
const MIN_TOP_P_WHEN_THINKING = 0.95;

/** A Warning for a setting the upstream cannot take and that was dropped or changed. */
export function unsupported(setting: string, message: string): Warning {
  return { type: 'unsupported-setting', setting, message };
}

/** What a Claude request generates with, after Claude's rules for thinking have been applied. */
export interface ClaudeGeneration {
  maxTokens: number;
  /** The thinking budget when thinking is on. */
  budgetTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
}

/**
 * max_tokens, the thinking budget and the sampling settings of a Claude request (Anthropic, Vertex,
 * Bedrock), following Anthropic's documented rules: the budget is at least 1,024 and below
 * max_tokens (which counts thinking too), so a max_tokens at or under the budget gets the budget
 * added on top; thinking cannot be combined with temperature, top_k, a top_p under 0.95, or a
 * forced tool choice (thinking is then turned off). Everything changed is reported in `warnings`.
 */
export function planClaudeGeneration(req: ChatRequest, defaultMaxTokens: number, forcedToolUse: boolean, warnings: Warning[]): ClaudeGeneration {
  const plan: ClaudeGeneration = { maxTokens: req.maxOutputTokens ?? defaultMaxTokens, temperature: req.temperature, topP: req.topP, topK: req.topK };
  if (req.reasoning?.enabled !== true) return plan;
  if (forcedToolUse) {
    warnings.push(unsupported('reasoning', 'Claude cannot reason when the tool choice forces a tool call; reasoning was turned off.'));
    return plan;
  }
  let budget = req.reasoning.budgetTokens ?? REASONING_BUDGETS[req.reasoning.effort ?? 'medium'];
  if (budget < MIN_THINKING_BUDGET) {
    warnings.push(unsupported('reasoning', `Claude's smallest reasoning budget is ${MIN_THINKING_BUDGET} tokens; ${budget} was raised to it.`));
    budget = MIN_THINKING_BUDGET;
  }
  plan.budgetTokens = budget;
  if (plan.maxTokens <= budget) {
    if (req.maxOutputTokens !== undefined) {
      warnings.push(unsupported('maxOutputTokens', `Claude counts reasoning in max_tokens, which must exceed the reasoning budget: max_tokens sent as ${budget} + ${plan.maxTokens}.`));
    }
    plan.maxTokens += budget;
  }
  if (plan.temperature !== undefined) {
    warnings.push(unsupported('temperature', 'Claude takes no temperature while reasoning; it was not sent.'));
    plan.temperature = undefined;
  }
  if (plan.topK !== undefined) {
    warnings.push(unsupported('topK', 'Claude takes no top_k while reasoning; it was not sent.'));
    plan.topK = undefined;
  }
  if (plan.topP !== undefined && plan.topP < MIN_TOP_P_WHEN_THINKING) {
    warnings.push(unsupported('topP', `Claude takes top_p only from ${MIN_TOP_P_WHEN_THINKING} to 1 while reasoning; it was not sent.`));
    plan.topP = undefined;
  }
  return plan;
}

/** Whether a request's tool choice forces a tool call (Anthropic `any` / `tool`). */
export function forcesToolUse(req: ChatRequest): boolean {
  const type = req.toolChoice?.type;
  return (type === 'required' || type === 'tool') && (req.tools?.length ?? 0) > 0;
}
