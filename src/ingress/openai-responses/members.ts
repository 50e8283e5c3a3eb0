import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { invalidType, oneOf } from '../openai-chat/check.js';

/*
 * The members of every object a Responses request holds, as the official SDK's request types declare
 * them (`ResponseInputItem`, `ResponseInputContent`, `FunctionTool`, `ToolChoiceFunction`,
 * `ResponseTextConfig`, `Reasoning`, ...), checked as the API checks them: a member it does not know is
 * its `unknown_parameter` naming the exact path, as the door refuses an unknown top-level parameter.
 * Without the check a misspelt or made-up member was taken, dropped and answered 200 as if it applied.
 * A member the door has no use for is still checked for its type (or values) and then dropped. JSON
 * Schemas (`parameters`, `output_schema`, `text.format.schema`) are free-form: never walked here.
 */

/** A 400 invalid_request naming `param`, with OpenAI's `code`. */
export function bad(param: string, message: string, code = 'invalid_request'): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code });
}

/** A member no API type has, in the API's words: `Unknown parameter: 'input[0].zz_extra'.` (a long key cut). */
export function unknownParameter(path: string, key: string): GatewayError {
  const shown = key.length > 64 ? `${key.slice(0, 64)}...` : key;
  const at = path === '' ? shown : `${path}.${shown}`;
  return bad(at, `Unknown parameter: '${at}'.`, 'unknown_parameter');
}

/**
 * How the door takes a member: `read` by its decoder (which checks it), or checked here and dropped: a
 * type, one of some values, an object of a kind, a tagged object (`kind:type`) or a list of objects of
 * a kind. Null stands for absent, as OpenAI treats an optional member sent as null.
 */
type Rule = 'read' | 'string' | 'boolean' | 'array' | 'object' | { oneOf: readonly string[] } | { object: string } | { tagged: string } | { items: string };

const STATUS = { oneOf: ['in_progress', 'completed', 'incomplete'] } as const;
const CALLER = { tagged: 'caller' } as const;
const BREAKPOINT = { object: 'prompt_cache_breakpoint' } as const;

const kind = (rules: Record<string, Rule>): ReadonlyMap<string, Rule> => new Map(Object.entries(rules));

/** The members of each object kind, by the name the decoders check it under. */
const KINDS: ReadonlyMap<string, ReadonlyMap<string, Rule>> = new Map([
  // EasyInputMessage, ResponseInputItem.Message and ResponseOutputMessage: one `message` item to the API.
  ['item:message', kind({ type: 'read', role: 'read', content: 'read', id: 'string', status: STATUS, phase: { oneOf: ['commentary', 'final_answer'] } })],
  ['item:function_call', kind({ type: 'read', call_id: 'read', name: 'read', arguments: 'read', id: 'string', status: STATUS, namespace: 'string', caller: CALLER })],
  ['item:function_call_output', kind({ type: 'read', call_id: 'read', output: 'read', id: 'string', status: STATUS, caller: CALLER })],
  ['item:reasoning', kind({ type: 'read', summary: 'read', encrypted_content: 'read', id: 'string', status: STATUS, content: { items: 'reasoning_text' } })],
  ['item:item_reference', kind({ type: 'read', id: 'read' })],
  ['summary_text', kind({ type: { oneOf: ['summary_text'] }, text: 'read' })],
  ['reasoning_text', kind({ type: { oneOf: ['reasoning_text'] }, text: 'string' })],
  ['caller:direct', kind({ type: 'read' })],
  ['caller:program', kind({ type: 'read', caller_id: 'string' })],
  // ResponseInputContent (and ResponseFunctionCallOutputItem's, of the same members), and an assistant's output parts.
  ['part:input_text', kind({ type: 'read', text: 'read', prompt_cache_breakpoint: BREAKPOINT })],
  ['part:input_image', kind({ type: 'read', image_url: 'read', detail: 'read', file_id: 'string', prompt_cache_breakpoint: BREAKPOINT })],
  ['part:input_file', kind({ type: 'read', file_data: 'read', file_url: 'read', filename: 'read', file_id: 'string', detail: { oneOf: ['auto', 'low', 'high'] }, prompt_cache_breakpoint: BREAKPOINT })],
  ['part:output_text', kind({ type: 'read', text: 'read', annotations: 'array', logprobs: 'array' })],
  ['part:refusal', kind({ type: 'read', refusal: 'read' })],
  ['prompt_cache_breakpoint', kind({ mode: { oneOf: ['explicit'] } })],
  ['tool:function', kind({ type: 'read', name: 'read', description: 'read', parameters: 'read', strict: 'read', output_schema: 'object', defer_loading: 'boolean', allowed_callers: 'array' })],
  ['tool_choice:function', kind({ type: 'read', name: 'read' })],
  ['stream_options', kind({ include_obfuscation: 'boolean' })],
  ['reasoning', kind({ effort: 'read', summary: 'read', generate_summary: 'read', context: 'read', mode: 'read' })],
  ['text', kind({ format: 'read', verbosity: 'read' })],
  ['text.format:text', kind({ type: 'read' })],
  ['text.format:json_object', kind({ type: 'read' })],
  ['text.format:json_schema', kind({ type: 'read', name: 'read', schema: 'read', strict: 'read', description: 'read' })],
]);

export { oneOf };

const TYPES = { string: 'a string', boolean: 'a boolean', array: 'an array', object: 'an object' } as const;

function hasType(v: unknown, type: keyof typeof TYPES): boolean {
  if (type === 'array') return Array.isArray(v);
  if (type === 'object') return isObject(v);
  return typeof v === type;
}

/** An object of a kind nested in another (`caller`, `prompt_cache_breakpoint`). */
function nested(v: unknown, at: string, of: string): Record<string, unknown> {
  if (!isObject(v)) throw invalidType(at, 'an object', v);
  checkMembers(v, at, of);
  return v;
}

/** Checks a member the decoders do not read, to drop it: its type, values or members. */
function checkDropped(v: unknown, rule: Exclude<Rule, 'read'>, at: string): void {
  if (v === undefined || v === null) return;
  if (typeof rule === 'string') {
    if (!hasType(v, rule)) throw invalidType(at, TYPES[rule], v);
  } else if ('oneOf' in rule) oneOf(v, at, rule.oneOf);
  else if ('object' in rule) nested(v, at, rule.object);
  else if ('tagged' in rule) {
    if (!isObject(v)) throw invalidType(at, 'an object', v);
    const tags = [...KINDS.keys()].filter((k) => k.startsWith(`${rule.tagged}:`)).map((k) => k.slice(rule.tagged.length + 1));
    const tag = oneOf(v.type ?? '', `${at}.type`, tags);
    nested(v, at, `${rule.tagged}:${tag ?? ''}`);
  } else {
    if (!Array.isArray(v)) throw invalidType(at, 'an array', v);
    v.forEach((item: unknown, i) => nested(item, `${at}[${i}]`, rule.items));
  }
}

/**
 * Refuses a member of `obj` that its `kind` (a key of KINDS) does not have, naming it as `param.member`,
 * and checks those the decoders drop. A kind not listed has no members to take.
 */
export function checkMembers(obj: Record<string, unknown>, param: string, kindName = param): void {
  const rules = KINDS.get(kindName);
  for (const key in obj) {
    const rule = rules?.get(key);
    if (rule === undefined) throw unknownParameter(param, key);
    if (rule !== 'read') checkDropped(obj[key], rule, `${param}.${key}`);
  }
}
