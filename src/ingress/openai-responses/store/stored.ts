import { GatewayError } from '../../../core/errors.js';
import type { AssistantPart, Message, TextPart, UserPart } from '../../../core/types.js';
import { mediaSource } from '../media.js';

/*
 * Conversations read back from a store. Ours are canonical messages; a database written by an older
 * Switchyard holds them in the OpenAI chat shape (string content, `tool_calls`, `tool_call_id`,
 * `image_url` parts), which is converted here. Anything else is refused with a 400, never a 500.
 */

type Row = Record<string, unknown>;

const PART_TYPES = new Set(['text', 'image', 'file', 'tool-call', 'reasoning', 'redacted-reasoning']);

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

function isCanonical(m: Row): boolean {
  if (!Array.isArray(m.content) || !m.content.every((p) => isRow(p) && typeof p.type === 'string' && PART_TYPES.has(p.type))) return false;
  if (m.role === 'tool') return typeof m.toolCallId === 'string';
  return (m.role === 'system' || m.role === 'user' || m.role === 'assistant') && !('tool_calls' in m);
}

/** A legacy message's text: a string, or text parts. */
function legacyText(content: unknown): TextPart[] | undefined {
  if (content === null || content === undefined || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return undefined;
  const parts: TextPart[] = [];
  for (const p of content) {
    if (!isRow(p) || p.type !== 'text' || typeof p.text !== 'string') return undefined;
    parts.push({ type: 'text', text: p.text });
  }
  return parts;
}

function legacyUserContent(content: unknown): UserPart[] | undefined {
  if (!Array.isArray(content)) return legacyText(content);
  const parts: UserPart[] = [];
  for (const p of content) {
    if (isRow(p) && p.type === 'text' && typeof p.text === 'string') parts.push({ type: 'text', text: p.text });
    else if (isRow(p) && p.type === 'image_url' && isRow(p.image_url) && typeof p.image_url.url === 'string') {
      const detail = p.image_url.detail;
      const image: UserPart = { type: 'image', source: mediaSource(p.image_url.url) };
      if (detail === 'auto' || detail === 'low' || detail === 'high') image.detail = detail;
      parts.push(image);
    } else return undefined;
  }
  return parts;
}

function legacyAssistant(m: Row): Message | undefined {
  const text = legacyText(m.content);
  if (!text) return undefined;
  const content: AssistantPart[] = text.filter((p) => p.text !== '');
  const calls = m.tool_calls ?? [];
  if (!Array.isArray(calls)) return undefined;
  for (const c of calls) {
    if (!isRow(c) || typeof c.id !== 'string' || !isRow(c.function) || typeof c.function.name !== 'string' || typeof c.function.arguments !== 'string') return undefined;
    content.push({ type: 'tool-call', id: c.id, name: c.function.name, arguments: c.function.arguments });
  }
  return { role: 'assistant', content: content.length > 0 ? content : [{ type: 'text', text: '' }] };
}

/** A message in the OpenAI chat shape as a canonical one; undefined when it is not one either. */
function fromLegacy(m: Row): Message | undefined {
  switch (m.role) {
    case 'system':
    case 'developer': {
      const content = legacyText(m.content);
      return content && { role: 'system', content };
    }
    case 'user': {
      const content = legacyUserContent(m.content);
      return content && { role: 'user', content };
    }
    case 'assistant':
      return legacyAssistant(m);
    case 'tool': {
      const content = legacyText(m.content);
      return content && typeof m.tool_call_id === 'string' ? { role: 'tool', toolCallId: m.tool_call_id, content } : undefined;
    }
    default:
      return undefined;
  }
}

/** The canonical messages of a stored conversation; a 400 naming `previous_response_id` when they cannot be read. */
export function storedMessages(stored: unknown, id: string): Message[] {
  const unreadable = (): GatewayError =>
    new GatewayError({
      kind: 'invalid_request',
      code: 'previous_response_unreadable',
      param: 'previous_response_id',
      message: `Previous response with id '${id.slice(0, 80)}' was stored in a form this gateway cannot read; start the conversation again without it.`,
    });
  if (!Array.isArray(stored)) throw unreadable();
  return stored.map((row: unknown) => {
    const message = isRow(row) ? (isCanonical(row) ? (row as unknown as Message) : fromLegacy(row)) : undefined;
    if (!message) throw unreadable();
    return message;
  });
}
