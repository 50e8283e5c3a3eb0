/**
 * The request checks api.anthropic.com makes that an adapter can get wrong, so tests prove the
 * adapter rather than the simulator's leniency. Returns the error message of a 400, or undefined.
 */

import { signatureOf } from '../answer.js';
import { cacheProblem } from './cache-rules.js';

type Json = Record<string, unknown>;

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const DOCUMENT_TYPES = new Set(['application/pdf', 'text/plain']);
const SAMPLING = ['temperature', 'top_p', 'top_k'] as const;

/** Versions from this date on reject sampling parameters (see PROVIDER-NOTES). */
export const SAMPLING_REJECTED_FROM = '2026-10-21';

export interface ValidateOptions {
  /** Vertex rawPredict and Bedrock InvokeModel carry the model in the URL instead. */
  requireModel: boolean;
  /** The anthropic-version in force (header or body). */
  version: string;
  /** `/v1/messages/count_tokens`, which takes no max_tokens. */
  counting?: boolean;
}

/** The Claude models that refuse a final assistant message (Claude 4.6 and later), as the API names them. */
const NO_PREFILL = /claude-(opus-4-[678]|sonnet-4-6|sonnet-5)(?!\d)/;

/** The API's words for a prefill to a model that takes none, the same on Anthropic, Vertex and Bedrock. */
export const PREFILL_REFUSED = 'This model does not support assistant message prefill. The conversation must end with a user message.';

