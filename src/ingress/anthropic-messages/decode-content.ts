import type { AssistantPart, FilePart, ImagePart, Message, TextPart, ToolCallPart, ToolMessage, ToolResultContent, UserPart } from '../../core/types.js';
import { isObject } from '../../core/json.js';
import { isBase64, isFetchableUrl } from '../../core/media.js';
import { cacheControlOf, checkMembers, fail, readAll, str, type Member } from './check.js';

/*
 * Anthropic content blocks as canonical parts, checked with Anthropic's parameter names
 * (`messages.0.content.1.source.type`). Thinking a Claude upstream signed is marked as Anthropic's,
 * so dialects send it back only to Claude.
 */

/** Whose signature a thinking block sent back carries: Claude's, wherever it ran. */
export const ANTHROPIC_PROVIDER = 'anthropic';

type Block = Record<string, unknown>;

/*
 * Each block's members as the API's request types list them (the SDK's *BlockParam). Members without a
 * canonical home are checked and dropped: citations a text block carries back from an answer, an
 * image's `transformations`, a tool_use's `caller` (how Claude called it) and either's `toolset_name`.
 */
const TEXT = new Map<string, Member>([...readAll('type', 'text', 'cache_control'), ['citations', 'list?']]);
const BLOCKS: ReadonlyMap<unknown, ReadonlyMap<string, Member>> = new Map([
  ['text', TEXT],
  ['image', new Map<string, Member>([...readAll('type', 'source', 'cache_control'), ['transformations', 'dict?']])],
  ['document', readAll('type', 'source', 'cache_control', 'citations', 'context', 'title')],
  ['tool_result', new Map<string, Member>([...readAll('type', 'tool_use_id', 'cache_control', 'content', 'is_error'), ['toolset_name', 'str?']])],
  ['tool_use', new Map<string, Member>([...readAll('type', 'id', 'name', 'input', 'cache_control'), ['caller', 'dict'], ['toolset_name', 'str?']])],
  ['thinking', readAll('type', 'thinking', 'signature')],
  ['redacted_thinking', readAll('type', 'data')],
]);
/** A source's members by its type: base64 bytes (an image's, a PDF's), plain text, a URL. */
const SOURCES: ReadonlyMap<unknown, ReadonlyMap<string, Member>> = new Map([
  ['base64', readAll('type', 'media_type', 'data')],
  ['text', readAll('type', 'media_type', 'data')],
  ['url', readAll('type', 'url')],
]);

/**
 * A block's path with its type, as the API writes it (`messages.0.content.1.text`). A type that is no
 * string (`{"toString": 1}`, which `String()` throws on) is left out: its block is refused by type.
 */
const typedPath = (p: string, type: unknown): string => (typeof type === 'string' ? `${p}.${type}` : p);

/**
 * Refuses what the API refuses in a block of a known type: a member it does not take, or one of the
 * wrong type. `at` is the block's path as the API writes it, its type named (`messages.0.content.1.text`;
 * a system block's path has none). A block of an unknown type is refused by its decoder.
 */
function checkBlock(block: Block, at: string): void {
  const members = BLOCKS.get(block.type);
  if (members) checkMembers(block, members, at);
}

/** The source's members, by its type, at `<block>.source.<type>` as the API writes it. */
function checkSource(src: Block, at: string): void {
  const members = SOURCES.get(src.type);
  if (members) checkMembers(src, members, `${at}.source.${String(src.type)}`);
}

/** Puts the block's cache hint on a part only when it has one, so parts stay as small as the wire. */
function withCache<T extends { cacheControl?: TextPart['cacheControl'] }>(part: T, block: Block, param: string): T {
  const cc = cacheControlOf(block, param);
  if (cc) part.cacheControl = cc;
  return part;
}

export function textPart(block: Block, param: string): TextPart {
  return withCache<TextPart>({ type: 'text', text: str(block.text, `${param}.text`) }, block, param);
}

/** Inline bytes: base64 the upstream can decode (it would refuse anything else only after the request was sent). */
function base64Data(value: unknown, param: string): string {
  const data = str(value, param);
  return isBase64(data) ? data : fail(param, 'must be base64-encoded data');
}

