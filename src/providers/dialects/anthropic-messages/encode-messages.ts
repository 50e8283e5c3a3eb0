import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, CacheControl, FilePart, ImagePart, Message, TextPart, ToolMessage, UserPart } from '../../../core/types.js';
import type {
  AnthropicCacheControl,
  AnthropicImageMediaType,
  AnthropicContentBlock,
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './wire.js';
import { parseToolArguments } from '../tool-arguments.js';
import { toolCallPlace } from '../tool-call-place.js';

/** Whose reasoning signatures Claude accepts back (the same on the Anthropic API, Vertex and Bedrock). */
export const ANTHROPIC_REASONING_PROVIDER = 'anthropic';

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request', unsent: true });
}

/** Input the Messages API refuses but another deployment of the group may take (blank text): a 400 here, a fallback there. */
function notHere(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request', fallbackable: true, unsent: true });
}

/** A canonical cache hint as the Messages API's `cache_control`, from its two fields only. */
export function cacheControl(cc: CacheControl): AnthropicCacheControl {
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}

/**
 * A text part as a text block, or nothing for an empty or blank text: the Messages API refuses both
 * ("text content blocks must be non-empty", "... must contain non-whitespace text").
 */
function textBlock(part: TextPart): AnthropicTextBlock | undefined {
  if (part.text.trim() === '') return undefined;
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  if (part.cacheControl) block.cache_control = cacheControl(part.cacheControl);
  return block;
}

/** Text parts to text blocks, empty and blank ones dropped. */
export function textBlocks(parts: readonly TextPart[]): AnthropicTextBlock[] {
  const out: AnthropicTextBlock[] = [];
  for (const part of parts) {
    const block = textBlock(part);
    if (block) out.push(block);
  }
  return out;
}

/**
 * The image types the Messages API takes, by the names clients use (`image/jpg` is common). A Map: the
 * key is the client's, and an object would answer `__proto__` or `constructor` from its prototype.
 */
const IMAGE_TYPES: ReadonlyMap<string, AnthropicImageMediaType> = new Map([
  ['image/jpeg', 'image/jpeg'],
  ['image/jpg', 'image/jpeg'],
  ['image/png', 'image/png'],
  ['image/gif', 'image/gif'],
  ['image/webp', 'image/webp'],
]);

function imageBlock(part: ImagePart, param: string): AnthropicImageBlock {
  const { source } = part;
  let block: AnthropicImageBlock;
  if (source.type === 'base64') {
    const mediaType = IMAGE_TYPES.get(source.mediaType.toLowerCase());
    // Another deployment of the group may take it: refused here, not for the request.
    if (!mediaType) throw new GatewayError({ kind: 'invalid_request', message: `'${param}' is an image of type ${source.mediaType}; Claude takes jpeg, png, gif and webp.`, param, code: 'invalid_request', fallbackable: true, unsent: true });
    block = { type: 'image', source: { type: 'base64', media_type: mediaType, data: source.data } };
  } else block = { type: 'image', source: { type: 'url', url: source.url } };
  if (part.cacheControl) block.cache_control = cacheControl(part.cacheControl);
  return block;
}

/** A file as a document block: a PDF (base64 or URL) or plain text, which the API takes as text rather than base64. */
function documentBlock(part: FilePart, param: string): AnthropicDocumentBlock {
  const { source } = part;
  let block: AnthropicDocumentBlock;
  if (source.type === 'url') block = { type: 'document', source: { type: 'url', url: source.url } };
  else if (source.mediaType === 'application/pdf') block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: source.data } };
  else if (source.mediaType.startsWith('text/')) {
    block = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(source.data, 'base64').toString('utf8') } };
  } else throw bad(param, `'${param}' has media type ${source.mediaType}; this provider takes PDF and plain-text documents.`);
  if (part.filename !== undefined && part.filename !== '') block.title = part.filename;
  if (part.cacheControl) block.cache_control = cacheControl(part.cacheControl);
  return block;
}

function userBlocks(parts: readonly UserPart[], param: string): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = [];
  parts.forEach((part, j) => {
    if (part.type === 'text') {
      const block = textBlock(part);
      if (block) out.push(block);
    } else if (part.type === 'image') out.push(imageBlock(part, `${param}[${j}]`));
    else out.push(documentBlock(part, `${param}[${j}]`));
  });
  return out;
}

/**
 * Assistant parts in order. Reasoning goes back only as Claude's own, signed thinking (or redacted
 * thinking): reasoning from another provider, or without its signature, would be refused, so it is dropped.
 */