/** The 400 message for a (validated) body ending on the assistant when `model` takes no prefill, or undefined. */
export function prefillProblem(body: Json, model: string): string | undefined {
  const last = (body.messages as unknown[]).at(-1);
  return isObject(last) && last.role === 'assistant' && NO_PREFILL.test(model) ? PREFILL_REFUSED : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkBlock(block: unknown, where: string, role: string): string | undefined {
  if (!isObject(block)) return `${where}: Input should be a valid dictionary`;
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') return `${where}.text: Field required`;
      if (block.text === '') return `${where}: text content blocks must be non-empty`;
      if (block.text.trim() === '') return `${where}: text content blocks must contain non-whitespace text`;
      return undefined;
    case 'image': {
      if (role !== 'user') return `${where}: image blocks are only allowed in user messages`;
      const src = block.source;
      if (!isObject(src)) return `${where}.source: Field required`;
      if (src.type === 'base64') {
        if (typeof src.media_type !== 'string' || !IMAGE_TYPES.has(src.media_type)) return `${where}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        if (typeof src.data !== 'string' || src.data === '') return `${where}.source.data: Field required`;
        return undefined;
      }
      if (src.type === 'url') return typeof src.url === 'string' ? undefined : `${where}.source.url: Field required`;
      return `${where}.source.type: Input tag '${String(src.type)}' does not match any of the expected tags`;
    }
    case 'document':
      if (role !== 'user') return `${where}: document blocks are only allowed in user messages`;
      return checkDocument(block.source, `${where}.source`);
    case 'thinking':
      if (role !== 'assistant') return `${where}: thinking blocks are only allowed in assistant messages`;
      if (typeof block.thinking !== 'string') return `${where}.thinking: Field required`;
      // The API refuses thinking it did not sign, or that was changed after signing.
      if (typeof block.signature !== 'string' || block.signature !== signatureOf([block.thinking])) return `${where}: Invalid \`signature\` in \`thinking\` block`;
      return undefined;
    case 'redacted_thinking':
      if (role !== 'assistant') return `${where}: redacted_thinking blocks are only allowed in assistant messages`;
      return typeof block.data === 'string' && block.data !== '' ? undefined : `${where}.data: Field required`;
    case 'tool_use':
      if (role !== 'assistant') return `${where}: tool_use blocks are only allowed in assistant messages`;
      if (typeof block.id !== 'string' || typeof block.name !== 'string') return `${where}: tool_use blocks need an id and a name`;
      return isObject(block.input) ? undefined : `${where}.input: Input should be a valid dictionary`;
    case 'tool_result':
      if (role !== 'user') return `${where}: tool_result blocks are only allowed in user messages`;
      return typeof block.tool_use_id === 'string' ? undefined : `${where}.tool_use_id: Field required`;
    default:
      return `${where}.type: Input tag '${String(block.type)}' does not match any of the expected tags`;
  }
}

function checkDocument(src: unknown, where: string): string | undefined {
  if (!isObject(src)) return `${where}: Field required`;
  if (src.type === 'url') return typeof src.url === 'string' ? undefined : `${where}.url: Field required`;
  if (src.type !== 'base64' && src.type !== 'text') return `${where}.type: Input tag '${String(src.type)}' does not match any of the expected tags`;
  if (typeof src.media_type !== 'string' || !DOCUMENT_TYPES.has(src.media_type)) return `${where}.media_type: Input should be 'application/pdf' or 'text/plain'`;
  return typeof src.data === 'string' && src.data !== '' ? undefined : `${where}.data: Field required`;
}

/** Claude's effort levels (output_config.effort). */
const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];

/**
 * Thinking's rules, extended (`enabled`: a budget of at least 1,024 tokens below max_tokens) or
 * adaptive (no budget; its depth is output_config.effort's): no sampling changes, no forced tool use.
 */
function checkThinking(body: Json): string | undefined {
  const t = body.thinking;
  if (t === undefined) return undefined;
  if (!isObject(t) || (t.type !== 'enabled' && t.type !== 'disabled' && t.type !== 'adaptive')) return "thinking: Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'";
  if (t.type === 'disabled') return undefined;
  if (t.type === 'enabled') {
    const budget = t.budget_tokens;
    if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (typeof body.max_tokens === 'number' && budget >= body.max_tokens) return '`max_tokens` must be greater than `thinking.budget_tokens`';
  } else if (t.budget_tokens !== undefined) return 'thinking.adaptive.budget_tokens: Extra inputs are not permitted';
  if (body.temperature !== undefined && body.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled';
  if (body.top_k !== undefined) return '`top_k` is not compatible with thinking';
  const choice = body.tool_choice;
  if (isObject(choice) && (choice.type === 'any' || choice.type === 'tool')) return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

/** output_config: an effort among Claude's levels, a JSON schema format. */
function checkOutputConfig(config: unknown): string | undefined {
  if (config === undefined) return undefined;
  if (!isObject(config)) return 'output_config: Input should be a valid dictionary';
  for (const key of Object.keys(config)) if (key !== 'effort' && key !== 'format') return `output_config.${key}: Extra inputs are not permitted`;
  if (config.effort !== undefined && !EFFORTS.includes(String(config.effort))) return "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'";
  if (config.format !== undefined && (!isObject(config.format) || config.format.type !== 'json_schema')) return "output_config.format.type: Input should be 'json_schema'";
  if (isObject(config.format) && !isObject(config.format.schema)) return 'output_config.format.schema: Field required';
  return undefined;
}

/** The Claude models that take adaptive thinking only (Opus 4.7 on, the Claude 5 family, Mythos Preview), as the API names them. */
const ADAPTIVE_ONLY = /claude-(opus-4-[789]|(opus|sonnet|haiku|fable|mythos)-5|mythos-preview)(?!\d)/;
/** The Claude models that take adaptive thinking besides the budget form (Claude 4.6). */
const ADAPTIVE_TOO = /claude-(opus|sonnet)-4-6(?!\d)/;

/** The API's words for the budget form to a model that takes adaptive thinking only, the same on Anthropic, Vertex and Bedrock. */
export const BUDGET_REFUSED = '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.';

/**
 * The 400 message for a sampling setting `model` no longer takes (Claude Opus 4.7 on, the Claude 5
 * family, Mythos Preview: temperature, top_p and top_k removed, with or without thinking), in the API's
 * words; undefined otherwise. `given` holds the settings sent, by their Messages API names.
 */
export function removedSamplingProblem(given: Readonly<Record<string, unknown>>, model: string): string | undefined {
  if (!ADAPTIVE_ONLY.test(model)) return undefined;
  const sent = SAMPLING.find((k) => given[k] !== undefined);
  return sent === undefined ? undefined : `\`${sent}\` is deprecated for this model.`;
}

/** The Claude models that take `output_config.effort` xhigh (Opus 4.7 on, the Claude 5 family; not Mythos Preview). */
const TAKES_XHIGH = /claude-(opus-4-[789]|(opus|sonnet|haiku|fable|mythos)-5)(?!\d)/;

/**
 * The 400 message for an effort above `high` that a Claude `model` does not take (`xhigh` before Opus
 * 4.7 and on Mythos Preview, `max` before Claude 4.6), or undefined. The simulator's words: the API's
 * are not published.
 */
export function effortProblem(config: unknown, model: string): string | undefined {
  const effort = isObject(config) ? config.effort : undefined;
  if ((effort !== 'xhigh' && effort !== 'max') || !/claude/.test(model)) return undefined;
  const taken = effort === 'xhigh' ? TAKES_XHIGH.test(model) : ADAPTIVE_ONLY.test(model) || ADAPTIVE_TOO.test(model);
  return taken ? undefined : `output_config.effort: '${effort}' is not supported by this model.`;
}

/**
 * The 400 message for a thinking form `model` does not take, or undefined: the budget form to an
 * adaptive-only model (the API's words), adaptive thinking to a model from before Claude 4.6 (the
 * simulator's words).
 */
export function thinkingFormProblem(thinking: unknown, model: string): string | undefined {
  if (!isObject(thinking)) return undefined;
  if (thinking.type === 'enabled' && ADAPTIVE_ONLY.test(model)) return BUDGET_REFUSED;
  if (thinking.type === 'adaptive' && !ADAPTIVE_ONLY.test(model) && !ADAPTIVE_TOO.test(model)) return '"thinking.type.adaptive" is not supported for this model.';
  return undefined;
}

/** A message reduced to its role and block types (Messages API names), for the rules that look only at those. */
export interface TurnShape {
  role: string;
  types: readonly string[];
}

const THINKING_TYPES = new Set(['thinking', 'redacted_thinking']);

function onlyToolResults(turn: TurnShape | undefined): boolean {
  return turn !== undefined && turn.types.length > 0 && turn.types.every((t) => t === 'tool_result');
}

/**
 * With thinking on, an assistant turn in a tool loop must open with thinking: when the last user
 * message holds tool results, the assistant message after the last user message that is not only
 * tool results (where the turn began) must start with a thinking or redacted_thinking block. A new
 * user question starts a new turn, which may think whatever came before.
 */
export function thinkingTurnProblem(turns: readonly TurnShape[]): string | undefined {
  let last = turns.length - 1;
  while (last >= 0 && turns[last]?.role !== 'user') last -= 1;
  if (last < 0 || !turns[last]?.types.includes('tool_result')) return undefined;
  let opening = last - 1;
  while (opening >= 2 && onlyToolResults(turns[opening - 1])) opening -= 2;
  const turn = turns[opening];
  const first = turn?.types[0];
  if (turn?.role !== 'assistant' || (first !== undefined && THINKING_TYPES.has(first))) return undefined;
  return (
    `messages.${opening}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first ?? 'nothing'}\`. ` +
    'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
    'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
    'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking'
  );
}

/** The thinking-turn rule (either form of thinking) for a Messages body whose messages already passed checkMessages. */
function checkThinkingTurn(body: Json): string | undefined {
  if (!isObject(body.thinking) || (body.thinking.type !== 'enabled' && body.thinking.type !== 'adaptive')) return undefined;
  const turns = (body.messages as Json[]).map((m) => ({
    role: String(m.role),
    types: typeof m.content === 'string' ? ['text'] : (m.content as Json[]).map((b) => String(b.type)),
  }));
  return thinkingTurnProblem(turns);
}

function checkMessages(messages: unknown): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: at least one message is required';
  let pendingToolUses: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as unknown;
    if (!isObject(m)) return `messages.${i}: Input should be a valid dictionary`;
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return `messages.${i}.content: Input should be a valid list`;
    const isLast = i === messages.length - 1;
    if (blocks.length === 0 && !(isLast && m.role === 'assistant')) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    const lastBlock = blocks.at(-1) as unknown;
    if (isLast && m.role === 'assistant' && isObject(lastBlock) && typeof lastBlock.text === 'string' && /\s$/.test(lastBlock.text)) {
      return 'messages: final assistant content cannot end with trailing whitespace';
    }
    for (let j = 0; j < blocks.length; j++) {
      const problem = checkBlock(blocks[j], `messages.${i}.content.${j}`, m.role);
      if (problem) return problem;
    }
    const typed = blocks as Json[];
    const results = typed.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id));
    const stray = results.find((id) => !pendingToolUses.includes(id));
    if (stray !== undefined) return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    const missing = pendingToolUses.filter((id) => !results.includes(id));
    if (missing.length > 0) return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    pendingToolUses = m.role === 'assistant' ? typed.filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : [];
  }
  if (pendingToolUses.length > 0 && messages.length > 0) {
    // A conversation may end on the assistant's tool_use only as a prefill, which the API rejects.
    return `messages.${messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pendingToolUses.join(', ')}.`;
  }
  return undefined;
}

