import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, CacheControl, FilePart, ImagePart, Message, ToolMessage, UserPart, Warning } from '../../../core/types.js';
import type { CachePoints } from './model-family.js';
import { parseToolArguments } from '../tool-arguments.js';
import { lateSystemWarning } from '../system-place.js';
import type { CachePointBlock, ContentBlock, ConverseMessage, DocumentBlock, DocumentFormat, ImageBlock, ImageFormat, SystemBlock, ToolResultContent } from './wire.js';
import { toolCallPlace } from '../tool-call-place.js';

/** Input Bedrock cannot take but another deployment of the group may (a URL image): a 400 here, a fallback there. */
function notHere(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request', fallbackable: true, unsent: true });
}

export const CACHE_POINT: CachePointBlock = Object.freeze({ cachePoint: Object.freeze({ type: 'default' as const }) });
export const CACHE_POINT_1H: CachePointBlock = Object.freeze({ cachePoint: Object.freeze({ type: 'default' as const, ttl: '1h' as const }) });

/** How a request's cache hints become cache points, and whether a one-hour hint had to become five minutes. */
export interface CacheContext {
  readonly points: CachePoints;
  shortened: boolean;
}

/** The cache point for a hint: one hour where asked and the model keeps one that long, else Bedrock's five minutes. */
export function cachePoint(hint: CacheControl, cache: CacheContext): CachePointBlock {
  if (hint.ttl !== '1h') return CACHE_POINT;
  if (cache.points.oneHour) return CACHE_POINT_1H;
  cache.shortened = true;
  return CACHE_POINT;
}

/** Whose reasoning Claude on Bedrock takes back (signed): Claude's own, valid on every Claude host. */
const CLAUDE_REASONING_PROVIDER = 'anthropic';

/* Maps, not objects: the key is the client's, and an object would answer `__proto__` or `constructor` from its prototype. */
const IMAGE_FORMATS: ReadonlyMap<string, ImageFormat> = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpeg'],
  ['image/jpg', 'jpeg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
]);

const DOCUMENT_FORMATS: ReadonlyMap<string, DocumentFormat> = new Map([
  ['application/pdf', 'pdf'],
  ['text/csv', 'csv'],
  ['application/msword', 'doc'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/vnd.ms-excel', 'xls'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
  ['text/html', 'html'],
  ['text/plain', 'txt'],
  ['text/markdown', 'md'],
]);

/** Converse takes bytes (or S3), never web URLs. */
function imageBlock(part: ImagePart, param: string): ImageBlock {
  const { source } = part;
  if (source.type !== 'base64') throw notHere(param, 'Bedrock accepts images only as inline base64 data, not URLs.');
  const format = IMAGE_FORMATS.get(source.mediaType.toLowerCase());
  if (!format) throw notHere(param, `Bedrock does not accept image type ${source.mediaType}; use png, jpeg, gif or webp.`);
  return { image: { format, source: { bytes: source.data } } };
}

/**
 * A document name as Bedrock allows it: letters, digits, single spaces, hyphens, parentheses and
 * square brackets, at most 200 characters; anything else becomes a hyphen.
 */
export function documentName(filename: string | undefined, ordinal: number): string {
  const name = (filename ?? '')
    .replace(/[^A-Za-z0-9\s()[\]-]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200)
    .trim();
  return name === '' ? `document-${ordinal}` : name;
}

function documentBlock(part: FilePart, param: string, ordinal: number): DocumentBlock {
  const { source } = part;
  if (source.type !== 'base64') throw notHere(param, 'Bedrock accepts documents only as inline base64 data, not URLs.');
  const format = DOCUMENT_FORMATS.get(source.mediaType.toLowerCase());
  if (!format) throw notHere(param, `Bedrock does not accept document type ${source.mediaType}; use pdf, csv, doc, docx, xls, xlsx, html, txt or md.`);
  return { document: { format, name: documentName(part.filename, ordinal), source: { bytes: source.data } } };
}

/** Counts documents across the request, so unnamed ones get distinct names. */
interface Counter {
  documents: number;
}

/** The cache point a part's hint asks for, when the model takes cache points in messages. */
function pointAfter(hint: CacheControl | undefined, cache: CacheContext): CachePointBlock | undefined {
  return hint !== undefined && cache.points.messages ? cachePoint(hint, cache) : undefined;
}

/** Converse refuses a text block that is empty or only white space ("The text field ... is blank"). */
function blank(text: string): boolean {
  return text.trim() === '';
}

/** User parts to blocks, with a cache point after each part that carries a cache hint (when the model takes them). */
function userBlocks(parts: readonly UserPart[], param: string, counter: Counter, cache: CacheContext): ContentBlock[] {
  const out: ContentBlock[] = [];
  parts.forEach((part, j) => {
    if (part.type === 'text') {
      if (!blank(part.text)) out.push({ text: part.text });
    } else if (part.type === 'image') out.push(imageBlock(part, `${param}[${j}]`));
    else out.push(documentBlock(part, `${param}[${j}]`, ++counter.documents));
    const point = pointAfter(part.cacheControl, cache);
    if (point) out.push(point);
  });
  return out;
}

/**
 * Assistant parts in order. Reasoning goes back only to Claude models, and only Claude's own (signed, or
 * redacted): a signature is the model family's, and Converse takes reasoning back from no other model
 * family we can vouch for (the 'bedrock' label does not say which model reasoned), so it is dropped there.
 * A text or tool call with a cache hint is followed by a cache point, as a user part is.
 */
function assistantBlocks(parts: readonly AssistantPart[], param: string, claude: boolean, cache: CacheContext): ContentBlock[] {
  const out: ContentBlock[] = [];
  parts.forEach((part, j) => {
    switch (part.type) {
      case 'text': {
        if (blank(part.text)) break;
        out.push({ text: part.text });
        const point = pointAfter(part.cacheControl, cache);
        if (point) out.push(point);
        break;
      }
      case 'reasoning':
        if (claude && part.signature && part.provider === CLAUDE_REASONING_PROVIDER) {
          out.push({ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } });
        }
        break;
      case 'redacted-reasoning':
        if (claude && part.provider === CLAUDE_REASONING_PROVIDER) out.push({ reasoningContent: { redactedContent: part.data } });
        break;
      case 'tool-call': {
        out.push({ toolUse: { toolUseId: part.id, name: part.name, input: parseToolArguments(part.arguments, `${param}[${j}].arguments`) } });
        const point = pointAfter(part.cacheControl, cache);
        if (point) out.push(point);
        break;
      }
    }
  });
  return out;
}

