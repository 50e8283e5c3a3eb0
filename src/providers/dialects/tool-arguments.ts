import { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../../core/types.js';

/**
 * A tool call's arguments (JSON text) as the object an upstream's tool-call block needs; "" (or only
 * whitespace) means no arguments. Anything but a JSON object is the client's mistake: a 400 naming
 * `param`, with `upstream` saying who needs the object (e.g. 'this provider', 'Gemini').
 */
export function parseToolArguments(args: string, param: string, upstream = 'this provider'): JsonObject {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
  throw new GatewayError({ kind: 'invalid_request', message: `'${param}' must be a JSON object to be sent to ${upstream}.`, param, code: 'invalid_request', unsent: true });
}