function checkSystem(system: unknown): string | undefined {
  if (system === undefined || typeof system === 'string') return undefined;
  if (!Array.isArray(system)) return 'system: Input should be a valid string or list';
  for (let i = 0; i < system.length; i++) {
    const b = system[i] as unknown;
    if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string' || b.text === '') return `system.${i}: system blocks must be non-empty text blocks`;
  }
  return undefined;
}

function checkTools(body: Json): string | undefined {
  const names = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (let i = 0; i < body.tools.length; i++) {
      const t = body.tools[i] as unknown;
      if (!isObject(t) || typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (!isObject(t.input_schema)) return `tools.${i}.input_schema: Field required`;
      // The API's words: a tool_use could not say which of two same-named tools it calls.
      if (names.has(t.name)) return 'tools: Tool names must be unique.';
      names.add(t.name);
    }
  }
  const choice = body.tool_choice;
  if (choice === undefined) return undefined;
  if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) return 'tool_choice: Input tag does not match any of the expected tags';
  if (choice.type === 'tool' && !names.has(String(choice.name))) return `tool_choice.name: tool '${String(choice.name)}' is not in tools`;
  return undefined;
}

function checkNumber(body: Json, key: string, min: number, max: number): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  return typeof v === 'number' && v >= min && v <= max ? undefined : `${key}: Input should be between ${min} and ${max}`;
}