/** What an empty tool result says, so Converse takes it. */
const EMPTY_TOOL_RESULT: ToolResultContent = Object.freeze({ text: '(empty)' });

/** A tool message as a toolResult block (in a user turn), followed by a cache point when a part asks for one. */
function toolResultBlocks(m: ToolMessage, param: string, cache: CacheContext): ContentBlock[] {
  const content: ToolResultContent[] = [];
  m.content.forEach((part, j) => {
    // Blank text is refused, and so is a tool result without content.
    if (part.type === 'text') {
      if (!blank(part.text)) content.push({ text: part.text });
    } else content.push(imageBlock(part, `${param}[${j}]`));
  });
  if (content.length === 0) content.push(EMPTY_TOOL_RESULT);
  const result: ContentBlock = { toolResult: m.isError ? { toolUseId: m.toolCallId, content, status: 'error' } : { toolUseId: m.toolCallId, content } };
  const hinted = m.content.find((p) => p.cacheControl?.ttl === '1h') ?? m.content.find((p) => p.cacheControl);
  const point = pointAfter(hinted?.cacheControl, cache);
  return point ? [result, point] : [result];
}

/** Converse requires alternating roles: consecutive turns of one role (tool results, then a user text) merge. */
function pushTurn(turns: ConverseMessage[], role: ConverseMessage['role'], blocks: ContentBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last?.role !== role) turns.push({ role, content: blocks });
  // A loop, not push(...blocks): spreading a huge turn's blocks as arguments overflows the stack.
  else for (const block of blocks) last.content.push(block);
}

/** The ids of a turn's tool results. */
function resultIds(turn: ConverseMessage | undefined): Set<string> {
  const ids = new Set<string>();
  if (turn?.role === 'user') for (const block of turn.content) if ('toolResult' in block) ids.add(block.toolResult.toolUseId);
  return ids;
}

/**
 * The id of the first tool call no tool result of the next turn answers, or undefined. Converse
 * refuses it ("Expected toolResult blocks at messages.N.content for the following Ids"); at the end of
 * the conversation only a Claude model does (a final assistant turn is its prefill), so `atEnd` says
 * whether a call left open there counts.
 */