/** A URL the upstream may fetch: http(s) only, never a file: or bucket URL. */
function fetchableUrl(value: unknown, param: string): string {
  const url = str(value, param);
  return isFetchableUrl(url) ? url : fail(param, 'must be an http(s) URL');
}

function imagePart(block: Block, param: string, at: string): ImagePart {
  const src = block.source;
  if (!isObject(src)) fail(`${param}.source`, 'is required');
  checkSource(src, at);
  if (src.type === 'base64') {
    const source = { type: 'base64' as const, mediaType: str(src.media_type, `${param}.source.media_type`), data: base64Data(src.data, `${param}.source.data`) };
    return withCache<ImagePart>({ type: 'image', source }, block, param);
  }
  if (src.type === 'url') return withCache<ImagePart>({ type: 'image', source: { type: 'url', url: fetchableUrl(src.url, `${param}.source.url`) } }, block, param);
  return fail(`${param}.source.type`, "must be 'base64' or 'url'");
}

/**
 * A document block as a file part: a base64 PDF as is, plain text as base64 `text/plain` bytes (the
 * canonical source has no text kind), a URL as a PDF URL (the only kind the API fetches). `title`
 * becomes the file name; `context` and citations have no canonical home and are refused.
 */
function documentPart(block: Block, param: string, at: string): FilePart {
  const src = block.source;
  if (!isObject(src)) fail(`${param}.source`, 'is required');
  checkSource(src, at);
  const p = `${param}.source`;
  let source: FilePart['source'];
  if (src.type === 'base64') {
    if (src.media_type !== 'application/pdf') fail(`${p}.media_type`, "must be 'application/pdf'");
    source = { type: 'base64', mediaType: 'application/pdf', data: base64Data(src.data, `${p}.data`) };
  } else if (src.type === 'text') {
    if (src.media_type !== undefined && src.media_type !== 'text/plain') fail(`${p}.media_type`, "must be 'text/plain'");
    source = { type: 'base64', mediaType: 'text/plain', data: Buffer.from(str(src.data, `${p}.data`), 'utf8').toString('base64') };
  } else if (src.type === 'url') {
    source = { type: 'url', url: fetchableUrl(src.url, `${p}.url`), mediaType: 'application/pdf' };
  } else {
    return fail(`${p}.type`, "must be 'base64', 'text' or 'url' (Switchyard does not support content or file sources)");
  }
  if (block.context !== undefined && block.context !== null) fail(`${param}.context`, 'is not supported by Switchyard');
  const citations = block.citations;
  if (citations !== undefined && citations !== null) {
    if (!isObject(citations)) fail(`${at}.citations`, 'Input should be a valid dictionary');
    checkMembers(citations, new Map([['enabled', 'bool']]), `${at}.citations`);
    if (citations.enabled === true) fail(`${param}.citations`, 'are not supported by Switchyard');
  }
  const part = withCache<FilePart>({ type: 'file', source }, block, param);
  if (block.title !== undefined && block.title !== null) part.filename = str(block.title, `${param}.title`);
  return part;
}

/** A tool_result's content; the block's own cache_control marks its last part (the end of the cached prefix). */
function toolResultContent(block: Block, param: string, at: string): ToolResultContent[] {
  const content = block.content;
  const p = `${param}.content`;
  let parts: ToolResultContent[];
  if (content === undefined || content === null || content === '') parts = [];
  else if (typeof content === 'string') parts = [{ type: 'text', text: content }];
  else if (Array.isArray(content)) {
    parts = content.map((b: unknown, i): ToolResultContent => {
      if (!isObject(b)) fail(`${p}.${i}`, 'must be an object');
      const where = typedPath(`${at}.content.${i}`, b.type);
      checkBlock(b, where);
      if (b.type === 'text') return textPart(b, `${p}.${i}`);
      if (b.type === 'image') return imagePart(b, `${p}.${i}`, where);
      return fail(`${p}.${i}.type`, "must be 'text' or 'image' (Switchyard carries only text and images in tool results)");
    });
  } else return fail(p, 'must be a string or an array of content blocks');
  const cc = cacheControlOf(block, param);
  const last = parts.at(-1);
  if (cc && last) last.cacheControl = cc;
  return parts;
}

