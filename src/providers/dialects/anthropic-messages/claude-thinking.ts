import { byModel, claudeVersion } from './claude-prefill.js';

/**
 * Which form of thinking a model takes: `budget`, only `{type: "enabled", budget_tokens}`; `either`,
 * that or `{type: "adaptive"}` with `output_config.effort`; `adaptive`, only the latter.
 */
export type ClaudeThinkingForm = 'budget' | 'either' | 'adaptive';

const CLAUDE = /claude/i;

/**
 * The thinking form of a model, as a rule on the Claude version its id names (any host's spelling,
 * `claudeVersion`) rather than a list, so that the next Claude is covered the day it ships. Adaptive
 * thinking came with Claude 4.6 (Opus and Sonnet), where the budget form is still taken but deprecated;
 * from Claude Opus 4.7 on, and in the Claude 5 family, the budget form is refused with a 400
 * ("thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and
 * "output_config.effort" ...), the same on the Anthropic API, Vertex and Bedrock; every Claude before
 * 4.6 knows the budget form only. A model id that does not name Claude (an Anthropic-compatible
 * server's own model) keeps the budget form, the Messages API's long-standing one.
 *
 * A Claude id whose version cannot be read is taken to be adaptive-only, the safer mistake, as the
 * prefill rule reasons: every older id reads, so an unreadable one is most likely a new model (Claude
 * Mythos Preview, `claude-mythos-preview`, is adaptive-only), and the budget form to one of those fails
 * every reasoning request.
 */
function thinkingForm(model: string): ClaudeThinkingForm {
  if (!CLAUDE.test(model)) return 'budget';
  const version = claudeVersion(model);
  if (version === undefined) return 'adaptive';
  if (version.major < 4 || (version.major === 4 && version.minor < 6)) return 'budget';
  return version.major === 4 && version.minor === 6 ? 'either' : 'adaptive';
}

/** The thinking form a Claude model id takes (see thinkingForm). */
export const claudeThinkingForm: (model: string) => ClaudeThinkingForm = byModel(thinkingForm);

/** Claude's adaptive efforts above `high`. */
export type ClaudeTopEffort = 'xhigh' | 'max';

const NO_TOP_EFFORTS: readonly ClaudeTopEffort[] = [];
const MAX_ONLY: readonly ClaudeTopEffort[] = ['max'];
const XHIGH_AND_MAX: readonly ClaudeTopEffort[] = ['xhigh', 'max'];

/**
 * The efforts above `high` a model's `output_config.effort` takes, a rule on the same version as the
 * thinking form (Anthropic's effort page): `max` from Claude 4.6 on (Opus and Sonnet 4.6, Mythos
 * Preview), `xhigh` from Claude Opus 4.7 on (Opus 4.8, the Claude 5 family), "some models that support
 * max do not yet support xhigh". A Claude id whose version cannot be read is taken to be adaptive
 * (thinkingForm), so it takes `max`, as every adaptive model does, and not `xhigh`, which Claude Mythos
 * Preview, the one such id known, refuses: `high` sent for `xhigh` thinks less, whereas `xhigh` to a
 * model without it fails the request.
 */
function topEfforts(model: string): readonly ClaudeTopEffort[] {
  if (!CLAUDE.test(model)) return NO_TOP_EFFORTS;
  const version = claudeVersion(model);
  if (version === undefined) return MAX_ONLY;
  if (version.major < 4 || (version.major === 4 && version.minor < 6)) return NO_TOP_EFFORTS;
  return version.major === 4 && version.minor === 6 ? MAX_ONLY : XHIGH_AND_MAX;
}

/** The efforts above `high` a Claude model id takes (see topEfforts). */
export const claudeTopEfforts: (model: string) => readonly ClaudeTopEffort[] = byModel(topEfforts);

/** What a Claude model takes of thinking: its form and its efforts above `high`. */
export interface ClaudeThinkingRules {
  readonly form: ClaudeThinkingForm;
  readonly topEfforts: readonly ClaudeTopEffort[];
}

/** The rules for a model that names no Claude version the rules know: the budget form, no effort above `high`. */
export const BUDGET_RULES: ClaudeThinkingRules = { form: 'budget', topEfforts: NO_TOP_EFFORTS };

/** A Claude model id's thinking rules, one object per id. */
export const claudeThinkingRules: (model: string) => ClaudeThinkingRules = byModel((model) => ({ form: claudeThinkingForm(model), topEfforts: claudeTopEfforts(model) }));
