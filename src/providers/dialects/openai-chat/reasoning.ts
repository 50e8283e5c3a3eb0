import { effortForBudget } from '../../../core/types.js';
import type { ReasoningEffort, ReasoningRequest, Warning } from '../../../core/types.js';

/**
 * Which `reasoning_effort` values an upstream model takes: none (gpt-4o, gpt-4.1 refuse the field),
 * 'low' to 'high' (o-series, gpt-5.1, open reasoning models), 'minimal' too (gpt-5 only), 'low' to
 * 'xhigh' (gpt-5.1-codex-max, gpt-5.2 to gpt-5.5), 'low' to 'max' (gpt-5.6 on), 'medium' to 'xhigh'
 * (gpt-5.2-pro, gpt-5.4-pro, gpt-5.5-pro), 'medium' alone (gpt-5.1-chat, gpt-5.2-chat, gpt-5.3-chat) or
 * 'high' alone (gpt-5-pro).
 */
export type ReasoningEfforts = 'none' | 'low-to-high' | 'minimal-to-high' | 'low-to-xhigh' | 'low-to-max' | 'medium-to-xhigh' | 'medium-only' | 'high-only';

/** The efforts each kind of model takes, lowest first. */
const TAKEN: Readonly<Record<Exclude<ReasoningEfforts, 'none'>, readonly ReasoningEffort[]>> = {
  'minimal-to-high': ['minimal', 'low', 'medium', 'high'],
  'low-to-high': ['low', 'medium', 'high'],
  'low-to-xhigh': ['low', 'medium', 'high', 'xhigh'],
  'low-to-max': ['low', 'medium', 'high', 'xhigh', 'max'],
  'medium-to-xhigh': ['medium', 'high', 'xhigh'],
  'medium-only': ['medium'],
  'high-only': ['high'],
};

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
/** The versioned pro models take 'medium', 'high' and 'xhigh' (gpt-5.2-pro, gpt-5.4-pro, gpt-5.5-pro): 'low' is a 400. */
const MEDIUM_UP_MODEL = /^gpt-5\.[245]-pro(?:[-:_]|$)/i;
/**
 * 'xhigh' is "supported for all models after gpt-5.1-codex-max" (OpenAI's reasoning_effort reference): that
 * model and gpt-5.2 on (the chat models, above, aside); 'max' came with gpt-5.6 (sol, terra, luna).
 */
const XHIGH_MODEL = /^gpt-5(?:\.1-codex-max|\.(?:[2-9]|\d{2,})(?!-chat))(?:[-.:_]|$)/i;
const MAX_MODEL = /^gpt-5\.(?:[6-9]|\d{2,})(?!-chat)(?:[-.:_]|$)/i;
/** gpt-5.1-chat, gpt-5.2-chat and gpt-5.3-chat refuse any effort but 'medium' ("Supported values are: 'medium'"). */
const MEDIUM_EFFORT_MODEL = /^gpt-5\.[1-3]-chat(?:[-:_]|$)/i;

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
  if (MEDIUM_UP_MODEL.test(name)) return 'medium-to-xhigh';
  if (MEDIUM_EFFORT_MODEL.test(name)) return 'medium-only';
  if (MAX_MODEL.test(name)) return 'low-to-max';
  if (XHIGH_MODEL.test(name)) return 'low-to-xhigh';
  return MINIMAL_EFFORT_MODEL.test(name) ? 'minimal-to-high' : 'low-to-high';
}

/** The effort asked for, or the one a budget amounts to; undefined with neither. */
function askedEffort(reasoning: ReasoningRequest): ReasoningEffort | undefined {
  return reasoning.effort ?? (reasoning.budgetTokens !== undefined ? effortForBudget(reasoning.budgetTokens) : undefined);
}

const REASONING_ORDER: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max'];

/** An effort brought into what the model takes: raised to its lowest, or lowered to its highest. */
function clamp(effort: ReasoningEffort, taken: readonly ReasoningEffort[]): ReasoningEffort {
  if (taken.includes(effort)) return effort;
  const lowest = taken[0] as ReasoningEffort;
  return REASONING_ORDER.indexOf(effort) < REASONING_ORDER.indexOf(lowest) ? lowest : (taken[taken.length - 1] as ReasoningEffort);
}

/**
 * The effort asked for, or the one a budget amounts to, brought into what the model takes ('minimal'
 * lifted to 'low' where the model has no 'minimal', 'low' to 'medium' on the versioned pro models,
 * 'xhigh' and 'max' lowered to the model's highest, any effort to the one a model takes alone); with
 * neither, the model's default. Nothing when off: `reasoning_effort: 'none'` is not universal.
 */
export function reasoningEffort(reasoning: ReasoningRequest, efforts: ReasoningEfforts): ReasoningEffort | undefined {
  if (!reasoning.enabled || efforts === 'none') return undefined;
  const effort = askedEffort(reasoning);
  return effort === undefined ? undefined : clamp(effort, TAKEN[efforts]);
}

/**
 * The warning for an effort the model could not take as asked: the effort sent costs more or thinks
 * less, so the client should know. 'minimal' sent as 'low' to a model whose lowest is 'low' is the
 * nearest effort, and not warned of.
 */
export function effortWarning(reasoning: ReasoningRequest, efforts: ReasoningEfforts): Warning | undefined {
  if (!reasoning.enabled || efforts === 'none') return undefined;
  const asked = askedEffort(reasoning);
  if (asked === undefined) return undefined;
  const taken = TAKEN[efforts];
  const sent = clamp(asked, taken);
  if (sent === asked || (asked === 'minimal' && sent === 'low')) return undefined;
  const named = taken.map((e) => `'${e}'`).join(' or ');
  return { type: 'unsupported-setting', setting: 'reasoning', message: `The upstream model takes only reasoning effort ${named}; '${sent}' was sent instead of '${asked}'.` };
}
