import { REASONING_BUDGETS, aboveHigh, budgetedEffort, effortForBudget, type ChatRequest, type ReasoningEffort, type ReasoningRequest, type Warning } from '../../../core/types.js';
import type { ClaudeThinkingForm, ClaudeThinkingRules } from './claude-thinking.js';

/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1_024;
/** With thinking on, Claude takes top_p only from this value up to 1. */
const MIN_TOP_P_WHEN_THINKING = 0.95;

/** A Warning for a setting the upstream cannot take and that was dropped or changed. */
export function unsupported(setting: string, message: string): Warning {
  return { type: 'unsupported-setting', setting, message };
}

/** Claude's thinking setting, in either form (Messages API `thinking`, Converse's model field of that name). */
export type ClaudeThinking = { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };

/** Claude's `output_config.effort` levels; `xhigh` and `max` only to the models that take them (claude-thinking.ts). */
export type ClaudeEffort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/**
 * Canonical effort to Claude's, for a model taking `top` above `high`: `minimal` has no equivalent
 * (`low` is the nearest), and an effort above `high` the model lacks is sent as `high`, which thinks
 * less rather than failing the request; each with a Warning.
 */
function claudeEffort(effort: ReasoningEffort, top: readonly string[], warnings: Warning[]): ClaudeEffort {
  if (effort === 'minimal') {
    warnings.push(unsupported('reasoning', "Claude's lowest reasoning effort is low; minimal was sent as low."));
    return 'low';
  }
  if (!aboveHigh(effort) || top.includes(effort)) return effort;
  const taken = ['low', 'medium', 'high', ...top].join(', ');
  warnings.push(unsupported('reasoning', `This Claude model takes no reasoning effort ${effort} (it takes ${taken}); high was sent instead.`));
  return 'high';
}

/** The effort adaptive thinking defaults to when none is sent. */
const ADAPTIVE_DEFAULT_EFFORT: ReasoningEffort = 'high';

/** What a Claude request generates with, after Claude's rules for thinking have been applied. */
export interface ClaudeGeneration {
  maxTokens: number;
  /** The thinking setting when thinking is on. */
  thinking?: ClaudeThinking;
  /** Adaptive thinking's `output_config.effort`; none leaves Claude's default (`high`). */
  effort?: ClaudeEffort;
  temperature?: number;
  topP?: number;
  topK?: number;
}

/**
 * max_tokens, the thinking setting and the sampling settings of a Claude request (Anthropic, Vertex,
 * Bedrock), following Anthropic's documented rules. `form` is the model's thinking form
 * (claude-thinking.ts): adaptive thinking for a model that takes only it, and for one that takes both
 * unless the client gave an explicit budget; the budget form otherwise.
 *
 * maxOutputTokens is the whole output, thinking included (as Claude's max_tokens is), so it is sent as
 * it is. In the budget form the budget fits below it: an explicit budget is lowered under it, a budget
 * from an effort takes at most half of it, and when no budget of at least 1,024 fits, thinking is off.
 * Adaptive thinking has no budget: the effort is mapped (a budget the model refuses becomes the nearest
 * effort, with a Warning). Without maxOutputTokens, a default at or under the budget (for adaptive
 * thinking, the preset budget of its effort) gets it added on top, so thinking leaves room for an
 * answer. Thinking in either form cannot be combined with temperature, top_k or a top_p under 0.95
 * (they are dropped), nor happen at all when `obstacle` says why (see thinkingObstacle). Of temperature
 * and top_p only temperature is sent when both are given. Everything changed is reported in `warnings`.
 */
export function planClaudeGeneration(req: ChatRequest, defaultMaxTokens: number, rules: ClaudeThinkingRules, obstacle: string | undefined, warnings: Warning[]): ClaudeGeneration {
  const form = rules.form;
  const plan: ClaudeGeneration = { maxTokens: req.maxOutputTokens ?? defaultMaxTokens, temperature: req.temperature, topP: req.topP, topK: req.topK };
  const reasoning = req.reasoning;
  if (reasoning?.enabled === true) {
    if (obstacle !== undefined) warnings.push(unsupported('reasoning', obstacle));
    else if (form === 'adaptive' || (form === 'either' && reasoning.budgetTokens === undefined)) {
      const effort = adaptiveEffort(reasoning, form, warnings);
      plan.thinking = { type: 'adaptive' };
      if (effort !== undefined) plan.effort = claudeEffort(effort, rules.topEfforts, warnings);
      const room = REASONING_BUDGETS[budgetedEffort(effort ?? ADAPTIVE_DEFAULT_EFFORT)];
      if (req.maxOutputTokens === undefined && plan.maxTokens <= room) plan.maxTokens += room;
      dropSamplingForThinking(plan, warnings);
    } else {
      const budget = thinkingBudget(reasoning, req.maxOutputTokens, warnings);
      if (budget !== undefined) {
        plan.thinking = { type: 'enabled', budget_tokens: budget };
        if (req.maxOutputTokens === undefined && plan.maxTokens <= budget) plan.maxTokens += budget;
        dropSamplingForThinking(plan, warnings);
      }
    }
  }
  if (form === 'adaptive') dropRemovedSampling(plan, warnings);
  // Claude Opus 4.1 and every Claude since refuse both ("temperature and top_p cannot both be specified").
  if (plan.temperature !== undefined && plan.topP !== undefined) {
    warnings.push(unsupported('topP', 'Claude takes temperature or top_p, not both; top_p was not sent.'));
    plan.topP = undefined;
  }
  return plan;
}

