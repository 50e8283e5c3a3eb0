import { echoed, isObject } from '../../core/json.js';
import { isFetchableUrl } from '../../core/media.js';
import type { AssistantMessage, AssistantPart, ImagePart, Message, TextPart, ToolResultContent, UserPart } from '../../core/types.js';
import { dataUrlSource, mediaSource } from './media.js';
import { missingParameter, oneOf } from '../openai-chat/check.js';
import { bad, checkMembers } from './members.js';
import { reasoningPart } from './reasoning.js';

/*
 * A Responses `input` (a string, or a list of items) as canonical messages. Reasoning items, function
 * calls and the assistant message after reasoning are one assistant turn, in item order; function call
 * outputs become tool messages; developer messages are system messages.
 */


const DETAILS: ReadonlySet<unknown> = new Set<ImagePart['detail']>(['auto', 'low', 'high', 'original']);

function text(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad(param, `'${param}' must be a string.`);
  return v;
}

function imagePart(part: Record<string, unknown>, p: string): UserPart {
  if (typeof part.image_url !== 'string') throw bad(`${p}.image_url`, `'${p}.image_url' must be a URL or data URL string (file_id images are not supported).`);
  const detail = part.detail ?? 'auto';
  if (!DETAILS.has(detail)) throw bad(`${p}.detail`, `'${p}.detail' must be 'auto', 'low', 'high' or 'original'.`);
  const source = mediaSource(part.image_url);
  // A data URL that is not base64, or a file: or bucket URL, is nothing an upstream may be asked to fetch.
  if (source.type === 'url' && !isFetchableUrl(source.url)) throw bad(`${p}.image_url`, `'${p}.image_url' must be a base64 data URL (data:<media type>;base64,...) or an http(s) URL.`);
  return { type: 'image', source, detail: detail as ImagePart['detail'] };
}

/** An input_file: inline as a base64 `data:` URL, or a URL; uploaded files (`file_id`) are not ours to read. */
function filePart(part: Record<string, unknown>, p: string): UserPart {
  let file: UserPart;
  if (typeof part.file_data === 'string') {
    const source = dataUrlSource(part.file_data);
    if (!source) throw bad(`${p}.file_data`, `'${p}.file_data' must be a base64 data URL (data:<media type>;base64,...).`);
    file = { type: 'file', source };
  } else if (typeof part.file_url === 'string') {
    if (!isFetchableUrl(part.file_url)) throw bad(`${p}.file_url`, `'${p}.file_url' must be an http(s) URL.`);
    file = { type: 'file', source: { type: 'url', url: part.file_url } };
  } else throw bad(`${p}.file_data`, `'${p}' needs 'file_data' or 'file_url' (file_id files are not supported).`);
  if (typeof part.filename === 'string') file.filename = part.filename;
  return file;
}

const PART_TYPES: ReadonlySet<unknown> = new Set(['input_text', 'output_text', 'refusal', 'input_image', 'input_file']);

/** One content part of a message; images and files only where the role may send them. */
function inputPart(part: unknown, p: string, role: string): UserPart {
  if (!isObject(part)) throw bad(p, `'${p}' must be an object.`);
  if (PART_TYPES.has(part.type)) checkMembers(part, p, `part:${String(part.type)}`);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: text(part.text, `${p}.text`) };
    case 'refusal':
      return { type: 'text', text: text(part.refusal, `${p}.refusal`) };
    case 'input_image':
      if (role !== 'user' && role !== 'tool') throw bad(`${p}.type`, `'${p}.type' input_image is only allowed in user messages.`);
      return imagePart(part, p);
    case 'input_file':
      if (role !== 'user') throw bad(`${p}.type`, `'${p}.type' input_file is only allowed in user messages.`);
      return filePart(part, p);
    default:
      throw bad(`${p}.type`, `'${p}.type' must be 'input_text', 'input_image', 'input_file' or 'output_text' (${echoed(part.type)} is not supported).`);
  }
}

function content(v: unknown, param: string, role: string): UserPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw bad(param, `'${param}' must be a string or an array of content parts.`);
  // OpenAI's own words; every other upstream refuses an empty user turn too, after the gateway chose it.
  if (v.length === 0 && role === 'user') throw bad(param, `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`);
  return v.map((part, i) => inputPart(part, `${param}[${i}]`, role));
}

