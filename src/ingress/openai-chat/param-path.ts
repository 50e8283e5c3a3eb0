import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';

/** A canonical message's part a dialect's refusal names, and what follows: `messages[1].content[2].arguments`. */
const CANONICAL_PART = /^messages\[(\d+)\]\.content\[(\d+)\](\.[A-Za-z_]+)?/;

/**
 * An error a dialect raised naming a part of the canonical request (`messages[1].content[2].arguments`),
 * renamed to the field of the client's body it came from (`messages[1].tool_calls[0].function.arguments`):
 * messages are the client's, one for one, but an assistant turn's parts are its reasoning, text, refusal
 * and tool calls in one list. Anything else is returned as it is.
 */
export function inDoorTerms(err: unknown, body: unknown): unknown {
  if (!GatewayError.isInstance(err) || err.param === undefined || !isObject(body) || !Array.isArray(body.messages)) return err;
  const match = CANONICAL_PART.exec(err.param);
  if (!match) return err;
  const index = Number(match[1]);
  const message: unknown = body.messages[index];
  if (!isObject(message)) return err;
  const place = partPlace(message, Number(match[2]), match[3]);
  if (place === undefined) return err;
  const path = `messages[${index}].${place}`;
  return new GatewayError({ ...err.toInit(), param: path, message: err.message.split(match[0]).join(path) });
}

/** The body's field for canonical part `part` of a message (`tool_calls[0].function.arguments`), with what the canonical path named in it. */
function partPlace(message: Record<string, unknown>, part: number, field: string | undefined): string | undefined {
  const places = message.role === 'assistant' ? assistantPlaces(message) : contentPlaces(message.content, (n) => `content[${n}]`);
  const place = places[part];
  if (place === undefined) return undefined;
  if (place.startsWith('tool_calls')) return field === '.arguments' || field === '.name' ? `${place}.function${field}` : field === '.id' ? `${place}.id` : place;
  return place;
}

/** A content field's parts: one for a string, else each part in order (`each` names it). */
function contentPlaces(content: unknown, each: (n: number) => string): string[] {
  if (typeof content === 'string') return ['content'];
  return Array.isArray(content) ? content.map((_, n) => each(n)) : [];
}

/**
 * An assistant turn's canonical parts as the door decodes it (`assistantMessage` in decode-messages.ts):
 * its reasoning, its text (empty text left out), its refusal, then its tool calls; a turn with none of
 * these is one empty text part, its content.
 */
function assistantPlaces(message: Record<string, unknown>): string[] {
  const places: string[] = [];
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') places.push('reasoning_content');
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') places.push('content');
  } else if (Array.isArray(content)) {
    content.forEach((p: unknown, n) => {
      if (isObject(p) && ((p.type === 'refusal' && p.refusal !== '') || (p.type !== 'refusal' && (p.text !== '' || p.cache_control !== undefined)))) places.push(`content[${n}]`);
    });
  }
  if (typeof message.refusal === 'string' && message.refusal !== '') places.push('refusal');
  if (Array.isArray(message.tool_calls)) message.tool_calls.forEach((_, n) => places.push(`tool_calls[${n}]`));
  if (places.length === 0) places.push('content');
  return places;
}