function unansweredCall(turns: readonly ConverseMessage[], atEnd: boolean): string | undefined {
  const last = atEnd ? turns.length : turns.length - 1;
  for (let k = 0; k < last; k++) {
    const turn = turns[k];
    if (turn?.role !== 'assistant') continue;
    let answered: Set<string> | undefined;
    for (const block of turn.content) {
      if (!('toolUse' in block)) continue;
      answered ??= resultIds(turns[k + 1]);
      if (!answered.has(block.toolUse.toolUseId)) return block.toolUse.toolUseId;
    }
  }
  return undefined;
}

export interface EncodedConversation {
  system: SystemBlock[];
  messages: ConverseMessage[];
  /** True when a turn holds toolUse or toolResult blocks (Converse then requires the tool definitions). */
  usesTools: boolean;
}

/** What a target model takes in a conversation. */
export interface ConverseRules {
  /** A Claude model (isClaudeModel): the only one that gets reasoning back, and whose final tool call is a refused prefill. */
  readonly claude: boolean;
  /** The model takes a conversation that opens with an assistant message (takesAssistantFirst). */
  readonly assistantFirst: boolean;
}

/**
 * The user turn put before a conversation that opens with the assistant's (a greeting, a seeded tool
 * call) for a model that refuses one. One token that asks nothing, so the history keeps its meaning
 * ("." is what pydantic-ai and LangChain4j send); not blank, which Converse refuses.
 */
const OPENING_TEXT = '.';

/**
 * Canonical messages to Converse system blocks and alternating turns, opening with a user turn where the
 * model needs one (reported in `warnings`), cache points where parts ask for them. `rules`: what the
 * target model takes; `cache`: where it takes cache points (cachePointsFor; none in messages: the hints
 * are left out) and whether a one-hour hint had to be shortened. Refuses, before sending, what Converse
 * would refuse after it: a user message with no content but blank text, a conversation with nothing to
 * send, a tool call without a result in the turn after it.
 */
export function encodeConversation(messages: readonly Message[], rules: ConverseRules, cache: CacheContext, warnings: Warning[]): EncodedConversation {
  const { claude } = rules;
  const system: SystemBlock[] = [];
  const turns: ConverseMessage[] = [];
  const counter: Counter = { documents: 0 };
  let usesTools = false;
  const moved = lateSystemWarning(messages, 'Bedrock Converse');
  if (moved) warnings.push(moved);
  messages.forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
        for (const part of m.content) {
          if (part.text !== '') system.push({ text: part.text });
          const point = part.text === '' ? undefined : pointAfter(part.cacheControl, cache);
          if (point) system.push(point);
        }
        break;
      case 'user': {
        const blocks = userBlocks(m.content, param, counter, cache);
        // Dropped, the turn could leave the conversation empty or ending on the assistant (a prefill the client never asked for).
        if (!blocks.some((b) => !('cachePoint' in b))) throw notHere(param, `'${param}' has no content Bedrock Converse takes: its text is empty or blank.`);
        pushTurn(turns, 'user', blocks);
        break;
      }
      case 'assistant': {
        const blocks = assistantBlocks(m.content, param, claude, cache);
        usesTools ||= blocks.some((b) => 'toolUse' in b);
        // A blank assistant turn carries nothing: left out, the turns around it merge.
        pushTurn(turns, 'assistant', blocks);
        break;
      }
      case 'tool':
        usesTools = true;
        pushTurn(turns, 'user', toolResultBlocks(m, param, cache));
        break;
    }
  });
  // Converse refuses no messages ("A conversation must start with a user message") on every model.
  if (turns.length === 0) throw notHere('messages', "'messages' holds no user or assistant content; Bedrock Converse needs some.");
  if (turns[0]?.role === 'assistant' && !rules.assistantFirst) {
    turns.unshift({ role: 'user', content: [{ text: OPENING_TEXT }] });
    // Sent, not asked for: the client is told, as of every setting the upstream could not take as given.
    warnings.push({ type: 'other', setting: 'messages', message: `This Bedrock model needs a conversation to open with a user turn: a user turn of "${OPENING_TEXT}" was sent before the first assistant message.` });
  }
  const unanswered = unansweredCall(turns, claude);
  if (unanswered !== undefined) {
    const where = toolCallPlace(messages, unanswered);
    throw notHere(where, `'${where}' is a tool call that no tool message answers right after it; Bedrock Converse needs every tool call answered before the conversation goes on${claude ? ' or ends' : ''}.`);
  }
  return { system, messages: turns, usesTools };
}
