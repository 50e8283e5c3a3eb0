import { GatewayError } from '../../core/errors.js';
import { MAX_JSON_DEPTH, textNestsDeeperThan } from '../../core/json.js';
import type { JsonObject } from '../../core/types.js';

/**
 * A tool call's arguments (JSON text) as the object an upstream's tool-call block needs; "" (or only
 * whitespace) means no arguments. Anything but a JSON object is the client's mistake: a 400 naming
 * `param`, with `upstream` saying who needs the object (e.g. 'this provider', 'Gemini'). So is an
 * object nested deeper than the body itself may be: the text is a string inside the body, which the
 * body's depth check does not look into, and the object goes upstream inside a body JSON.stringify
 * writes recursively (5,000 levels overflowed the stack: a 500).
 */
export function parseToolArguments(args: string, param: string, upstream = 'this provider'): JsonObject {
  if (args.trim() === '') return {};
  if (textNestsDeeperThan(args, MAX_JSON_DEPTH)) {
    throw new GatewayError({ kind: 'invalid_request', message: `'${param}' nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`, param, code: 'invalid_request', unsent: true });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
  throw new GatewayError({ kind: 'invalid_request', message: `'${param}' must be a JSON object to be sent to ${upstream}.`, param, code: 'invalid_request', unsent: true });
}