export function validateMessagesBody(body: Json, opts: ValidateOptions): string | undefined {
  if (opts.requireModel && (typeof body.model !== 'string' || body.model === '')) return 'model: Field required';
  if (!opts.requireModel && body.model !== undefined) return 'model: Extra inputs are not permitted';
  const maxTokens = body.max_tokens;
  if (!opts.counting && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)) return 'max_tokens: Field required';
  if (opts.counting && maxTokens !== undefined) return 'max_tokens: Extra inputs are not permitted';
  // Only plain date versions follow the rule: 'vertex-2023-10-16' would compare above it as a string.
  if (/^\d{4}-\d{2}-\d{2}$/.test(opts.version) && opts.version >= SAMPLING_REJECTED_FROM) {
    const used = SAMPLING.find((k) => body[k] !== undefined);
    if (used) return `${used}: is not supported with anthropic-version ${opts.version}`;
  }
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string'))) {
    return 'stop_sequences: Input should be a valid list of strings';
  }
  return (
    checkNumber(body, 'temperature', 0, 1) ??
    checkNumber(body, 'top_p', 0, 1) ??
    checkThinking(body) ??
    checkOutputConfig(body.output_config) ??
    checkSystem(body.system) ??
    checkMessages(body.messages) ??
    checkThinkingTurn(body) ??
    checkTools(body) ??
    cacheProblem(body)
  );
}
