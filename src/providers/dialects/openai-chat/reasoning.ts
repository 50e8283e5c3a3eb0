import { effortForBudget } from '../../../core/types.js';
import type { ReasoningEffort, ReasoningRequest, Warning } from '../../../core/types.js';

/**
 * Which `reasoning_effort` values an upstream model takes: none (gpt-4o, gpt-4.1 refuse the field),
 * 'low' to 'high' (o-series, gpt-5.1 and later, open reasoning models), 'minimal' too (gpt-5 only), or
 * 'high' alone (gpt-5-pro).
 */
export type ReasoningEfforts = 'none' | 'low-to-high' | 'minimal-to-high' | 'high-only';

/**
 * Model names that take `reasoning_effort` when the deployment declares no capabilities, matched on the
 * name after any `org/` prefix: OpenAI's o-series, GPT-5 and gpt-oss, and the reasoning models vLLM
 * serves (DeepSeek-R1, QwQ, Qwen3). Deliberately short: any other model gets reasoning by listing the
 * `reasoning` capability on its deployment.
 */
const REASONING_MODEL = /^(?:o[1-9]|gpt-5|gpt-oss|deepseek-r1|qwq|qwen3)(?:[-.:_]|$)/i;
/** gpt-5-chat is GPT-5's non-reasoning chat model: it refuses reasoning_effort. */
const CHAT_MODEL = /^gpt-5-chat(?:[-.:_]|$)/i;
/** gpt-5 proper; from gpt-5.1 on 'minimal' is refused ("Supported values are: 'none', 'low', 'medium', and 'high'"). */
const MINIMAL_EFFORT_MODEL = /^gpt-5(?:[-:_]|$)/i;
/** gpt-5-pro "defaults to (and only supports) high reasoning effort": any other is a 400. */
const HIGH_EFFORT_MODEL = /^gpt-5-pro(?:[-:_]|$)/i;

/** OpenAI's own reasoning models, which refuse `max_tokens` (servers like vLLM and Ollama may not know its successor). */
const COMPLETION_TOKENS_MODEL = /^(?:o[1-9]|gpt-5)(?:[-.:_]|$)/i;

/** `max_completion_tokens` when the deployment's model refuses `max_tokens`; otherwise the client decides. */
export function maxTokensFieldFor(model: string): 'max_completion_tokens' | undefined {
  return COMPLETION_TOKENS_MODEL.test(model.slice(model.lastIndexOf('/') + 1)) ? 'max_completion_tokens' : undefined;
}

/**
 * What the deployment's model takes, decided once per deployment: its declared `capabilities` when it
 * has any (the operator's lever), otherwise its model name.
 */
export function reasoningEffortsFor(model: string, capabilities: readonly string[] | undefined): ReasoningEfforts {
  const name = model.slice(model.lastIndexOf('/') + 1);
  const reasons = capabilities === undefined ? REASONING_MODEL.test(name) && !CHAT_MODEL.test(name) : capabilities.includes('reasoning');
  if (!reasons) return 'none';
  if (HIGH_EFFORT_MODEL.test(name)) return 'high-only';
  return MINIMAL_EFFORT_MODEL.test(name) ? 'minimal-to-high' : 'low-to-high';
}

/** The effort asked for, or the one a budget amounts to; undefined with neither. */
function askedEffort(reasoning: ReasoningRequest): ReasoningEffort | undefined {
  return reasoning.effort ?? (reasoning.budgetTokens !== undefined ? effortForBudget(reasoning.budgetTokens) : undefined);
}

/**
 * The effort asked for, or the one a budget amounts to, lifted to 'low' where the model has no
 * 'minimal' and to 'high' where it takes nothing else; with neither, the model's default. Nothing when
 * off: `reasoning_effort: 'none'` is not universal.
 */
export function reasoningEffort(reasoning: ReasoningRequest, efforts: ReasoningEfforts): ReasoningEffort | undefined {
  if (!reasoning.enabled || efforts === 'none') return undefined;
  const effort = askedEffort(reasoning);
  if (effort === undefined) return undefined;
  if (efforts === 'high-only') return 'high';
  return effort === 'minimal' && efforts !== 'minimal-to-high' ? 'low' : effort;
}

/** The warning for an effort lifted to 'high' because the model takes no other (a lower one costs less, so the client should know). */
export function highEffortWarning(reasoning: ReasoningRequest, efforts: ReasoningEfforts): Warning | undefined {
  if (!reasoning.enabled || efforts !== 'high-only') return undefined;
  const asked = askedEffort(reasoning);
  if (asked === undefined || asked === 'high') return undefined;
  return { type: 'unsupported-setting', setting: 'reasoning', message: `The upstream model takes only reasoning effort 'high'; 'high' was sent instead of '${asked}'.` };
}