/**
 * Claude Opus 4.7 removed temperature, top_p and top_k, with or without thinking (a 400, "`temperature`
 * is deprecated for this model.", on the Anthropic API, Vertex and Bedrock; Anthropic's 4.7 migration
 * notes), and so did every Claude since. The same models as take adaptive thinking only, so the same
 * rule (claude-thinking.ts) says which: OpenAI clients send a temperature by default, and each such
 * request would fail. They are dropped, with a Warning each.
 */
function dropRemovedSampling(plan: ClaudeGeneration, warnings: Warning[]): void {
  for (const [key, name] of [['temperature', 'temperature'], ['topP', 'top_p'], ['topK', 'top_k']] as const) {
    if (plan[key] === undefined) continue;
    warnings.push(unsupported(key, `This Claude model takes no ${name} (removed from Claude Opus 4.7 on); it was not sent.`));
    plan[key] = undefined;
  }
}

/**
 * The canonical effort adaptive thinking is asked with: the request's, else (on a model that refuses
 * budgets) the one nearest its budget, with a Warning; undefined leaves Claude's default.
 */
function adaptiveEffort(reasoning: ReasoningRequest, form: ClaudeThinkingForm, warnings: Warning[]): ReasoningEffort | undefined {
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return reasoning.effort;
  // Only a model that takes adaptive thinking alone gets here with a budget (see planClaudeGeneration).
  if (reasoning.effort !== undefined) {
    warnings.push(unsupported('reasoning', `This Claude model takes no reasoning budget (${form} thinking only); the budget of ${budget} tokens was not sent (the effort ${reasoning.effort} was).`));
    return reasoning.effort;
  }
  // Claude's lowest effort is low: a budget nearest minimal is sent as that, with this one Warning.
  const nearest = effortForBudget(budget);
  const effort = nearest === 'minimal' ? 'low' : nearest;
  warnings.push(unsupported('reasoning', `This Claude model takes no reasoning budget (${form} thinking only); the budget of ${budget} tokens was sent as the effort ${effort}.`));
  return effort;
}

/** The thinking budget within the output cap (which counts thinking too), or undefined when none of at least 1,024 fits. */
function thinkingBudget(reasoning: ReasoningRequest, cap: number | undefined, warnings: Warning[]): number | undefined {
  if (cap !== undefined && cap <= MIN_THINKING_BUDGET) {
    warnings.push(unsupported('reasoning', `Claude counts reasoning in maxOutputTokens (${cap}), which leaves no room for its smallest reasoning budget of ${MIN_THINKING_BUDGET} tokens; reasoning was turned off.`));
    return undefined;
  }
  if (reasoning.budgetTokens === undefined) {
    const effort = reasoning.effort ?? 'medium';
    if (aboveHigh(effort)) warnings.push(unsupported('reasoning', `This Claude model takes a thinking budget, not an effort, and no budget names ${effort}; high's budget (${REASONING_BUDGETS.high} tokens) was sent.`));
    const preset = REASONING_BUDGETS[budgetedEffort(effort)];
    if (cap === undefined) return preset;
    const budget = Math.min(preset, Math.floor(cap / 2));
    if (budget >= MIN_THINKING_BUDGET) return budget;
    warnings.push(unsupported('reasoning', `Reasoning may take at most half of maxOutputTokens (${cap}), under Claude's smallest reasoning budget of ${MIN_THINKING_BUDGET} tokens; reasoning was turned off.`));
    return undefined;
  }
  let budget = reasoning.budgetTokens;
  if (budget < MIN_THINKING_BUDGET) {
    warnings.push(unsupported('reasoning', `Claude's smallest reasoning budget is ${MIN_THINKING_BUDGET} tokens; ${budget} was raised to it.`));
    budget = MIN_THINKING_BUDGET;
  }
  if (cap !== undefined && budget >= cap) {
    warnings.push(unsupported('reasoning', `Claude counts reasoning in maxOutputTokens (${cap}), so the reasoning budget must be below it; ${budget} was lowered to ${cap - 1}.`));
    budget = cap - 1;
  }
  return budget;
}