function assistantBlocks(parts: readonly AssistantPart[], param: string): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = [];
  parts.forEach((part, j) => {
    switch (part.type) {
      case 'text': {
        const block = textBlock(part);
        if (block) out.push(block);
        break;
      }
      case 'reasoning':
        if (part.provider === ANTHROPIC_REASONING_PROVIDER && part.signature) out.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        break;
      case 'redacted-reasoning':
        if (part.provider === ANTHROPIC_REASONING_PROVIDER) out.push({ type: 'redacted_thinking', data: part.data });
        break;
      case 'tool-call': {
        const block: AnthropicToolUseBlock = { type: 'tool_use', id: part.id, name: part.name, input: parseToolArguments(part.arguments, `${param}[${j}].arguments`) };
        if (part.cacheControl) block.cache_control = cacheControl(part.cacheControl);
        out.push(block);
        break;
      }
    }
  });
  return out;
}

/** A tool message as a tool_result block: a lone plain text travels as a string, anything else as blocks. */
function toolResultBlock(m: ToolMessage, param: string): AnthropicToolResultBlock {
  const only = m.content[0];
  let content: AnthropicToolResultBlock['content'];
  if (m.content.length === 1 && only?.type === 'text' && !only.cacheControl) content = only.text;
  else {
    const blocks: Array<AnthropicTextBlock | AnthropicImageBlock> = [];
    m.content.forEach((part, j) => {
      const block = part.type === 'text' ? textBlock(part) : imageBlock(part, `${param}[${j}]`);
      if (block) blocks.push(block);
    });
    content = blocks;
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: m.toolCallId, content };
  if (m.isError) block.is_error = true;
  return block;
}

/** The ids of a turn's tool results. */
function resultIds(turn: AnthropicMessage | undefined): Set<string> {
  const ids = new Set<string>();
  if (turn?.role === 'user') for (const block of turn.content) if (block.type === 'tool_result') ids.add(block.tool_use_id);
  return ids;
}

/**
 * The id of the first tool call that no tool result of the next turn answers, or undefined. The
 * Messages API refuses it ("`tool_use` ids were found without `tool_result` blocks immediately
 * after"), at the end of the conversation too: a tool call is no prefill Claude can continue.
 */
function unansweredCall(turns: readonly AnthropicMessage[]): string | undefined {
  for (let k = 0; k < turns.length; k++) {
    const turn = turns[k];
    if (turn?.role !== 'assistant') continue;
    let answered: Set<string> | undefined;
    for (const block of turn.content) {
      if (block.type !== 'tool_use') continue;
      answered ??= resultIds(turns[k + 1]);
      if (!answered.has(block.id)) return block.id;
    }
  }
  return undefined;
}

export interface EncodedConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
}

/**
 * Canonical messages to Anthropic's system + alternating turns: system messages (wherever they are)
 * join `system`; tool results become `tool_result` blocks of a user turn; consecutive turns of the
 * same role are merged, since the Messages API wants user and assistant to alternate. Blank text is
 * left out. Refused before sending, as the API would refuse them after: a user message of blank text
 * only, a tool call without a result in the turn after it, a final assistant text (a prefill) ending with white space.
 */
export function encodeConversation(messages: readonly Message[]): EncodedConversation {
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessage[] = [];
  let lastAssistant = 0;
  const push = (role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role !== role) turns.push({ role, content: blocks });
    // A loop, not push(...blocks): spreading a huge turn's blocks as arguments overflows the stack.
    else for (const block of blocks) last.content.push(block);
  };
  messages.forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
        for (const block of textBlocks(m.content)) system.push(block);
        break;
      case 'user': {
        const blocks = userBlocks(m.content, param);
        // Dropped, the turn could leave the conversation ending on the assistant (a prefill the client never asked for).
        if (blocks.length === 0) throw notHere(param, `'${param}' has no content Claude takes: its text is empty or blank.`);
        push('user', blocks);
        break;
      }
      case 'assistant': {
        const blocks = assistantBlocks(m.content, param);
        if (blocks.length > 0) lastAssistant = i;
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [toolResultBlock(m, param)]);
        break;
    }
  });
  if (turns.length === 0) throw bad('messages', 'At least one user or assistant message with content is required by this provider.');
  // The Messages API wants a user turn's tool_result blocks before any other content.
  for (const turn of turns) {
    if (turn.role === 'user') turn.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
  }
  const unanswered = unansweredCall(turns);
  if (unanswered !== undefined) {
    const where = toolCallPlace(messages, unanswered);
    throw notHere(where, `'${where}' is a tool call that no tool message answers right after it; Claude needs every tool call answered before the conversation goes on or ends.`);
  }
  // A final assistant turn is a prefill, which the API refuses when it ends with white space.
  const final = turns[turns.length - 1];
  const end = final?.content[final.content.length - 1];
  if (final?.role === 'assistant' && end?.type === 'text' && /\s$/.test(end.text)) {
    const where = `messages[${lastAssistant}].content`;
    throw notHere(where, `'${where}' ends with white space; Claude continues a final assistant message only when it does not.`);
  }
  return { system, messages: turns };
}
