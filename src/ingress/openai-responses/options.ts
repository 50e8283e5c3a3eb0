import { echoed } from '../../core/json.js';
import { bad } from './decode-input.js';

/*
 * The members of the Responses request's option objects (`reasoning`, `text`, `text.format`) checked as
 * the API checks them: a member it does not know is its `unknown_parameter`, a value outside an
 * enumeration its `invalid_value`. The door echoes these objects in the Response, so what passes here
 * is what the client reads back; without the check a typo or a wrong value was taken, dropped and
 * repeated as if it had applied.
 */

/** The members each option object may have, by the param that names it. */
const MEMBERS: Readonly<Record<string, ReadonlySet<string>>> = {
  reasoning: new Set(['effort', 'summary', 'generate_summary', 'context', 'mode']),
  text: new Set(['format', 'verbosity']),
  'text.format:text': new Set(['type']),
  'text.format:json_object': new Set(['type']),
  'text.format:json_schema': new Set(['type', 'name', 'schema', 'strict', 'description']),
};

/** Refuses a member of `obj` that its `kind` (a key of MEMBERS) does not have, naming it as `param.member`. */
export function checkMembers(obj: Record<string, unknown>, param: string, kind = param): void {
  const known = MEMBERS[kind];
  for (const key in obj) {
    if (known?.has(key) !== true) {
      const at = `${param}.${key.slice(0, 64)}`;
      throw bad(at, `Unknown parameter: '${at}'.`, 'unknown_parameter');
    }
  }
}

const SUMMARIES = ['concise', 'detailed', 'auto'] as const;
const CONTEXTS = ['auto', 'current_turn', 'all_turns'] as const;
const VERBOSITIES = ['low', 'medium', 'high'] as const;

/** OpenAI's list of choices: `'a', 'b', and 'c'` (or `or`). */
function listed(values: readonly string[], conjunction: 'and' | 'or'): string {
  const quoted = values.map((v) => `'${v}'`);
  return `${quoted.slice(0, -1).join(', ')}, ${conjunction} ${quoted.at(-1) ?? ''}`;
}

/** A JSON value's type as OpenAI's type errors name it. */
function typeOf(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'boolean') return 'a boolean';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** A member that is null, absent or one of `values`; anything else refused in OpenAI's words. */
function oneOf(obj: Record<string, unknown>, key: string, param: string, values: readonly string[]): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && values.includes(v)) return v;
  const at = `${param}.${key}`;
  if (typeof v !== 'string') throw bad(at, `Invalid type for '${at}': expected one of ${listed(values, 'or')}, but got ${typeOf(v)} instead.`, 'invalid_type');
  throw bad(at, `Invalid value: '${echoed(v)}'. Supported values are: ${listed(values, 'and')}.`, 'invalid_value');
}

/** `reasoning`'s members other than `effort`: checked, none forwarded; the summary asked for, to echo. */
export function checkReasoningOptions(reasoning: Record<string, unknown>): string | undefined {
  checkMembers(reasoning, 'reasoning');
  oneOf(reasoning, 'generate_summary', 'reasoning', SUMMARIES);
  oneOf(reasoning, 'context', 'reasoning', CONTEXTS);
  const mode = reasoning.mode;
  if (mode !== undefined && mode !== null && typeof mode !== 'string') throw bad('reasoning.mode', "'reasoning.mode' must be a string.");
  return oneOf(reasoning, 'summary', 'reasoning', SUMMARIES);
}

/** `text`'s members other than `format`: `verbosity`, checked and not forwarded (no canonical home). */
export function checkTextOptions(text: Record<string, unknown>): void {
  checkMembers(text, 'text');
  oneOf(text, 'verbosity', 'text', VERBOSITIES);
}