/** Parts other roles than user send are text only (inputPart refuses the rest for them). */
const textOnly = (parts: UserPart[]): TextPart[] => parts as TextPart[];

const isReasoning = (p: AssistantPart | undefined): boolean => p?.type === 'reasoning' || p?.type === 'redacted-reasoning';

/** A reasoning item's summary parts as one text, paragraphs apart. */
export function summaryText(summary: unknown, p: string): string {
  if (summary === undefined || summary === null) return '';
  if (!Array.isArray(summary)) throw bad(`${p}.summary`, `'${p}.summary' must be an array of summary_text parts.`);
  return summary
    .map((s: unknown, i) => {
      const at = `${p}.summary[${i}]`;
      if (!isObject(s)) return text(s, at);
      checkMembers(s, at, 'summary_text');
      return text(s.text, `${at}.text`);
    })
    .join('\n\n');
}

/** Appends one by one: `push(...parts)` overflows the stack on a long enough list. */
function appendAll<T>(to: T[], parts: readonly T[]): void {
  for (const part of parts) to.push(part);
}

/**
 * Puts a signature written after the message it signs back before that message's text, where the
 * canonical model keeps a signature of the text after it (the Gemini encoder moves it onto that text).
 * Returns where it went.
 */
function insertBeforeTrailingText(content: AssistantPart[], part: AssistantPart): number {
  let at = content.length;
  while (at > 0 && content[at - 1]?.type === 'text') at -= 1;
  content.splice(at, 0, part);
  return at;
}

/** Where one canonical part came from: its path, and for a medium the field holding it (what the client would change). */
export interface PartOrigin {
  path: string;
  leaf?: string;
}

/** Where one canonical message came from. */
export interface MessageOrigin {
  /** The message as a whole: an input item, or `instructions`, `input`, `previous_response_id`. */
  whole: string;
  /** Its content: a message item's `content`, a function call output's `output`, else `whole`. */
  content: string;
  /** Each canonical part's place, by index; none outside `input`'s items (`instructions`, a string `input`, stored messages). */
  parts?: PartOrigin[];
}

/** The places of a message item's `content` or a function call output's `output`, part by part. */
function partOrigins(content: unknown, path: string): PartOrigin[] {
  if (!Array.isArray(content)) return [{ path }];
  return content.map((part: unknown, n): PartOrigin => {
    const at = `${path}[${n}]`;
    if (!isObject(part)) return { path: at };
    if (part.type === 'input_image') return { path: at, leaf: 'image_url' };
    if (part.type === 'input_file') return { path: at, leaf: typeof part.file_data === 'string' ? 'file_data' : 'file_url' };
    return { path: at };
  });
}

/** A message item's roles, as the SDK's `EasyInputMessage` lists them. */
const MESSAGE_ROLES = ['user', 'assistant', 'system', 'developer'] as const;

/**
 * Builds messages item by item; an open assistant turn collects what belongs to it until another item
 * ends it. Traced, it also records where each message and part came from, index for index, so an error
 * naming a canonical place can name the client's (param-path.ts): one grouping, never a copy of it.
 */
class Conversation {
  readonly messages: Message[] = [];
  readonly origins: MessageOrigin[] | undefined;
  private open: AssistantMessage | undefined;
  /** The open turn's part origins, when traced. */
  private openParts: PartOrigin[] | undefined;

  constructor(traced: boolean) {
    this.origins = traced ? [] : undefined;
  }

  message(item: Record<string, unknown>, p: string): void {
    const role = oneOf(item.role, `${p}.role`, MESSAGE_ROLES) as (typeof MESSAGE_ROLES)[number] | undefined;
    if (role === undefined) throw missingParameter(`${p}.role`);
    const parts = content(item.content, `${p}.content`, role);
    const origin = this.origins && { whole: p, content: `${p}.content`, parts: partOrigins(item.content, `${p}.content`) };
    if (role === 'user') this.push({ role, content: parts }, origin);
    else if (role !== 'assistant') this.push({ role: 'system', content: textOnly(parts) }, origin);
    // The message after reasoning is that reasoning's answer: one turn.
    else if (this.open && isReasoning(this.open.content.at(-1))) {
      appendAll(this.open.content, textOnly(parts));
      if (this.openParts && origin) appendAll(this.openParts, origin.parts);
    } else this.openTurn(textOnly(parts), origin);
  }

