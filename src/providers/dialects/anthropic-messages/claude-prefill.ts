import { GatewayError } from '../../../core/errors.js';
import type { Message } from '../../../core/types.js';

/**
 * Claude generations that refuse a conversation ending on an assistant message (a prefill) with a 400,
 * "This model does not support assistant message prefill. The conversation must end with a user
 * message.", the same on the Anthropic API, Vertex and Bedrock: Anthropic removed prefill from Claude
 * 4.6 on (its 4.6 migration notes), and it stayed out of the generations since. Keyed by family and
 * version as the model ids spell them; a model not listed is taken to accept a prefill, as every
 * Claude before 4.6 does.
 */
const REFUSES_PREFILL: ReadonlySet<string> = new Set(['opus-4-6', 'sonnet-4-6', 'opus-4-7', 'opus-4-8', 'sonnet-5']);

/**
 * The family and version in a Claude model id, whichever host spells it: `claude-opus-4-6`,
 * `claude-sonnet-4-6@20260217` (Vertex), `us.anthropic.claude-opus-4-6-v1` or an ARN naming it
 * (Bedrock). A date after the major version (`claude-opus-4-20250514`) is no minor version.
 */
const CLAUDE_VERSION = /claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?!\d)/;

/** Whether a Claude model id continues a final assistant message rather than refusing it. */
export function claudeTakesPrefill(model: string): boolean {
  const m = CLAUDE_VERSION.exec(model);
  if (!m) return true;
  const [, family, major, minor] = m;
  return !REFUSES_PREFILL.has(minor === undefined ? `${family}-${major}` : `${family}-${major}-${minor}`);
}

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
