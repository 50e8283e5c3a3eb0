/**
 * The shape Converse demands of a conversation, in Bedrock's words: it has a message, starts with a user
 * message (but on the model families that take an assistant message first), roles alternate, and each
 * toolUse is answered by a toolResult in the very next (user) message. A Claude model also refuses a
 * toolUse left unanswered at the end (a final assistant message is its prefill, and a tool call is no
 * prefill it can continue).
 */

type Json = Record<string, unknown>;

export const MUST_START_WITH_USER = 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
export const MUST_ALTERNATE = 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';

function blocksOf(message: unknown): Json[] {
  const content = typeof message === 'object' && message !== null ? (message as Json).content : undefined;
  return (Array.isArray(content) ? content : []).filter((b): b is Json => typeof b === 'object' && b !== null);
}

function roleOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as Json).role : undefined;
}

/** The ids of the blocks of one kind (`toolUse` or `toolResult`) in a message. */
function idsOf(blocks: readonly Json[], kind: 'toolUse' | 'toolResult'): string[] {
  const ids: string[] = [];
  for (const b of blocks) {
    const block = b[kind];
    if (typeof block === 'object' && block !== null) ids.push(String((block as Json).toolUseId));
  }
  return ids;
}

/**
 * The model families whose Converse takes a conversation that opens with an assistant message: Claude
 * and Qwen; Nova, Llama, Mistral, Cohere, AI21 and Writer refuse it (live-checked in us-east-1,
 * pydantic-ai#6255, 2026-07; Nova again in deepgram-python-sdk#760, 2026-08).
 */
const TAKES_ASSISTANT_FIRST = /anthropic\.claude|qwen\./i;

/** What Converse refuses in the order and pairing of `messages` for `model`, or undefined. */
export function conversationProblem(messages: unknown, model: string): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return MUST_START_WITH_USER;
  if (roleOf(messages[0]) !== 'user' && !TAKES_ASSISTANT_FIRST.test(model)) return MUST_START_WITH_USER;
  const claude = /claude/i.test(model);
  let pending: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (i > 0 && roleOf(message) === roleOf(messages[i - 1])) return MUST_ALTERNATE;
    const blocks = blocksOf(message);
    const results = idsOf(blocks, 'toolResult');
    if (results.length > pending.length) return `The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`;
    const missing = pending.filter((id) => !results.includes(id));
    if (missing.length > 0) return `Expected toolResult blocks at messages.${i}.content for the following Ids: ${missing.join(', ')}`;
    pending = roleOf(message) === 'assistant' ? idsOf(blocks, 'toolUse') : [];
  }
  if (claude && pending.length > 0) {
    return `The model returned the following errors: messages.${messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pending.join(', ')}.`;
  }
  return undefined;
}
