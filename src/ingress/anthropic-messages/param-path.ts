import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { renamedParam } from '../renamed-param.js';

/**
 * A canonical message, its content or one part a dialect's refusal names: `messages[3]`,
 * `messages[3].content` or `messages[3].content[0]` (and what follows).
 */
const CANONICAL = /^messages\[(\d+)\](\.content(?:\[(\d+)\])?)?/;

/** Where a canonical message's parts came from in the body: the part's path, by its index. */
type Origin = (part: number | undefined) => string;

/**
 * The canonical messages of a Messages body, in the order the door's decoding makes them (see
 * `conversation` in decode-request.ts): the system prompt, then per turn its tool results (one message
 * each) and the rest of a user turn as one message, or an assistant turn's blocks.
 */
function origins(body: Record<string, unknown>): Origin[] {
  const out: Origin[] = [];
  const system = body.system;
  if (typeof system === 'string' ? system !== '' : Array.isArray(system) && system.length > 0) {
    out.push((j) => (j === undefined || typeof system === 'string' ? 'system' : `system.${j}`));
  }
  const turns = Array.isArray(body.messages) ? body.messages : [];
  turns.forEach((turn: unknown, k) => {
    if (!isObject(turn)) return;
    const content = `messages.${k}.content`;
    if (typeof turn.content === 'string') {
      if (turn.role === 'user' || turn.content !== '') out.push(() => content);
      return;
    }
    if (!Array.isArray(turn.content)) return;
    if (turn.role === 'assistant') {
      if (turn.content.length > 0) out.push((j) => (j === undefined ? `messages.${k}` : `${content}.${j}`));
      return;
    }
    const rest: number[] = [];
    turn.content.forEach((block: unknown, n) => {
      if (!(isObject(block) && block.type === 'tool_result')) {
        rest.push(n);
        return;
      }
      const result = `${content}.${n}`;
      out.push((j) => (j === undefined ? result : typeof block.content === 'string' ? `${result}.content` : `${result}.content.${j}`));
    });
    if (rest.length > 0) out.push((j) => (j === undefined ? `messages.${k}` : `${content}.${rest[j] ?? j}`));
  });
  return out;
}

/**
 * An error a dialect raised naming the canonical request's place (`messages[3].content[0]`), renamed to
 * the place in this door's body (`messages.2.content.0`): a client of the Messages API never reads
 * another API's parameter names. Anything else is returned as it is.
 */
export function inDoorTerms(err: unknown, body: unknown): unknown {
  if (!GatewayError.isInstance(err) || err.param === undefined || !isObject(body)) return err;
  const format = renamedParam(err, 'response_format', 'output_config.format');
  if (format) return format;
  const match = CANONICAL.exec(err.param);
  if (!match) return err;
  const origin = origins(body)[Number(match[1])];
  if (!origin) return err;
  const path = placeOf(origin, match[2], match[3]);
  const canonical = match[0];
  return new GatewayError({ ...err.toInit(), param: path, message: err.message.split(canonical).join(path) });
}

/**
 * The body's place for a canonical message (`content` undefined), its content (`.content`: a turn written
 * as a string is named by its content already) or one of its parts.
 */
function placeOf(origin: Origin, content: string | undefined, part: string | undefined): string {
  if (part !== undefined) return origin(Number(part));
  const whole = origin(undefined);
  return content === undefined || whole.endsWith('.content') ? whole : `${whole}.content`;
}
