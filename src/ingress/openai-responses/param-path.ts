import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { summaryText } from './decode-input.js';
import { reasoningPart } from './reasoning.js';

/**
 * A place in the canonical request an error below the door names: `messages[3]`, `messages[3].content`,
 * `messages[3].content[0]`, then perhaps a field of it (`.arguments`, `.toolCallId`).
 */
const CANONICAL = /^messages\[(\d+)\](\.content(?:\[(\d+)\])?)?(.*)$/;

/** The canonical fields a refusal may name after a part or message, by their names in an input item. */
const FIELDS: Readonly<Record<string, string>> = { '.arguments': '.arguments', '.toolCallId': '.call_id' };

/** Where one canonical part came from: its path, and what the decoding's grouping needs to know of it. */
interface Part {
  path: string;
  kind: 'text' | 'reasoning' | 'media' | 'call';
  /** The field holding a medium (`image_url`, `file_data`, `file_url`): what the client would change. */
  leaf?: string;
}

/** Where one canonical message came from. */
interface Origin {
  /** The message as a whole: an input item, or `instructions`, `input`, `previous_response_id`. */
  whole: string;
  /** Its content: a message item's `content`, a function call output's `output`, else `whole`. */
  content: string;
  /** Each canonical part's place, by index; none outside `input`'s items (`instructions`, a string `input`, stored messages). */
  parts?: Part[];
}

/** A part of a message item's `content` or a function call output's `output`; a medium by the field that holds it. */
function partOf(part: unknown, path: string): Part {
  if (!isObject(part)) return { path, kind: 'text' };
  if (part.type === 'input_image') return { path, kind: 'media', leaf: 'image_url' };
  if (part.type === 'input_file') return { path, kind: 'media', leaf: typeof part.file_data === 'string' ? 'file_data' : 'file_url' };
  return { path, kind: 'text' };
}

function partsOf(content: unknown, path: string): Part[] {
  return Array.isArray(content) ? content.map((part: unknown, n) => partOf(part, `${path}[${n}]`)) : [{ path, kind: 'text' }];
}

/**
 * The canonical messages of an `input` list, in the order and grouping `Conversation` in decode-input.ts
 * makes them: reasoning, function calls and the assistant message after reasoning share one assistant
 * turn; every other item is a message of its own.
 */
function inputOrigins(items: readonly unknown[]): Origin[] {
  const out: Origin[] = [];
  let open: Part[] | undefined;
  const openTurn = (whole: string, content: string, parts: Part[]): void => {
    out.push({ whole, content, parts });
    open = parts;
  };
  items.forEach((item: unknown, k) => {
    if (!isObject(item)) return;
    const at = `input[${k}]`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const parts = partsOf(item.content, `${at}.content`);
      if (item.role !== 'assistant') {
        out.push({ whole: at, content: `${at}.content`, parts });
        open = undefined;
      } else if (open?.at(-1)?.kind === 'reasoning') for (const part of parts) open.push(part);
      else openTurn(at, `${at}.content`, parts);
    } else if (type === 'function_call') {
      const call: Part = { path: at, kind: 'call' };
      if (open) open.push(call);
      else openTurn(at, at, [call]);
    } else if (type === 'function_call_output') {
      out.push({ whole: at, content: `${at}.output`, parts: partsOf(item.output, `${at}.output`) });
      open = undefined;
    } else if (type === 'reasoning') {
      const encrypted = typeof item.encrypted_content === 'string' ? item.encrypted_content : undefined;
      const handed = reasoningPart(summaryText(item.summary, at), encrypted);
      if (!handed) return;
      const part: Part = { path: at, kind: 'reasoning' };
      if (!open) openTurn(at, at, [part]);
      else if (handed.ofMessageBefore) {
        let before = open.length;
        while (before > 0 && open[before - 1]?.kind === 'text') before -= 1;
        open.splice(before, 0, part);
      } else open.push(part);
    }
  });
  return out;
}

/**
 * The canonical messages of a Responses body, in the order the door builds them (see `createResponse`
 * in routes.ts): `instructions`, then the `stored` messages of the conversation `previous_response_id`
 * continues (not in this body, so named by that parameter), then those of `input`.
 */
function origins(body: Record<string, unknown>, stored: number): Origin[] {
  const out: Origin[] = [];
  if (typeof body.instructions === 'string') out.push({ whole: 'instructions', content: 'instructions' });
  for (let i = 0; i < stored; i++) out.push({ whole: 'previous_response_id', content: 'previous_response_id' });
  if (typeof body.input === 'string') out.push({ whole: 'input', content: 'input' });
  else if (Array.isArray(body.input)) for (const origin of inputOrigins(body.input)) out.push(origin);
  return out;
}

/** The place in the body of a canonical place `CANONICAL` matched. */
function placeOf(match: RegExpExecArray, origin: Origin | undefined): string {
  // A message the gateway added itself (a broken stream's continuation) is none of the body's.
  if (!origin) return 'input';
  const [, , content, partIndex, rest = ''] = match;
  // A field is named only on an input item, which has it; `instructions` or a stored message have none.
  const field = origin.parts ? (FIELDS[rest] ?? '') : '';
  if (content === undefined) return origin.whole + field;
  const part = partIndex === undefined ? undefined : origin.parts?.[Number(partIndex)];
  if (!part) return origin.content;
  if (rest === '' && part.leaf !== undefined) return `${part.path}.${part.leaf}`;
  return part.path + field;
}

/**
 * An error raised below the door naming the canonical request's place (`messages[3].content[1]`, or all
 * of `messages`), renamed to the place in this Responses body (`input[1].content[1].image_url`,
 * `instructions`, `input`): a client of the Responses API never reads another API's parameter names.
 * `stored` counts the messages of the stored conversation before this body's input. Anything else is
 * returned as it is.
 */
export function inDoorTerms(err: unknown, body: unknown, stored: number): unknown {
  if (!GatewayError.isInstance(err) || err.param === undefined || !isObject(body)) return err;
  if (err.param === 'messages') return new GatewayError({ ...err.toInit(), param: 'input' });
  const match = CANONICAL.exec(err.param);
  if (!match) return err;
  const place = placeOf(match, origins(body, stored)[Number(match[1])]);
  return new GatewayError({ ...err.toInit(), param: place, message: err.message.split(err.param).join(place) });
}
