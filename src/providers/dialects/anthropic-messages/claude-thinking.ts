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
