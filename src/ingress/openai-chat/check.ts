import { GatewayError } from '../../core/errors.js';
import type { ReasoningEffort, ReasoningRequest } from '../../core/types.js';

/*
 * Hand-written checks for the OpenAI front door: they run on every request, and a schema library costs
 * several times more CPU for the same work. Errors name the offending parameter the way OpenAI's schema
 * checks do (`messages[0].content[1].image_url.url`, in `param` and quoted in the message); only the
 * tool-message rules (tool-messages.ts) write OpenAI's `messages.[N].role`, as OpenAI does for them. An
 * optional field sent as null is absent, as OpenAI treats it.
 */

/** A 400 invalid_request naming `param`. */
export function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

/** OpenAI's refusal of a member an object parameter does not have (`stream_options.foo`), in its words and with its code. */
export function unknownMember(param: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `Unknown parameter: '${param}'.`, param, code: 'unknown_parameter' });
}

/** A body that is JSON but not an object: OpenAI names no parameter for the body as a whole (`param: null`). */
export function notAnObject(): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: 'The request body must be a JSON object.', code: 'invalid_request' });
}

/**
 * OpenAI's refusal of an empty array where its schema asks for at least one item (`messages`, `tools`,
 * `stop`, a message's `content` or `tool_calls`), in its words and with its code.
 */
export function emptyArray(param: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    message: `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
    param,
    code: 'empty_array',
  });
}

/** The value of an optional field, undefined when absent or null. */
export function optional(obj: Record<string, unknown>, key: string): unknown {
  const v = obj[key];
  return v === null ? undefined : v;
}

export function optionalNumber(obj: Record<string, unknown>, key: string, min: number, max: number, integer = false): number | undefined {
  const v = optional(obj, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(key, `'${key}' must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}.`);
  }
  return v;
}

export function optionalString(obj: Record<string, unknown>, key: string, param = key): string | undefined {
  const v = optional(obj, key);
  if (v !== undefined && typeof v !== 'string') throw bad(param, `'${param}' must be a string.`);
  return v;
}

export function optionalBoolean(obj: Record<string, unknown>, key: string, param = key): boolean | undefined {
  const v = optional(obj, key);
  if (v !== undefined && typeof v !== 'boolean') throw bad(param, `'${param}' must be a boolean.`);
  return v;
}

/** Function and schema names as OpenAI accepts them (and Bedrock and Gemini require). */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function checkName(v: unknown, param: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) throw bad(param, `'${param}' must be 1 to 64 letters, digits, underscores or dashes.`);
  return v;
}

const EFFORTS: ReadonlySet<unknown> = new Set<ReasoningEffort>(['minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

/**
 * OpenAI's reasoning effort (`reasoning_effort`, `reasoning.effort`) as the canonical request: `none`
 * turns reasoning off where the upstream allows it; the rest, `xhigh` and `max` among them (Codex CLI
 * sends `xhigh`), are OpenAI's values, which each dialect brings to what its model takes. Anything else
 * is refused in OpenAI's words.
 */
export function reasoningEffortOf(effort: unknown, param: string): ReasoningRequest {
  if (effort === 'none') return { enabled: false };
  if (EFFORTS.has(effort)) return { enabled: true, effort: effort as ReasoningEffort };
  const shown = typeof effort === 'string' ? effort.slice(0, 64) : JSON.stringify(effort)?.slice(0, 64);
  return badValue(param, `Invalid value: '${shown}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.`);
}

function badValue(param: string, message: string): never {
  throw new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_value' });
}