/** A user turn: tool results become tool messages (first, as the API orders them), the rest one user message. */
export function userTurn(content: unknown, param: string, out: Message[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content: [{ type: 'text', text: content }] });
    return;
  }
  const blocks = content as unknown[];
  // Anthropic's own words: an empty turn would otherwise vanish, and the roles with it.
  if (blocks.length === 0) fail(param, 'all messages must have non-empty content except for the optional final assistant message');
  const parts: UserPart[] = [];
  blocks.forEach((block, i) => {
    const p = `${param}.${i}`;
    if (!isObject(block)) fail(p, 'must be an object');
    const at = typedPath(p, block.type);
    checkBlock(block, at);
    if (block.type === 'text') parts.push(textPart(block, p));
    else if (block.type === 'image') parts.push(imagePart(block, p, at));
    else if (block.type === 'document') parts.push(documentPart(block, p, at));
    else if (block.type === 'tool_result') {
      const toolCallId = str(block.tool_use_id, `${p}.tool_use_id`);
      const isError = block.is_error;
      if (isError !== undefined && isError !== null && typeof isError !== 'boolean') fail(`${p}.is_error`, 'must be a boolean');
      const tool: ToolMessage = { role: 'tool', toolCallId, content: toolResultContent(block, p, at) };
      if (isError === true) tool.isError = true;
      out.push(tool);
    } else fail(`${p}.type`, "must be 'text', 'image', 'document' or 'tool_result' in a user message");
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts });
}

/** One assistant block: text, tool_use as a tool call, thinking and redacted_thinking as (signed) reasoning. */
function assistantPart(block: Block, p: string): AssistantPart {
  switch (block.type) {
    case 'text':
      return textPart(block, p);
    case 'tool_use':
      if (!isObject(block.input)) fail(`${p}.input`, 'must be an object');
      return withCache<ToolCallPart>({ type: 'tool-call', id: str(block.id, `${p}.id`), name: str(block.name, `${p}.name`), arguments: JSON.stringify(block.input) }, block, p);
    case 'thinking': {
      const text = str(block.thinking, `${p}.thinking`);
      const signature = block.signature;
      if (signature === undefined || signature === null || signature === '') return { type: 'reasoning', text, provider: ANTHROPIC_PROVIDER };
      return { type: 'reasoning', text, signature: str(signature, `${p}.signature`), provider: ANTHROPIC_PROVIDER };
    }
    case 'redacted_thinking':
      return { type: 'redacted-reasoning', data: str(block.data, `${p}.data`), provider: ANTHROPIC_PROVIDER };
    default:
      return fail(`${p}.type`, "must be 'text', 'tool_use', 'thinking' or 'redacted_thinking' in an assistant message");
  }
}

/** An assistant turn's parts, in the order the model produced them. */
export function assistantParts(content: unknown, param: string): AssistantPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return (content as unknown[]).map((block, i) => {
    const p = `${param}.${i}`;
    if (!isObject(block)) fail(p, 'must be an object');
    checkBlock(block, typedPath(p, block.type));
    return assistantPart(block, p);
  });
}

/**
 * The system prompt (a string or text blocks, at `param`: the top-level `system`, or a system
 * message's `messages.N.content`) as a system message; nothing when it is empty.
 */
export function systemMessage(system: unknown, param = 'system'): Message | undefined {
  if (system === undefined || system === null || system === '') return undefined;
  if (typeof system === 'string') return { role: 'system', content: [{ type: 'text', text: system }] };
  if (!Array.isArray(system)) fail(param, 'must be a string or an array of text blocks');
  const parts = system.map((b: unknown, i) => {
    if (!isObject(b) || b.type !== 'text') fail(`${param}.${i}.type`, "must be 'text'");
    // A system block's path names no type: the list holds text blocks only.
    checkMembers(b, TEXT, `${param}.${i}`);
    return textPart(b, `${param}.${i}`);
  });
  return parts.length > 0 ? { role: 'system', content: parts } : undefined;
}