function dropSamplingForThinking(plan: ClaudeGeneration, warnings: Warning[]): void {
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
}

/**
 * The stop sequences Claude takes: it refuses one that is empty or only white space ("each stop
 * sequence must contain non-whitespace"), which OpenAI clients send (`stop: ["\n"]`). Those are
 * dropped, with a Warning.
 */
export function claudeStopSequences(stops: readonly string[] | undefined, warnings: Warning[]): string[] | undefined {
  if (stops === undefined) return undefined;
  const kept = stops.filter((s) => s.trim() !== '');
  if (stops.some((s) => s !== '' && s.trim() === '')) {
    warnings.push(unsupported('stopSequences', 'Claude refuses stop sequences made only of white space; those were not sent.'));
  }
  return kept.length > 0 ? kept : undefined;
}

/** Whether a request's tool choice forces a tool call (Anthropic `any` / `tool`). */
export function forcesToolUse(req: ChatRequest): boolean {
  const type = req.toolChoice?.type;
  return (type === 'required' || type === 'tool') && (req.tools?.length ?? 0) > 0;
}

/** A turn of an encoded Claude conversation (Messages API or Converse), blocks of any wire shape. */
interface ClaudeTurn<Block> {
  role: 'user' | 'assistant';
  content: readonly Block[];
}

/** How to tell a wire format's tool results and thinking blocks apart. */
export interface ClaudeBlockKinds<Block> {
  isToolResult(block: Block): boolean;
  /** Thinking or redacted thinking, as Claude signed it. */
  isThinking(block: Block): boolean;
  /** Blocks that carry no content (Converse cache points): they neither open a message nor end a tool loop. */
  isMarker?(block: Block): boolean;
}

/**
 * Whether the conversation is inside a tool loop whose assistant turn does not open with Claude's
 * thinking: the last user turn holds tool results, and the assistant message that began answering
 * (the first after the last user turn that is not only tool results) does not start with a thinking
 * block. Claude refuses thinking then ("a final assistant message must start with a thinking block");
 * clients of other APIs, which cannot send Claude's signatures back, always end up here mid-loop. A
 * new user question starts a new turn, where thinking may be on again.
 */
export function toolLoopLacksThinking<Block>(turns: ReadonlyArray<ClaudeTurn<Block>>, kinds: ClaudeBlockKinds<Block>): boolean {
  let last = turns.length - 1;
  while (last >= 0 && turns[last]?.role !== 'user') last -= 1;
  const lastUser = turns[last];
  if (!lastUser || toolResultsIn(lastUser, kinds) === 'none') return false;
  let opening = last - 1;
  while (opening >= 2 && toolResultsIn(turns[opening - 1], kinds) === 'only') opening -= 2;
  const turn = turns[opening];
  if (turn?.role !== 'assistant') return false;
  const first = turn.content.find((block) => kinds.isMarker?.(block) !== true);
  return first === undefined || !kinds.isThinking(first);
}

/** Whether a turn holds no tool results, only tool results (cache markers aside), or some among other content. */
function toolResultsIn<Block>(turn: ClaudeTurn<Block> | undefined, kinds: ClaudeBlockKinds<Block>): 'none' | 'only' | 'some' {
  let results = 0;
  let others = 0;
  for (const block of turn?.content ?? []) {
    if (kinds.isToolResult(block)) results += 1;
    else if (kinds.isMarker?.(block) !== true) others += 1;
  }
  if (results === 0) return 'none';
  return others === 0 ? 'only' : 'some';
}

/** Why Claude cannot think for this request, or undefined when it can. */
export function thinkingObstacle(req: ChatRequest, toolLoopWithoutThinking: boolean): string | undefined {
  if (forcesToolUse(req)) return 'Claude cannot reason when the tool choice forces a tool call; reasoning was turned off.';
  if (toolLoopWithoutThinking) {
    return "Claude reasons in a tool loop only when the assistant turn that called the tools starts with Claude's own signed reasoning, which this conversation does not carry; reasoning was turned off.";
  }
  return undefined;
}
