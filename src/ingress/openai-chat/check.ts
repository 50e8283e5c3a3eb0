import { GatewayError } from '../../core/errors.js';
import { echoed } from '../../core/json.js';
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

/** A JSON value's type as OpenAI's type errors name it. */
export function typeOf(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'boolean') return 'a boolean';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** OpenAI's refusal of a value of the wrong JSON type, in its words and with its code. */
export function invalidType(param: string, expected: string, v: unknown): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `Invalid type for '${param}': expected ${expected}, but got ${typeOf(v)} instead.`, param, code: 'invalid_type' });
}

/** OpenAI's list of choices: `'a', 'b', and 'c'` (or `or`). */
export function listed(values: readonly string[], conjunction: 'and' | 'or'): string {
  if (values.length === 1) return `'${values[0] ?? ''}'`;
  const quoted = values.map((v) => `'${v}'`);
  return `${quoted.slice(0, -1).join(', ')}, ${conjunction} ${quoted.at(-1) ?? ''}`;
}

/**
 * A value that is null, absent or one of `values`; anything else refused as OpenAI refuses a value outside
 * its enum: `invalid_value` naming the supported ones, or `invalid_type` for a value that is no string.
 */
export function oneOf(v: unknown, param: string, values: readonly string[]): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && values.includes(v)) return v;
  if (typeof v !== 'string') throw invalidType(param, `one of ${listed(values, 'or')}`, v);
  throw new GatewayError({ kind: 'invalid_request', message: `Invalid value: '${echoed(v)}'. Supported values are: ${listed(values, 'and')}.`, param, code: 'invalid_value' });
}

/** OpenAI's refusal of a request without a parameter it requires, in its words and with its code. */
export function missingParameter(param: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' });
}

/**
 * An optional number of the API's schema, checked as OpenAI checks it: the wrong type is its
 * `invalid_type` (a decimal where an integer is asked included), a value out of range its
 * `decimal_above_max_value` / `decimal_below_min_value` (`integer_…` for an integer parameter), in its
 * words: `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 5 instead.`
 */
export function optionalNumber(obj: Record<string, unknown>, key: string, min: number, max: number, integer = false): number | undefined {
  const v = optional(obj, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) throw invalidType(key, integer ? 'an integer' : 'a decimal', v);
  const kind = integer ? 'integer' : 'decimal';
  if (v > max) throw outOfRange(key, `${kind}_above_max_value`, `${kind} above maximum value. Expected a value <= ${max}`, v);
  if (v < min) throw outOfRange(key, `${kind}_below_min_value`, `${kind} below minimum value. Expected a value >= ${min}`, v);
  return v;
}

function outOfRange(param: string, code: string, expected: string, v: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message: `Invalid '${param}': ${expected}, but got ${v} instead.`, param, code });
}

export function optionalString(obj: Record<string, unknown>, key: string, param = key): string | undefined {
  const v = optional(obj, key);
  if (v !== undefined && typeof v !== 'string') throw invalidType(param, 'a string', v);
  return v;
}

export function optionalBoolean(obj: Record<string, unknown>, key: string, param = key): boolean | undefined {
  const v = optional(obj, key);
  if (v !== undefined && typeof v !== 'boolean') throw invalidType(param, 'a boolean', v);
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
