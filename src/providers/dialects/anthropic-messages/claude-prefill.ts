import { GatewayError } from '../../../core/errors.js';
import type { Message } from '../../../core/types.js';

/** A Claude generation as its model id names it: `claude-sonnet-4-6` is 4.6, `claude-3-5-sonnet` 3.5, `claude-sonnet-5` 5.0. */
export interface ClaudeVersion {
  readonly major: number;
  readonly minor: number;
}

/**
 * The version in a Claude model id, whichever host spells it: after `claude-`, an optional family word
 * (`opus`, `sonnet`, `haiku`, `instant`, or one not named yet), then the major and minor version joined
 * by `-` or `.`. That covers the Anthropic API's ids (`claude-opus-4-6`, `claude-sonnet-4-6-20260101`),
 * Vertex's (`claude-opus-4-6@20260101`), Bedrock's base ids, inference profiles and the ARNs naming
 * them (`us.anthropic.claude-opus-4-6-v1:0`, `arn:...:inference-profile/global.anthropic.claude-sonnet-5-v1`),
 * the older order (`claude-3-5-sonnet-20241022`, `claude-3-opus`) and the oldest ids (`claude-2.1`,
 * `anthropic.claude-v2:1`, `claude-instant-1.2`). A version part never runs into a further digit, so
 * a date after the major version (`claude-opus-4-20250514`) is no minor version, and Bedrock's `-v1`
 * after one is its revision, not a version; a `v` is a version only in the oldest ids, so
 * `claude-<new family>-v1:0` does not read as Claude 1.
 */
const CLAUDE_VERSION = /claude-(?:[a-z]+-|v|instant-v)?(\d{1,2})(?:[-.](\d{1,2}))?(?!\d)/i;
const CLAUDE = /claude/i;

/** The version a Claude model id names; undefined when it names none this module can read. */
export function claudeVersion(model: string): ClaudeVersion | undefined {
  const m = CLAUDE_VERSION.exec(model);
  return m ? { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) } : undefined;
}

/**
 * Whether a model takes a final assistant message (a prefill), as a rule on its version rather than a
 * list, so that the next Claude is covered the day it ships. Anthropic removed prefill from Claude 4.6
 * on (its 4.6 migration notes: a 400, "This model does not support assistant message prefill. The
 * conversation must end with a user message.", the same on the Anthropic API, Vertex and Bedrock), and
 * it stayed out of every generation since; every Claude before 4.6 takes one. A model id that does not
 * name Claude is not this rule's (an Anthropic-compatible server's own model): it is taken to accept one.
 *
 * A Claude id whose version cannot be read (`claude-opus-latest`, a naming scheme still to come) is
 * taken to refuse, the safer mistake: every older id reads, so an unreadable one is most likely a new
 * model, and if it does take a prefill after all, a client's prefill is refused before sending (an
 * unsent 400 its group falls back from) and a resumed stream asks to continue by an instruction, which
 * works everywhere; the other mistake sends a prefill the model answers with a 400, failing the request
 * after a wasted call and failing every resume on it.
 */
function takesPrefill(model: string): boolean {
  if (!CLAUDE.test(model)) return true;
  const version = claudeVersion(model);
  if (version === undefined) return false;
  return version.major < 4 || (version.major === 4 && version.minor < 6);
}

/** A rule on model ids, its verdict worked out once per model (deployment models come from the config) rather than per request. */
export function byModel<T>(rule: (model: string) => T): (model: string) => T {
  const verdicts = new Map<string, T>();
  return (model) => {
    if (verdicts.has(model)) return verdicts.get(model) as T;
    const verdict = rule(model);
    verdicts.set(model, verdict);
    return verdict;
  };
}

/** Whether a Claude model id continues a final assistant message rather than refusing it. */
export const claudeTakesPrefill: (model: string) => boolean = byModel(takesPrefill);

/**
 * Refuses, before sending, a conversation whose encoded turns end on the assistant when the model
 * takes no prefill (`lastTurn`: the role of the last turn on the wire, after empty messages were left
 * out). As a fallbackable, unsent invalid_request a group tries its next deployment, one whose model
 * continues the message; when none can, the client gets the 400 the upstream would have given, naming
 * the final assistant message, without a wasted call or a charge.
 */
export function checkClaudePrefill(messages: readonly Message[], lastTurn: 'user' | 'assistant' | undefined, model: string): void {
  if (lastTurn !== 'assistant' || claudeTakesPrefill(model)) return;
  const at = messages.findLastIndex((m) => m.role === 'assistant');
  const param = at < 0 ? 'messages' : `messages[${at}]`;
  throw new GatewayError({
    kind: 'invalid_request',
    message: `'${param}' is a final assistant message (a prefill), which ${model} does not take: the conversation must end with a user message.`,
    param,
    code: 'invalid_request',
    fallbackable: true,
    unsent: true,
  });
}