  functionCall(item: Record<string, unknown>, p: string): void {
    const call: AssistantPart = { type: 'tool-call', id: text(item.call_id, `${p}.call_id`), name: text(item.name, `${p}.name`), arguments: text(item.arguments, `${p}.arguments`) };
    if (this.open) {
      this.open.content.push(call);
      this.openParts?.push({ path: p });
    } else this.openTurn([call], this.origins && { whole: p, content: p, parts: [{ path: p }] });
  }

  reasoning(item: Record<string, unknown>, p: string): void {
    const encrypted = item.encrypted_content;
    if (encrypted !== undefined && encrypted !== null && typeof encrypted !== 'string') throw bad(`${p}.encrypted_content`, `'${p}.encrypted_content' must be a string.`);
    const handed = reasoningPart(summaryText(item.summary, p), encrypted ?? undefined);
    if (!handed) return;
    const { part, ofMessageBefore } = handed;
    if (!this.open) this.openTurn([part], this.origins && { whole: p, content: p, parts: [{ path: p }] });
    else if (ofMessageBefore) {
      const at = insertBeforeTrailingText(this.open.content, part);
      this.openParts?.splice(at, 0, { path: p });
    } else {
      this.open.content.push(part);
      this.openParts?.push({ path: p });
    }
  }

  functionOutput(item: Record<string, unknown>, p: string): void {
    const out = item.output;
    let body: ToolResultContent[];
    if (typeof out === 'string') body = [{ type: 'text', text: out }];
    else if (Array.isArray(out)) {
      // inputPart refuses files for the tool role, so what it gives back is text or an image.
      body = out.map((part, i) => inputPart(part, `${p}.output[${i}]`, 'tool') as ToolResultContent);
    } else throw bad(`${p}.output`, `'${p}.output' must be a string or an array of input_text and input_image parts.`);
    const origin = this.origins && { whole: p, content: `${p}.output`, parts: partOrigins(out, `${p}.output`) };
    this.push({ role: 'tool', toolCallId: text(item.call_id, `${p}.call_id`), content: body }, origin);
  }

  private openTurn(parts: AssistantPart[], origin: MessageOrigin | undefined): void {
    const turn: AssistantMessage = { role: 'assistant', content: parts };
    this.messages.push(turn);
    this.open = turn;
    if (origin) this.origins?.push(origin);
    this.openParts = origin?.parts;
  }

  private push(m: Message, origin: MessageOrigin | undefined): void {
    this.open = undefined;
    this.openParts = undefined;
    this.messages.push(m);
    if (origin) this.origins?.push(origin);
  }
}

const ITEM_TYPES: ReadonlySet<unknown> = new Set(['message', 'function_call', 'function_call_output', 'reasoning']);

/** Decodes the items of an `input` list into `conversation`. */
function decodeItems(input: readonly unknown[], conversation: Conversation): void {
  input.forEach((item: unknown, i) => {
    const p = `input[${i}]`;
    if (!isObject(item)) throw bad(p, `'${p}' must be an object.`);
    const type = item.type ?? 'message';
    if (ITEM_TYPES.has(type)) checkMembers(item, p, `item:${String(type)}`);
    if (type === 'message') conversation.message(item, p);
    else if (type === 'function_call') conversation.functionCall(item, p);
    else if (type === 'function_call_output') conversation.functionOutput(item, p);
    else if (type === 'reasoning') conversation.reasoning(item, p);
    else throw bad(`${p}.type`, `Input items of type '${echoed(type)}' are not supported by this gateway.`, 'unsupported_item');
  });
}

/**
 * Where each canonical message of an `input` list that `decodeInput` took came from, index for index:
 * decoded again with the origins traced, only when an error needs them (nothing traced per request).
 */
export function inputOrigins(input: readonly unknown[]): MessageOrigin[] {
  const conversation = new Conversation(true);
  decodeItems(input, conversation);
  return conversation.origins ?? [];
}

/** The messages of a Responses `input`. */
export function decodeInput(input: unknown): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: [{ type: 'text', text: input }] }];
  if (!Array.isArray(input)) throw bad('input', "'input' must be a string or an array of input items.");
  const conversation = new Conversation(false);
  decodeItems(input, conversation);
  return conversation.messages;
}
