import type {
  AssistantMessage,
  AssistantPart,
  CacheControl,
  FilePart,
  ImagePart,
  MediaSource,
  Message,
  SystemMessage,
  TextPart,
  ToolCallPart,
  UserMessage,
  UserPart,
} from '../../core/types.js';
import { isObject } from '../../core/json.js';
import { isFetchableUrl, parseDataUrl } from '../../core/media.js';
import { bad, emptyArray, missingParameter, oneOf, optional, optionalString } from './check.js';

/*
 * OpenAI chat messages to canonical ones, checked as they are read. `developer` is a system message;
 * string content is one text part; `data:` image URLs become inline bytes; `name` is kept on system,
 * user and assistant messages (OpenAI and Azure read it; other upstreams ignore it). `developer` becoming
 * `system` is intended: every upstream has a system prompt, few a developer role, and OpenAI treats
 * a system message to its reasoning models as a developer one.
 */

/** The roles the door takes, in the order OpenAI lists its own (its deprecated `function` role is not carried). */
const ROLES: readonly string[] = ['system', 'assistant', 'user', 'tool', 'developer'];
const DETAILS = new Set(['auto', 'low', 'high']);

/** One message of `messages`, at index `i`. */
export function decodeMessage(m: unknown, i: number): Message {
  const param = `messages[${i}]`;
  if (!isObject(m)) throw bad(param, `'${param}' must be an object.`);
  const role = oneOf(m.role, `${param}.role`, ROLES);
  if (role === undefined) throw missingParameter(`${param}.role`);
  const name = optionalString(m, 'name', `${param}.name`);
  switch (role) {
    case 'assistant':
      return named(assistantMessage(m, param), name);
    case 'user':
      return named<UserMessage>({ role: 'user', content: userContent(m.content, `${param}.content`) }, name);
    case 'tool': {
      const content = textContent(m.content, `${param}.content`);
      if (typeof m.tool_call_id !== 'string') throw bad(`${param}.tool_call_id`, `'${param}.tool_call_id' is required for tool messages.`);
      return { role: 'tool', toolCallId: m.tool_call_id, content };
    }
    default:
      return named<SystemMessage>({ role: 'system', content: textContent(m.content, `${param}.content`) }, name);
  }
}

function named<T extends SystemMessage | UserMessage | AssistantMessage>(message: T, name: string | undefined): T {
  if (name !== undefined) message.name = name;
  return message;
}

/** `data:<media type>;base64,<data>` as inline bytes, or undefined for any other text. */
function base64DataUrl(url: string): MediaSource | undefined {
  const inline = parseDataUrl(url);
  return inline && { type: 'base64', mediaType: inline.mediaType, data: inline.data };
}

/** An image URL as a source: inline bytes for a base64 data URL, else an http(s) URL for the upstream to fetch. */
function imageSource(url: string, param: string): MediaSource {
  const inline = base64DataUrl(url);
  if (inline) return inline;
  if (!isFetchableUrl(url)) throw bad(param, `'${param}' must be a base64 data URL (data:<media type>;base64,<data>) or an http(s) URL.`);
  return { type: 'url', url };
}

/** A message's content parts; OpenAI's schema asks for at least one, whatever the role. */
function partsOf(content: unknown, param: string): unknown[] {
  if (!Array.isArray(content)) throw bad(param, `'${param}' must be a string or an array of content parts.`);
  if (content.length === 0) throw emptyArray(param);
  return content;
}

function partAt(parts: unknown[], i: number, param: string): { part: Record<string, unknown>; p: string } {
  const part = parts[i];
  const p = `${param}[${i}]`;
  if (!isObject(part)) throw bad(p, `'${p}' must be an object.`);
  return { part, p };
}

/**
 * A message's content: a string is one text part; a list is read part by part with `decode`, which
 * returns undefined for a type it does not take (then `'<param>.type' must be <types>`).
 */
function contentOf<P extends TextPart | UserPart>(content: unknown, param: string, types: string, decode: (part: Record<string, unknown>, p: string) => P | undefined): P[] {
  if (typeof content === 'string') return [{ type: 'text', text: content } as P];
  const parts = partsOf(content, param);
  const out: P[] = [];
  for (let i = 0; i < parts.length; i++) {
    const { part, p } = partAt(parts, i, param);
    const decoded = decode(part, p);
    if (decoded === undefined) throw bad(`${p}.type`, `'${p}.type' must be ${types}.`);
    out.push(decoded);
  }
  return out;
}

/** Content that may only be text (system, developer and tool messages). */
function textContent(content: unknown, param: string): TextPart[] {
  return contentOf(content, param, "'text'", textOnly);
}

// The part decoders, made once rather than a closure per message.
const textOnly = (part: Record<string, unknown>, p: string): TextPart | undefined => (part.type === 'text' ? textPart(part, p) : undefined);
const assistantPart = (part: Record<string, unknown>, p: string): TextPart | undefined => {
  if (part.type === 'text') return textPart(part, p);
  if (part.type !== 'refusal') return undefined;
  if (typeof part.refusal !== 'string') throw bad(`${p}.refusal`, `'${p}.refusal' must be a string.`);
  return { type: 'text', text: part.refusal };
};
const userPart = (part: Record<string, unknown>, p: string): UserPart | undefined =>
  part.type === 'text' ? textPart(part, p) : part.type === 'image_url' ? imagePart(part, p) : part.type === 'file' ? filePart(part, p) : undefined;

/**
 * An assistant turn's content: text, or parts of text and `refusal` (OpenAI's
 * `ChatCompletionContentPartRefusal`, how a client replays a refused turn); a refusal is the words the
 * client saw, text to the model as the turn-level `refusal` is.
 */
