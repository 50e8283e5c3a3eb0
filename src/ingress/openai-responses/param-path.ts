import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { renamedParam } from '../renamed-param.js';
import { inputOrigins, type MessageOrigin } from './decode-input.js';

/**
 * A place in the canonical request an error below the door names: `messages[3]`, `messages[3].content`,
 * `messages[3].content[0]`, then perhaps a field of it (`.arguments`, `.toolCallId`).
 */
const CANONICAL = /^messages\[(\d+)\](\.content(?:\[(\d+)\])?)?(.*)$/;

/** The canonical fields a refusal may name after a part or message, by their names in an input item. */
const FIELDS: Readonly<Record<string, string>> = { '.arguments': '.arguments', '.toolCallId': '.call_id' };

/**
 * The canonical messages of a Responses body, in the order the door builds them (see `createResponse`
 * in routes.ts): `instructions`, then the `stored` messages of the conversation `previous_response_id`
 * continues (not in this body, so named by that parameter), then those of `input`.
 */
function origins(body: Record<string, unknown>, stored: number): MessageOrigin[] {
  const out: MessageOrigin[] = [];
  if (typeof body.instructions === 'string') out.push({ whole: 'instructions', content: 'instructions' });
  for (let i = 0; i < stored; i++) out.push({ whole: 'previous_response_id', content: 'previous_response_id' });
  if (typeof body.input === 'string') out.push({ whole: 'input', content: 'input' });
  else if (Array.isArray(body.input)) for (const origin of inputOrigins(body.input)) out.push(origin);
  return out;
}

/** The place in the body of a canonical place `CANONICAL` matched. */
function placeOf(match: RegExpExecArray, origin: MessageOrigin | undefined): string {
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
  if (err.param === 'messages') return new GatewayError({ ...err.toInit(), param: 'input', message: err.message.split("'messages'").join("'input'") });
  const format = renamedParam(err, 'response_format', 'text.format');
  if (format) return format;
  const match = CANONICAL.exec(err.param);
  if (!match) return err;
  const place = placeOf(match, origins(body, stored)[Number(match[1])]);
  const message = err.message.split(err.param).join(place);
  // A refusal of a whole message may quote it without the field its param names ('messages[0]' for messages[0].role).
  const whole = `'messages[${match[1]}]'`;
  return new GatewayError({ ...err.toInit(), param: place, message: match[2] === undefined ? message.split(whole).join(`'${place}'`) : message });
}