function assistantContent(content: unknown, param: string): TextPart[] {
  return contentOf(content, param, "'text' or 'refusal'", assistantPart);
}

function userContent(content: unknown, param: string): UserPart[] {
  return contentOf(content, param, "'text', 'image_url' or 'file'", userPart);
}

function textPart(part: Record<string, unknown>, p: string): TextPart {
  if (typeof part.text !== 'string') throw bad(`${p}.text`, `'${p}.text' must be a string.`);
  const mark = optional(part, 'cache_control');
  return mark === undefined ? { type: 'text', text: part.text } : { type: 'text', text: part.text, cacheControl: cacheControl(mark, `${p}.cache_control`) };
}

/** Anthropic's prompt-cache mark, which clients of this door send on text parts too. */
function cacheControl(mark: unknown, param: string): CacheControl {
  if (!isObject(mark) || mark.type !== 'ephemeral') throw bad(`${param}.type`, `'${param}.type' must be 'ephemeral'.`);
  const ttl = optional(mark, 'ttl');
  if (ttl === undefined) return { type: 'ephemeral' };
  if (ttl !== '5m' && ttl !== '1h') throw bad(`${param}.ttl`, `'${param}.ttl' must be '5m' or '1h'.`);
  return { type: 'ephemeral', ttl };
}

function imagePart(part: Record<string, unknown>, p: string): ImagePart {
  const image = part.image_url;
  if (!isObject(image) || typeof image.url !== 'string') throw bad(`${p}.image_url.url`, `'${p}.image_url.url' must be a string.`);
  const detail = optional(image, 'detail');
  if (detail !== undefined && !DETAILS.has(detail as string)) throw bad(`${p}.image_url.detail`, `'${p}.image_url.detail' must be 'auto', 'low' or 'high'.`);
  const out: ImagePart = { type: 'image', source: imageSource(image.url, `${p}.image_url.url`) };
  if (detail !== undefined) out.detail = detail as ImagePart['detail'];
  return out;
}

/** An inline file (`file_data`); a `file_id` would need OpenAI's file store, which no other upstream has. */
function filePart(part: Record<string, unknown>, p: string): FilePart {
  const file = part.file;
  if (!isObject(file)) throw bad(`${p}.file`, `'${p}.file' must be an object.`);
  if (optional(file, 'file_id') !== undefined) {
    throw bad(`${p}.file.file_id`, `'${p}.file.file_id' is not supported: Switchyard has no file store. Send the file inline as 'file_data'.`);
  }
  const data = file.file_data;
  const source = typeof data === 'string' ? base64DataUrl(data) : undefined;
  if (!source) throw bad(`${p}.file.file_data`, `'${p}.file.file_data' must be a base64 data URL (data:<media type>;base64,<data>).`);
  const filename = optionalString(file, 'filename', `${p}.file.filename`);
  return filename === undefined ? { type: 'file', source } : { type: 'file', source, filename };
}

function toolCalls(calls: unknown, param: string): ToolCallPart[] {
  if (!Array.isArray(calls)) throw bad(param, `'${param}' must be an array.`);
  // What some SDKs hand back for a turn without calls; OpenAI refuses it in the history.
  if (calls.length === 0) throw emptyArray(param);
  const out: ToolCallPart[] = [];
  for (let j = 0; j < calls.length; j++) out.push(toolCall(calls[j], `${param}[${j}]`));
  return out;
}

/** One call of an assistant turn's `tool_calls`; a refusal names the field at fault, as OpenAI does. */
function toolCall(tc: unknown, p: string): ToolCallPart {
  if (!isObject(tc)) throw bad(p, `'${p}' must be an object.`);
  if (tc.type !== undefined && tc.type !== 'function') throw bad(`${p}.type`, `'${p}.type' must be 'function'.`);
  if (typeof tc.id !== 'string') throw bad(`${p}.id`, `'${p}.id' is required and must be a string.`);
  const fn = tc.function;
  if (!isObject(fn)) throw bad(`${p}.function`, `'${p}.function' is required and must be an object.`);
  if (typeof fn.name !== 'string') throw bad(`${p}.function.name`, `'${p}.function.name' is required and must be a string.`);
  if (typeof fn.arguments !== 'string') throw bad(`${p}.function.arguments`, `'${p}.function.arguments' is required and must be a string.`);
  return { type: 'tool-call', id: tc.id, name: fn.name, arguments: fn.arguments };
}

/**
 * An assistant turn as parts in the order the model produced them: `reasoning_content`, the text, a
 * `refusal` (the words the client saw), then the tool calls.
 */
function assistantMessage(m: Record<string, unknown>, param: string): AssistantMessage {
  const rawCalls = optional(m, 'tool_calls');
  const calls = rawCalls === undefined ? undefined : toolCalls(rawCalls, `${param}.tool_calls`);
  const content = optional(m, 'content');
  // A refused turn, as OpenAI answers it, has null content and the refusal.
  const refusal = optionalString(m, 'refusal', `${param}.refusal`);
  if (content === undefined && !calls && refusal === undefined) throw bad(`${param}.content`, `'${param}.content' is required unless 'tool_calls' is given.`);
  const text = content === undefined ? undefined : assistantContent(content, `${param}.content`);
  const reasoning = optionalString(m, 'reasoning_content', `${param}.reasoning_content`);
  const parts: AssistantPart[] = [];
  if (reasoning) parts.push({ type: 'reasoning', text: reasoning });
  if (text) for (const t of text) if (t.text !== '' || t.cacheControl) parts.push(t);
  if (refusal) parts.push({ type: 'text', text: refusal });
  if (calls) for (const c of calls) parts.push(c);
  // An empty turn stays a turn: the conversation's order of roles is the client's.
  if (parts.length === 0) parts.push({ type: 'text', text: '' });
  return { role: 'assistant', content: parts };
}
